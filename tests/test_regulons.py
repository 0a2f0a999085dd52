"""build_regulons writes, byte for byte, what a plain whole-table reading of
its contract gives (issue 16: the streaming step's shortcuts -- lines joined
without format_cell when no cell needs it, merges of one row remembered --
change no byte), on tables made to hit every shortcut's edge."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from gene_records.interactions import build_regulons
from gene_records.interactions.regulons import percent_encode, set_names, slugs, symbol_token
from gene_records.io import tsv_line
from gene_records.tables import INTERACTIONS, REGULON_INDEX, REGULON_NETWORK


def merged(cells) -> str:
    items = {x for c in cells for x in c.split(";") if x}
    return ";".join(sorted(items, key=lambda x: (len(x), x) if x.isdigit() else (0, x)))


def reference(rows: list[list[str]], gmt_small=False, net_small=False, min_targets=1) -> dict[str, str]:
    """Every file of the regulons folder (by name) and the index ("index"), from all rows at once."""
    ix = {c: i for i, c in enumerate(INTERACTIONS.header)}
    tf, tg, org, ev = ix["tf_uniprot"], ix["target_uniprot"], ix["organism"], ix["small_scale_evidence"]
    tfn, tgn, db, pm = ix["tf_name"], ix["target_name"], ix["source_databases"], ix["pubmed_ids"]
    by_org: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        by_org[r[org]][r[tf]].append(r)
    slug_of = slugs(by_org)
    out, index = {}, []
    for o in sorted(by_org):
        tfs, slug = by_org[o], slug_of[o]
        names = {}
        for acc, rs in tfs.items():
            c = Counter(r[tfn] for r in rs if r[tfn])
            names[acc] = min(c, key=lambda n: (-c[n], n)) if c else ""
        set_name, renamed = set_names(names)
        files = {k: "" for k in ("uniprot.gmt", "symbols.gmt", "uniprot.tsv", "symbols.tsv")}
        files["uniprot.tsv"] = files["symbols.tsv"] = REGULON_NETWORK.header_line()
        n = Counter()
        for acc in sorted(tfs):
            rs = tfs[acc]
            n["pairs"] += len(rs)
            gmt = [r for r in rs if r[ev] == "Yes"] if gmt_small else rs
            net = [r for r in rs if r[ev] == "Yes"] if net_small else rs
            n["gmt_pairs"] += len(gmt)
            if gmt and len(gmt) >= min_targets:
                desc = percent_encode(names[acc]) if names[acc] else acc
                files["uniprot.gmt"] += "\t".join([acc, desc] + [r[tg] for r in gmt]) + "\n"
                n["uniprot_sets"] += 1
            syms = {symbol_token(s) for r in gmt for s in r[tgn].split(";") if s.strip()}
            n["gmt_without"] += sum(1 for r in gmt if not [s for s in r[tgn].split(";") if s.strip()])
            if syms and len(syms) >= min_targets:
                files["symbols.gmt"] += "\t".join([set_name[acc], acc] + sorted(syms)) + "\n"
                n["symbol_sets"] += 1
            n["network_pairs"] += len(net)
            for r in net:
                files["uniprot.tsv"] += tsv_line([acc, r[tg], 1, r[ev], r[db], r[pm], len([x for x in r[db].split(";") if x]),
                                                  acc, r[tg], r[tfn], r[tgn]])
            groups = defaultdict(list)
            for r in net:
                symbols = [symbol_token(s) for s in r[tgn].split(";") if s.strip()]
                n["net_without"] += not symbols
                for s in set(symbols):
                    groups[s].append(r)
            for s in sorted(groups):
                g = groups[s]
                evs = {r[ev] for r in g}
                dbs = merged(r[db] for r in g)
                files["symbols.tsv"] += tsv_line([
                    set_name[acc], s, 1, "Yes" if "Yes" in evs else ("No" if "No" in evs else ""), dbs,
                    merged(r[pm] for r in g), len([x for x in dbs.split(";") if x]), acc,
                    ";".join(sorted({r[tg] for r in g})), names[acc], ";".join(sorted({r[tgn] for r in g}))])
                n["symbol_rows"] += 1
        for k, text in files.items():
            out[f"{slug}.{k}"] = text
        index.append([o, slug, n["pairs"], n["gmt_pairs"], n["uniprot_sets"], n["symbol_sets"], renamed,
                      n["gmt_without"], n["network_pairs"], n["symbol_rows"], n["net_without"],
                      *(f"regulons/{slug}.{k}" for k in ("uniprot.gmt", "symbols.gmt", "uniprot.tsv", "symbols.tsv"))])
    out["index"] = REGULON_INDEX.header_line() + "".join(tsv_line(r) for r in sorted(index, key=lambda r: r[1]))
    return out


NAMES = ["SOX2", "Sox2", "sox2", "OR2M7 D", "-", "-x", "=SUM(A1)", "+1", "@home", "-5", "1e5", "a;b", "b; a",
         " ;", "x%y z", "é€", "Ar", "AR", "", "", "H4c2;Hist1h4m;H4f16", "fs(1)h", "Dmel\\CG8478"]
DBS = ["GTRD", "ReMap;TRRUST", "TRRUST;ReMap", "", "GTRD;;GTRD", "-GTRD", "=x;GTRD", "Yeastract"]
PUBMED = ["", "1", "2;10", "10;2", "10;2;2", "24435928;29087512", "+3", "-1;5", "x;1"]
EVIDENCE = ["Yes", "No", "", "maybe", "-"]
ORGANISMS = ["Homo sapiens", "Mus musculus", "", "homo  sapiens", "=Org"]


def random_rows(seed: int, n_tfs: int = 40) -> list[list[str]]:
    rng = random.Random(seed)
    rows = {}
    for t in range(n_tfs):
        acc = f"P{t:05d}" if rng.random() < 0.9 else f"-P{t:04d}"
        org = rng.choice(ORGANISMS)
        names = [rng.choice(NAMES) for _ in range(2)]
        for _ in range(rng.randint(1, 12)):
            target = f"Q{rng.randint(0, 60):05d}"
            rows[(acc, target)] = [
                acc, target, "", "", rng.choice(names), rng.choice(NAMES), "", rng.choice(PUBMED),
                org if rng.random() < 0.9 else rng.choice(ORGANISMS), rng.choice(DBS), rng.choice(EVIDENCE), "table:t",
            ]
    return [rows[k] for k in sorted(rows)]


def run(tmp_path: Path, rows, **kw) -> dict[str, str]:
    tsv = tmp_path / "interactions.tsv"
    tsv.write_text(INTERACTIONS.header_line() + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    build_regulons(str(tsv), str(tmp_path / "regulons"), str(tmp_path / "regulons.tsv"), **kw)
    out = {p.name: p.read_text(encoding="utf-8") for p in sorted((tmp_path / "regulons").iterdir())}
    out["index"] = (tmp_path / "regulons.tsv").read_text(encoding="utf-8")
    return out


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    "options",
    [{}, {"gmt_evidence": "small_scale"}, {"network_evidence": "small_scale"}, {"gmt_min_targets": 3}],
    ids=["all", "gmt-small", "net-small", "min3"],
)
def test_regulons_are_the_whole_table_reference(tmp_path, seed, options):
    rows = random_rows(seed)
    got = run(tmp_path, rows, **options)
    want = reference(
        rows, gmt_small=options.get("gmt_evidence") == "small_scale",
        net_small=options.get("network_evidence") == "small_scale", min_targets=options.get("gmt_min_targets", 1),
    )
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name] == want[name], name


def test_cells_that_format_cell_changes_are_written_as_it_writes_them(tmp_path):
    """A cell starting like a formula keeps its neutralising quote; plain lines stay as they are."""
    rows = [
        ["P00001", "Q00001", "", "", "-x", "=SUM(A1)", "", "1", "Homo sapiens", "GTRD", "Yes", "t"],
        ["P00001", "Q00002", "", "", "-x", "B", "", "-1", "Homo sapiens", "GTRD", "Yes", "t"],
        ["P00002", "Q00001", "", "", "C", "D", "", "2", "Homo sapiens", "GTRD", "No", "t"],
    ]
    got = run(tmp_path, rows)
    lines = got["homo_sapiens.uniprot.tsv"].splitlines()
    assert lines[1].split("\t")[-2:] == ["'-x", "'=SUM(A1)"]
    assert lines[2].split("\t")[5] == "-1" and lines[2].split("\t")[-2] == "'-x"  # a number stays as it is
    assert lines[3] == "\t".join(["P00002", "Q00001", "1", "No", "GTRD", "2", "1", "P00002", "Q00001", "C", "D"])
    assert got == reference(rows)
