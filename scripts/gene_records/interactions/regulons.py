"""Per-organism regulons: GMT gene sets and TF -> target networks from interactions.tsv.

For every organism of ``interactions.tsv`` (its ``organism`` column) the
step writes, in one folder (``results/tf_targets/regulons/``):

* ``<slug>.uniprot.gmt`` -- one gene set per TF: name = TF accession,
  description = its name (white space and ``%`` percent-encoded, so
  ``OR2M7 D`` is ``OR2M7%20D``; the accession when the TF has no name),
  members = target accessions;
* ``<slug>.symbols.gmt`` -- one gene set per TF: name = its symbol set name
  (:func:`set_names`), description = its accession, members = target symbols
  (:func:`symbol_token`); a target without a name is left out and counted;
* ``<slug>.uniprot.tsv`` / ``<slug>.symbols.tsv`` -- the network in the long
  form TF-activity tools take (decoupler's ``source``, ``target``,
  ``weight``): TFLink states no mode of regulation, so ``weight`` is ``1``.

and an index (``results/tf_targets/regulons.tsv``), one row per organism
with the files and counts. The slug is :func:`organism_slug`; pairs with an
empty organism go to the ``unspecified_organism`` files. No token of a GMT
line holds white space (decoupler's ``read_gmt`` splits on any white space),
and no two set names of one file are equal ignoring case.

``interactions.tsv`` is sorted by ``tf_uniprot``: pass 1 finds each TF's
name per organism (so that set names can be made unique ignoring case), pass
2 writes every file in one stream; memory holds one TF's rows and one name
per TF (and small bounded memos of repeated cells). A TF's network lines are
joined as they are when no cell needs :func:`gene_records.io.format_cell`
(checked on the TF's whole text at once), through it otherwise: the same bytes.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections import Counter, defaultdict
from functools import lru_cache

from ..errors import ConfigError
from ..io import AtomicWriter, tsv_line
from ..tables import INTERACTIONS, REGULON_INDEX, REGULON_NETWORK
from .split import replace_dir

EVIDENCE = ("all", "small_scale")
NO_ORGANISM_SLUG = "unspecified_organism"
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
_SPACE = re.compile(r"\s+")
WEIGHT = 1


def organism_slug(organism: str) -> str:
    """``Homo sapiens`` -> ``homo_sapiens``: lower case, every run of other
    characters than ``a-z0-9`` one ``_``, none at either end;
    ``unspecified_organism`` for an empty organism."""
    slug = _SLUG_JUNK.sub("_", organism.lower()).strip("_")
    return slug or NO_ORGANISM_SLUG


def slugs(organisms) -> dict[str, str]:
    """Each organism's slug; when two organisms give the same slug, the later
    one (sorted) gets ``_2``, ``_3``, ... (deterministic)."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for org in sorted(organisms):
        base = slug = organism_slug(org)
        n = 1
        while slug in taken:
            n += 1
            slug = f"{base}_{n}"
        taken.add(slug)
        out[org] = slug
    return out


def symbol_token(name: str) -> str:
    """A name as one GMT token: every run of white space becomes ``_``
    (``OR2M7 D`` -> ``OR2M7_D``); nothing else changes."""
    return _SPACE.sub("_", name.strip())


def percent_encode(name: str) -> str:
    """The description of a UniProt set: ``%`` and white space percent-encoded
    (``urllib.parse.unquote`` gives the name back)."""
    return re.sub(r"[%\s]", lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8")), name)


def set_names(tf_names: dict[str, str]) -> tuple[dict[str, str], int]:
    """Symbol set names of one organism's TFs (``{accession: name}``).

    A TF's set name is :func:`symbol_token` of its name (its accession when it
    has none). When several TFs' names are equal ignoring case (human ``AR``
    and a TF ``Ar``), each of them is named ``<name>_<accession>``; repeated
    until no two are equal ignoring case. Returns the names and how many TFs
    were renamed."""
    names = {acc: symbol_token(n) or acc for acc, n in tf_names.items()}
    renamed: set[str] = set()
    while True:
        groups: dict[str, list[str]] = defaultdict(list)
        for acc, n in names.items():
            groups[n.casefold()].append(acc)
        clash = [acc for accs in groups.values() if len(accs) > 1 for acc in accs]
        if not clash:
            return names, len(renamed)
        for acc in clash:
            names[acc] = f"{names[acc]}_{acc}"
            renamed.add(acc)


def _best(counter: Counter) -> str:
    """The most frequent non-empty name, ties to the smallest."""
    counter = Counter({k: v for k, v in counter.items() if k})
    return min(counter, key=lambda n: (-counter[n], n)) if counter else ""


def _tf_names(path: str) -> dict[str, dict[str, str]]:
    """Pass 1: ``{organism: {tf accession: name}}``."""
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    with INTERACTIONS.read(path) as reader:
        tf, org, name = reader.col("tf_uniprot"), reader.col("organism"), reader.col("tf_name")
        # the rows cut after the last column read (the width is still checked)
        for row in reader.leading(max(tf, org, name) + 1):
            counts[(row[org], row[tf])][row[name]] += 1
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for (org, acc), c in counts.items():
        out[org][acc] = _best(c)
    return out


def _merge_list(cells) -> str:
    """The distinct items of ``;``-joined cells, ``;``-joined: numbers ascending, text sorted."""
    items = {x for cell in cells for x in cell.split(";") if x}
    return ";".join(sorted(items, key=lambda x: (len(x), x) if x.isdigit() else (0, x)))


@lru_cache(maxsize=1 << 14)
def _merge_one(cell: str) -> str:
    """:func:`_merge_list` of one cell (cells repeat: remembered)."""
    return _merge_list((cell,))


def _evidence(values) -> str:
    """``Yes`` when any merged pair has small-scale evidence, else ``No`` when any says so."""
    values = set(values)
    return "Yes" if "Yes" in values else ("No" if "No" in values else "")


class _Organism:
    """The four open files of one organism (in a work folder) and its counts."""

    def __init__(self, folder: str, organism: str, slug: str, tf_names: dict[str, str]):
        self.organism, self.slug, self.tf_names = organism, slug, tf_names
        self.names, self.renamed = set_names(tf_names)
        self.files = {k: f"{slug}.{k}" for k in ("uniprot.gmt", "symbols.gmt", "uniprot.tsv", "symbols.tsv")}
        self.fh = {k: open(os.path.join(folder, f), "w", encoding="utf-8", newline="\n") for k, f in self.files.items()}
        for k in ("uniprot.tsv", "symbols.tsv"):
            self.fh[k].write(REGULON_NETWORK.header_line())
        self.counts: Counter = Counter()

    def close(self) -> None:
        for fh in self.fh.values():
            fh.close()


@lru_cache(maxsize=1 << 14)
def _n_items(cell: str) -> str:
    """The number of non-empty ``;``-joined items, as text."""
    return str(len([x for x in cell.split(";") if x]))


_FORMULA_START = ("=", "+", "-", "@")


def _lines(rows: list[list[str]]) -> str:
    """``tsv_line`` of each row of text cells, joined: the cells as they are
    when no cell holds a tab, a line break or a carriage return nor starts
    like a formula (checked on the whole text at once: the counts of tabs and
    line ends, then a scan per character), else through
    :func:`gene_records.io.format_cell`."""
    if not rows:
        return ""
    text = "\n".join(["\t".join(r) for r in rows]) + "\n"
    plain = (
        text.count("\t") == sum(len(r) - 1 for r in rows)
        and text.count("\n") == len(rows)
        and "\r" not in text
        and not text.startswith(_FORMULA_START)
        and not any(c in text and (f"\t{c}" in text or f"\n{c}" in text) for c in _FORMULA_START)
    )
    return text if plain else "".join(map(tsv_line, rows))


@lru_cache(maxsize=1 << 14)
def _symbols(target_name: str) -> tuple[str, ...]:
    """The distinct symbols of a target name (:func:`symbol_token` of each
    ``;``-joined part that is not blank), in order."""
    return tuple(dict.fromkeys(symbol_token(s) for s in target_name.split(";") if s.strip()))


def _by_symbol(rows: list[list[str]], ix: dict) -> tuple[dict[str, list[list[str]]], int]:
    """The rows of one TF grouped by target symbol (a `;`-joined name gives one
    symbol each), and how many rows have no symbol."""
    out: dict[str, list[list[str]]] = defaultdict(list)
    without = 0
    name = ix["target_name"]
    for r in rows:
        symbols = _symbols(r[name])
        if not symbols:
            without += 1
        for s in symbols:
            out[s].append(r)
    return out, without


def _write_network(o: _Organism, acc: str, rows: list[list[str]], ix: dict, by_symbol=None) -> None:
    """One TF's rows of one organism (already filtered) into its two networks
    (``by_symbol``: :func:`_by_symbol` of ``rows``, when known)."""
    tf_name = o.tf_names[acc]
    o.counts["network_pairs"] += len(rows)
    tu, ev, db, pm = ix["target_uniprot"], ix["small_scale_evidence"], ix["source_databases"], ix["pubmed_ids"]
    tfn, tn = ix["tf_name"], ix["target_name"]
    weight = str(WEIGHT)
    o.fh["uniprot.tsv"].write(_lines([
        [acc, r[tu], weight, r[ev], r[db], r[pm], _n_items(r[db]), acc, r[tu], r[tfn], r[tn]] for r in rows
    ]))
    groups, without = by_symbol or _by_symbol(rows, ix)
    o.counts["network_pairs_without_target_symbol"] += without
    set_name = o.names[acc]
    lines = []
    for s in sorted(groups):
        group = groups[s]
        if len(group) == 1:  # the usual case: the merges of one row, the same values
            r = group[0]
            dbs, evidence = _merge_one(r[db]), r[ev] if r[ev] in ("Yes", "No") else ""
            pubmed, targets, names = _merge_one(r[pm]), r[tu], r[tn]
        else:
            dbs, evidence = _merge_list(r[db] for r in group), _evidence(r[ev] for r in group)
            pubmed = _merge_list(r[pm] for r in group)
            targets = ";".join(sorted({r[tu] for r in group}))
            names = ";".join(sorted({r[tn] for r in group}))
        lines.append([set_name, s, weight, evidence, dbs, pubmed, _n_items(dbs), acc, targets, tf_name, names])
    o.fh["symbols.tsv"].write(_lines(lines))
    o.counts["symbol_network_rows"] += len(groups)


def _write_gmt(o: _Organism, acc: str, rows: list[list[str]], ix: dict, min_targets: int, by_symbol=None) -> None:
    """One TF's rows of one organism (already filtered) into its two GMT files
    (``by_symbol``: :func:`_by_symbol` of ``rows``, when known)."""
    o.counts["gmt_pairs"] += len(rows)
    if rows and len(rows) >= min_targets:
        tf_name = o.tf_names[acc]
        desc = percent_encode(tf_name) if tf_name else acc
        tu = ix["target_uniprot"]
        o.fh["uniprot.gmt"].write("\t".join([acc, desc] + [r[tu] for r in rows]) + "\n")
        o.counts["uniprot_sets"] += 1
    groups, without = by_symbol or _by_symbol(rows, ix)
    o.counts["gmt_pairs_without_target_symbol"] += without
    if groups and len(groups) >= min_targets:
        o.fh["symbols.gmt"].write("\t".join([o.names[acc], acc] + sorted(groups)) + "\n")
        o.counts["symbol_sets"] += 1


def build_regulons(
    interactions: str,
    regulons: str,
    index: str,
    gmt_evidence: str = "all",
    gmt_min_targets: int = 1,
    network_evidence: str = "all",
) -> None:
    """Write the per-organism GMT gene sets and networks into the folder
    ``regulons`` and their index ``index``.

    ``gmt_evidence`` / ``network_evidence``: ``all`` pairs, or only those with
    ``small_scale`` evidence, in the gene sets / the networks; a TF gets a gene
    set when at least ``gmt_min_targets`` targets are left.
    """
    for key, value in (("gmt_evidence", gmt_evidence), ("network_evidence", network_evidence)):
        if value not in EVIDENCE:
            raise ConfigError(f"{key} must be one of {', '.join(EVIDENCE)}, not {value!r}")
    names = _tf_names(interactions)
    slug_of = slugs(names)
    root = os.path.dirname(os.path.abspath(regulons))
    os.makedirs(root, exist_ok=True)
    work = tempfile.mkdtemp(dir=root, prefix=".regulons-")
    orgs: dict[str, _Organism] = {}
    try:
        for org in sorted(names):
            orgs[org] = _Organism(work, org, slug_of[org], names[org])
        gmt_small, net_small = gmt_evidence == "small_scale", network_evidence == "small_scale"
        with INTERACTIONS.read(interactions) as reader:
            ix = {c: reader.col(c) for c in INTERACTIONS.header}
            tf_col, org_col = ix["tf_uniprot"], ix["organism"]
            prev, group = None, defaultdict(list)
            for row in reader:
                if row[tf_col] != prev and prev is not None:
                    _flush(orgs, prev, group, ix, gmt_small, net_small, gmt_min_targets)
                    group = defaultdict(list)
                prev = row[tf_col]
                group[row[org_col]].append(row)
            if prev is not None:
                _flush(orgs, prev, group, ix, gmt_small, net_small, gmt_min_targets)
        rel = os.path.relpath(os.path.abspath(regulons), os.path.dirname(os.path.abspath(index)))
        rows = []
        for org, o in orgs.items():
            o.close()
            c = o.counts
            rows.append([
                org, o.slug, c["pairs"], c["gmt_pairs"], c["uniprot_sets"], c["symbol_sets"], o.renamed,
                c["gmt_pairs_without_target_symbol"], c["network_pairs"], c["symbol_network_rows"],
                c["network_pairs_without_target_symbol"],
                *(f"{rel}/{o.files[k]}" for k in ("uniprot.gmt", "symbols.gmt", "uniprot.tsv", "symbols.tsv")),
            ])
        replace_dir(work, regulons)
        REGULON_INDEX.write(index, sorted(rows, key=lambda r: r[1]))
    finally:
        for o in orgs.values():
            o.close()
        shutil.rmtree(work, ignore_errors=True)


def _flush(orgs: dict, acc: str, group: dict, ix: dict, gmt_small: bool, net_small: bool, min_targets: int) -> None:
    """One TF's rows (``{organism: rows}``) into each organism's files."""
    ev = ix["small_scale_evidence"]
    for org, rows in group.items():
        o = orgs[org]
        o.counts["pairs"] += len(rows)
        small = [r for r in rows if r[ev] == "Yes"] if gmt_small or net_small else rows
        gmt_rows, net_rows = (small if gmt_small else rows), (small if net_small else rows)
        shared = _by_symbol(gmt_rows, ix) if gmt_rows is net_rows else None
        _write_gmt(o, acc, gmt_rows, ix, min_targets, shared)
        _write_network(o, acc, net_rows, ix, shared)
