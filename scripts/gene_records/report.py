"""The summary report: one self-contained HTML page, the same facts in
Markdown, the plots as SVG files, small summary tables for Snakemake's own
report, and MultiQC custom content.

How it is built:

* every input table is *streamed* once (twice for the fold-change matrix and
  records.tsv) into counters and bounded lists: a table shown on the page
  keeps at most ``max_table_rows`` rows and says how many it left out, the
  heatmap keeps ``heatmap_max_genes`` x ``heatmap_max_cell_types`` values,
  the dossiers ``max_genes`` genes. The page for 50,000 records is as large
  as the page for 500.
* the facts go into a small document model (sections of paragraphs, fact
  lists, tables and plots) that two renderers turn into HTML and Markdown, so
  that both always say the same.
* all text that comes from records, tables or the config is escaped by the
  renderers (HTML: ``html.escape``; Markdown: backslash escapes; SVG: XML
  escapes). Links out to the portals are built only from identifiers that
  match their pattern; nothing is fetched, the page carries no script and a
  Content-Security-Policy that forbids loading anything.
* output is deterministic: rows sorted with full keys, numbers formatted
  with fixed rules, no timestamps; the same inputs give the same bytes.
"""

from __future__ import annotations

import heapq
import logging
import math
import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html import escape
from typing import Iterator, Sequence
from urllib.parse import quote

import numpy as np
import yaml

from . import __version__
from . import report_plots as plots
from .errors import ConfigError, RecordError
from .io import open_text, write_text, write_tsv
from .provenance import version_rows

log = logging.getLogger("gene_records")

TITLE = "gene-records summary"
SOURCE_FORMATS = {
    "genular": "Genular gene page (text)",
    "tflink": "TFLink protein page (Markdown, YAML front matter)",
    "geisha": "GEISHA gene page (Markdown, YAML front matter)",
}
SOURCE_ORDER = ("genular", "tflink", "geisha")
PROGRESS_EVERY = 1_000_000
# Config keys that only say how the work is scheduled, never what it gives:
# left out of the page, so that the report is the same for any batch size.
EXECUTION_KEYS = (("records_per_batch",), ("interactions", "sort_memory_mb"))


def shown_config(config: dict) -> dict:
    """The config in effect without :data:`EXECUTION_KEYS`."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in config.items()}
    for path in EXECUTION_KEYS:
        node = out
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return out


# ------------------------------------------------------------------ document model


@dataclass(frozen=True)
class Link:
    """A link out: ``url`` is built by the link functions below from a checked id."""

    text: str
    url: str


@dataclass
class Para:
    parts: list  # str | Link


@dataclass
class Facts:
    items: list  # (label, value cell)


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list]
    total: int
    full: str = ""  # the file that holds every row
    order: str = ""  # how the shown rows were chosen

    def note(self) -> str:
        if self.total <= len(self.rows):
            return ""
        where = f"; every row is in {self.full}" if self.full else ""
        how = f" ({self.order})" if self.order else ""
        return f"Showing {len(self.rows):,} of {self.total:,} rows{how}{where}."


@dataclass
class Plot:
    name: str  # file name under plots/
    svg: str
    caption: str


@dataclass
class Heading:
    text: str
    anchor: str = ""


@dataclass
class Pre:
    text: str


@dataclass
class Section:
    anchor: str
    title: str
    blocks: list = field(default_factory=list)


# ------------------------------------------------------------------ links out

_UNIPROT = re.compile(r"[OPQ][0-9][A-Z0-9]{3}[0-9]|[A-NR-Z][0-9](?:[A-Z][A-Z0-9]{2}[0-9]){1,2}")
_NCBI = re.compile(r"[1-9][0-9]{0,11}")
_ENSEMBL = re.compile(r"ENS[A-Z]{0,6}G[0-9]{11}(?:\.[0-9]+)?")


def uniprot_link(acc: str) -> Link | None:
    acc = (acc or "").strip()
    if not _UNIPROT.fullmatch(acc):
        return None
    return Link(acc, f"https://www.uniprot.org/uniprotkb/{quote(acc)}/entry")


def tflink_link(acc: str) -> Link | None:
    acc = (acc or "").strip()
    if not _UNIPROT.fullmatch(acc):
        return None
    return Link(f"TFLink {acc}", f"https://tflink.net/protein/{quote(acc.lower())}/")


def ncbi_link(gene_id: str) -> Link | None:
    gene_id = (gene_id or "").strip()
    if not _NCBI.fullmatch(gene_id):
        return None
    return Link(gene_id, f"https://www.ncbi.nlm.nih.gov/gene/{gene_id}")


def geisha_link(gene_id: str) -> Link | None:
    gene_id = (gene_id or "").strip()
    if not _NCBI.fullmatch(gene_id):
        return None
    return Link(f"GEISHA {gene_id}", f"https://geisha.arizona.edu/geisha/search.jsp?gene={gene_id}")


def ensembl_link(gene_id: str) -> Link | None:
    gene_id = (gene_id or "").strip()
    if not _ENSEMBL.fullmatch(gene_id):
        return None
    return Link(gene_id, f"https://www.ensembl.org/id/{quote(gene_id)}")


def _links(values: str, make) -> list:
    """``a;b`` -> links (or the plain text of an id that is not well-formed)."""
    out = []
    for v in (values or "").split(";"):
        v = v.strip()
        if v:
            out.append(make(v) or v)
    return out


# ------------------------------------------------------------------ escaping and rendering

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&$])")


def md_escape(text) -> str:
    """Markdown text that renders as exactly ``text``: every character that
    Markdown or HTML could read as syntax is backslash-escaped (CommonMark
    allows it before any ASCII punctuation), line breaks become spaces."""
    s = " ".join(str(text).split()) if text is not None else ""
    s = _MD_SPECIAL.sub(r"\\\1", s)
    if s[:1] in "-=" and s:
        s = "\\" + s
    return s


def _is_number(cell) -> bool:
    return isinstance(cell, (int, float)) and not isinstance(cell, bool)


def fmt(cell) -> str:
    """Plain text of a cell: thousands separators for integers, fixed decimals."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, int):
        return f"{cell:,}"
    if isinstance(cell, float):
        if not math.isfinite(cell):
            return ""
        return f"{cell:,.2f}"
    return str(cell)


def html_cell(cell) -> str:
    if isinstance(cell, Link):
        return f'<a href="{escape(cell.url, quote=True)}">{escape(cell.text)}</a>'
    if isinstance(cell, (list, tuple)):
        return ", ".join(html_cell(c) for c in cell)
    return escape(fmt(cell))


def md_cell(cell) -> str:
    if isinstance(cell, Link):
        return f"[{md_escape(cell.text)}](<{cell.url}>)"
    if isinstance(cell, (list, tuple)):
        return ", ".join(md_cell(c) for c in cell)
    return md_escape(fmt(cell))


CSS = """
:root{--ink:#222;--muted:#666;--line:#ddd;--accent:#1b7f79;--bad:#b2182b}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:var(--ink);background:#fafafa}
header{background:#14524e;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:24px}
header p{margin:4px 0 0;color:#cfe7e5}
nav{padding:8px 28px;background:#fff;border-bottom:1px solid var(--line)}
nav a{margin-right:16px;color:var(--accent);text-decoration:none;font-weight:600}
main{padding:8px 28px 40px;max-width:1400px}
section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:4px 20px 16px;margin:18px 0}
h2{font-size:20px;border-bottom:2px solid var(--accent);padding-bottom:4px}
h3{font-size:16px;margin:18px 0 6px}
table{border-collapse:collapse;margin:6px 0 4px;font-size:13px}
caption{text-align:left;font-weight:600;padding:4px 0;white-space:nowrap}
th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top;max-width:560px;overflow-wrap:anywhere}
th{background:#f0f4f4}
td.n{text-align:right;font-variant-numeric:tabular-nums}
tr:nth-child(even) td{background:#fbfbfb}
p.note{color:var(--muted);font-size:12px;margin:2px 0 12px}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:6px 0}
dt{color:var(--muted)}dd{margin:0}
figure{margin:10px 0 16px}
figcaption{color:var(--muted);font-size:12px;max-width:900px}
svg{max-width:100%;height:auto}
pre{background:#f4f4f4;padding:8px 12px;overflow:auto;font-size:12px;max-height:420px}
a{color:#0b5c8a}
"""


def render_html(sections: list[Section], subtitle: str) -> str:
    out = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        # nothing may be loaded: no scripts, no remote styles, fonts or images
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">\n",
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>{escape(TITLE)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        f"<header><h1>{escape(TITLE)}</h1><p>{escape(subtitle)}</p></header>\n<nav>",
        "".join(f'<a href="#{s.anchor}">{escape(s.title)}</a>' for s in sections),
        "</nav>\n<main>\n",
    ]
    for s in sections:
        out.append(f'<section id="{s.anchor}">\n<h2>{escape(s.title)}</h2>\n')
        for b in s.blocks:
            out.append(_html_block(b))
        out.append("</section>\n")
    out.append("</main>\n</body>\n</html>\n")
    return "".join(out)


def _html_block(b) -> str:
    if isinstance(b, Para):
        return "<p>" + "".join(html_cell(p) for p in b.parts) + "</p>\n"
    if isinstance(b, Heading):
        anchor = f' id="{escape(b.anchor, quote=True)}"' if b.anchor else ""
        return f"<h3{anchor}>{escape(b.text)}</h3>\n"
    if isinstance(b, Facts):
        items = "".join(f"<dt>{escape(k)}</dt><dd>{html_cell(v)}</dd>" for k, v in b.items)
        return f"<dl>{items}</dl>\n"
    if isinstance(b, Pre):
        return f"<pre>{escape(b.text)}</pre>\n"
    if isinstance(b, Plot):
        return f"<figure>{b.svg.strip()}<figcaption>{escape(b.caption)}</figcaption></figure>\n"
    if isinstance(b, Table):
        rows = []
        head = "".join(f"<th>{escape(h)}</th>" for h in b.header)
        for r in b.rows:
            cells = "".join(
                f'<td class="n">{html_cell(c)}</td>' if _is_number(c) else f"<td>{html_cell(c)}</td>" for c in r
            )
            rows.append(f"<tr>{cells}</tr>")
        if not b.rows:
            return f"<p><strong>{escape(b.title)}</strong>: none.</p>\n"
        note = f'<p class="note">{escape(b.note())}</p>\n' if b.note() else ""
        return (
            f"<table><caption>{escape(b.title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>\n{note}"
        )
    raise TypeError(f"unknown block {type(b).__name__}")


def render_markdown(sections: list[Section], subtitle: str) -> str:
    out = [f"# {md_escape(TITLE)}\n\n{md_escape(subtitle)}\n"]
    for s in sections:
        out.append(f"\n## {md_escape(s.title)}\n")
        for b in s.blocks:
            out.append(_md_block(b))
    return "".join(out)


def _md_block(b) -> str:
    if isinstance(b, Para):
        return "\n" + "".join(md_cell(p) for p in b.parts) + "\n"
    if isinstance(b, Heading):
        return f"\n### {md_escape(b.text)}\n"
    if isinstance(b, Facts):
        return "\n" + "".join(f"- {md_escape(k)}: {md_cell(v)}\n" for k, v in b.items)
    if isinstance(b, Pre):
        fence = "~~~~"
        while fence in b.text:
            fence += "~"
        return f"\n{fence}\n{b.text.rstrip()}\n{fence}\n"
    if isinstance(b, Plot):
        return f"\n![{md_escape(b.caption)}](plots/{b.name})\n"
    if isinstance(b, Table):
        if not b.rows:
            return f"\n**{md_escape(b.title)}**: none.\n"
        lines = [f"\n**{md_escape(b.title)}**", ""]
        lines.append("| " + " | ".join(md_escape(h) for h in b.header) + " |")
        lines.append("|" + "|".join("---:" if b.rows and _is_number(c) else "---" for c in b.rows[0]) + "|")
        for r in b.rows:
            lines.append("| " + " | ".join(md_cell(c) for c in r) + " |")
        text = "\n".join(lines) + "\n"
        if b.note():
            text += f"\n_{md_escape(b.note())}_\n"
        return text
    raise TypeError(f"unknown block {type(b).__name__}")


# ------------------------------------------------------------------ reading tables


def _open_table(path: str, needed: Sequence[str]) -> tuple[object, dict[str, int], list[str]]:
    """Open a TSV and return (file, column index by name, header); the named
    columns must be there."""
    try:
        fh = open_text(path)
    except OSError as exc:
        raise RecordError(path, "", f"cannot read the table ({exc.strerror})") from None
    header = fh.readline().rstrip("\n").split("\t")
    missing = [c for c in needed if c not in header]
    if missing:
        fh.close()
        raise RecordError(path, "line 1", f"missing column(s) {', '.join(missing)}; found {', '.join(header)}")
    return fh, {c: i for i, c in enumerate(header)}, header


def _rows(fh, path: str, width: int) -> Iterator[list[str]]:
    for n, line in enumerate(fh, start=2):
        if not line.strip("\n"):
            continue
        cells = line.rstrip("\n").split("\t")
        if len(cells) != width:
            raise RecordError(path, f"line {n}", f"{len(cells)} cells where the header has {width}")
        yield cells


class FirstRows:
    """The first ``cap`` rows seen and how many there were."""

    def __init__(self, cap: int):
        self.cap = cap
        self.rows: list = []
        self.total = 0

    def add(self, row) -> None:
        self.total += 1
        if len(self.rows) < self.cap:
            self.rows.append(row)


def _int(text: str) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _float(text: str) -> float | None:
    try:
        v = float(text)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


@dataclass
class RecordStats:
    total: int = 0
    by_source: Counter = field(default_factory=Counter)
    by_source_organism: Counter = field(default_factory=Counter)
    gz_by_source: Counter = field(default_factory=Counter)
    source_files: list = field(default_factory=list)  # only for the per-entry count: paths


def read_records(path: str, entries: Sequence[str]) -> tuple[RecordStats, Counter]:
    """Counts of the accepted records, and per configured ``records`` entry."""
    stats = RecordStats()
    per_entry: Counter = Counter()
    prefixes = [(e, e.rstrip("/") + "/") for e in entries]
    fh, col, header = _open_table(path, ("record_id", "source", "source_file", "organism"))
    with fh:
        for cells in _rows(fh, path, len(header)):
            source, organism, sf = cells[col["source"]], cells[col["organism"]], cells[col["source_file"]]
            stats.total += 1
            stats.by_source[source] += 1
            stats.by_source_organism[(source, organism)] += 1
            if sf.endswith(".gz"):
                stats.gz_by_source[source] += 1
            for e, p in prefixes:
                if sf == e or sf.startswith(p):
                    per_entry[e] += 1
                    break
    log.info("records.tsv: %d accepted records", stats.total)
    return stats, per_entry


def _problem(reason: str) -> str:
    """The kind of problem of a rejection reason: the place (``line 3, column
    4:``, ``field 'tfs', entry 2:``) dropped, quoted values as '…', bytes as
    0x…, other numbers as N."""
    text = reason
    m = re.match(r"^(?:line|byte|field|front matter|record|images|column|entry)[^:]{0,80}:\s*(.+)$", text)
    if m:
        text = m.group(1)
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", text)
    text = re.sub(r"0x[0-9a-fA-F]+", "0x…", text)
    text = re.sub(r"(?<![\w.-])\d+(?:\.\d+)?(?![\w.])", "N", text)
    return text[:160]


def read_rejected(path: str, cap: int, entries: Sequence[str]) -> tuple[FirstRows, Counter, Counter]:
    first = FirstRows(cap)
    problems: Counter = Counter()
    per_entry: Counter = Counter()
    prefixes = [(e, e.rstrip("/") + "/") for e in entries]
    fh, col, header = _open_table(path, ("source_file", "reason"))
    with fh:
        for cells in _rows(fh, path, len(header)):
            sf, reason = cells[col["source_file"]], cells[col["reason"]]
            first.add([sf, reason])
            problems[_problem(reason)] += 1
            for e, p in prefixes:
                if sf == e or sf.startswith(p):
                    per_entry[e] += 1
                    break
    log.info("rejected_records.tsv: %d rejected records", first.total)
    return first, problems, per_entry


def read_generic(path: str, cap: int) -> tuple[list[str], FirstRows]:
    """Any TSV: its header and first rows (missing downloads, whose columns
    this step does not interpret)."""
    fh, _, header = _open_table(path, ())
    first = FirstRows(cap)
    with fh:
        for cells in _rows(fh, path, len(header)):
            first.add(cells)
    return header, first


@dataclass
class ProteinStats:
    status: Counter = field(default_factory=Counter)
    failed_checks: Counter = field(default_factory=Counter)
    failing: FirstRows = None
    points: list = field(default_factory=list)  # (length, delta, passed)


def read_protein_checks(path: str, cap: int) -> ProteinStats:
    stats = ProteinStats(failing=FirstRows(cap))
    needed = ("record_id", "uniprot_accession", "stated_length", "computed_length", "mass_delta_da", "status", "reason")
    fh, col, header = _open_table(path, needed)
    with fh:
        for cells in _rows(fh, path, len(header)):
            status = cells[col["status"]]
            stats.status[status] += 1
            length = _int(cells[col["computed_length"]])
            delta = _float(cells[col["mass_delta_da"]])
            if length and delta is not None:
                stats.points.append((length, delta, status == "pass"))
            if status != "pass":
                reason = cells[col["reason"]]
                for failure in reason.split("; "):
                    stats.failed_checks[failure.split(" ", 1)[0] or "(no reason given)"] += 1
                stats.failing.add(
                    [
                        cells[col["record_id"]],
                        uniprot_link(cells[col["uniprot_accession"]]) or cells[col["uniprot_accession"]],
                        (
                            _int(cells[col["stated_length"]])
                            if _int(cells[col["stated_length"]]) is not None
                            else cells[col["stated_length"]]
                        ),
                        length,
                        delta,
                        reason,
                    ]
                )
    log.info("protein_checks.tsv: %s", ", ".join(f"{k} {v}" for k, v in sorted(stats.status.items())) or "empty")
    return stats


@dataclass
class InteractionStats:
    total: int = 0
    sources: Counter = field(default_factory=Counter)
    small_scale: Counter = field(default_factory=Counter)
    methods: Counter = field(default_factory=Counter)
    organisms: Counter = field(default_factory=Counter)
    origins: Counter = field(default_factory=Counter)
    tf_targets: Counter = field(default_factory=Counter)
    target_tfs: Counter = field(default_factory=Counter)
    tf_names: dict = field(default_factory=dict)


def _split_counts(raw: Counter) -> Counter:
    """Counts of ``;``-joined values -> counts of each value."""
    out: Counter = Counter()
    for value, n in raw.items():
        for v in {x.strip() for x in value.split(";")}:
            if v:
                out[v] += n
    return out


def read_interactions(path: str) -> InteractionStats:
    """One pass over interactions.tsv (millions of rows): counts only.

    Repeated field values (source lists, methods, organisms) are counted as
    whole strings and split once at the end, which keeps the per-row work to
    a few dictionary updates.
    """
    st = InteractionStats()
    needed = (
        "tf_uniprot",
        "target_uniprot",
        "tf_name",
        "detection_methods",
        "organism",
        "source_databases",
        "small_scale_evidence",
    )
    fh, col, header = _open_table(path, needed)
    i_tf, i_target, i_name = col["tf_uniprot"], col["target_uniprot"], col["tf_name"]
    i_src, i_small, i_meth, i_org = (
        col["source_databases"],
        col["small_scale_evidence"],
        col["detection_methods"],
        col["organism"],
    )
    i_orig = col.get("origins")
    sources: Counter = Counter()
    methods: Counter = Counter()
    origins: Counter = Counter()
    width = len(header)
    with fh:
        for cells in _rows(fh, path, width):
            st.total += 1
            tf = cells[i_tf]
            st.tf_targets[tf] += 1
            st.target_tfs[cells[i_target]] += 1
            if tf not in st.tf_names and cells[i_name]:
                st.tf_names[tf] = cells[i_name]
            sources[cells[i_src]] += 1
            methods[cells[i_meth]] += 1
            st.small_scale[cells[i_small] or "(empty)"] += 1
            st.organisms[cells[i_org] or "(empty)"] += 1
            if i_orig is not None:
                origins[cells[i_orig]] += 1
            if st.total % PROGRESS_EVERY == 0:
                log.info("interactions.tsv: %d rows read", st.total)
    st.sources, st.methods = _split_counts(sources), _split_counts(methods)
    # origins name each input (page:tflink-X, download:tfs_of_X.tsv, table:...): counted by kind
    st.origins = _split_counts(
        Counter({";".join({o.split(":", 1)[0] for o in k.split(";")}): n for k, n in origins.items()})
    )
    log.info("interactions.tsv: %d interactions, %d TFs, %d targets", st.total, len(st.tf_targets), len(st.target_tfs))
    return st


# ---- the fold-change matrix (rows cell types, columns genes)


def _matrix_values(cells: list[str]) -> np.ndarray:
    arr = np.array(cells, dtype=object)
    arr[arr == ""] = "nan"
    return arr.astype(np.float64)


def cluster_order(m: np.ndarray) -> list[int]:
    """Leaf order of average-linkage (UPGMA) clustering of the rows of ``m``
    (Euclidean distance; empty cells count as 0). Deterministic: ties go to
    the lowest indexes. Meant for the few dozen rows of a heatmap."""
    n = m.shape[0]
    if n <= 2:
        return list(range(n))
    x = np.nan_to_num(m, nan=0.0)
    d = np.sqrt(np.maximum(((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2), 0.0))
    leaves = {i: [i] for i in range(n)}
    active = list(range(n))
    dist = {(i, j): float(d[i, j]) for i in range(n) for j in range(i + 1, n)}
    next_id = n
    while len(active) > 1:
        a, b = min(((i, j) for k, i in enumerate(active) for j in active[k + 1 :]), key=lambda p: (dist[p], p))
        na, nb = len(leaves[a]), len(leaves[b])
        leaves[next_id] = leaves.pop(a) + leaves.pop(b)
        active = [c for c in active if c not in (a, b)]
        for c in active:
            da = dist[(min(a, c), max(a, c))]
            db = dist[(min(b, c), max(b, c))]
            dist[(c, next_id)] = (na * da + nb * db) / (na + nb)
        active.append(next_id)
        next_id += 1
    return leaves[active[0]]


@dataclass
class Heatmap:
    genes: list[str]
    cell_types: list[str]
    values: list[list]  # genes x cell types, None where empty
    n_genes: int
    n_cell_types: int
    n_values: int


def read_fold_change(path: str, max_genes: int, max_cell_types: int) -> Heatmap:
    """The heatmap data of the fold-change matrix, in two streaming passes.

    Pass 1 ranks the genes by the root mean square of their fold changes
    (strongest changes first) and keeps the top ``max_genes``; pass 2 reads
    only those columns, ranks the cell types the same way over the kept genes
    and keeps the top ``max_cell_types``. Both are then ordered by
    average-linkage clustering. Memory: a few numbers per gene, and cell
    types x kept genes.
    """
    fh, col, header = _open_table(path, ("cell_ontology_id", "cell_name"))
    first_gene = max(col["cell_ontology_id"], col["cell_name"]) + 1
    genes = header[first_gene:]
    n_genes = len(genes)
    count = np.zeros(n_genes)
    sumsq = np.zeros(n_genes)
    n_rows = n_values = 0
    with fh:
        for cells in _rows(fh, path, len(header)):
            v = _matrix_values(cells[first_gene:])
            ok = ~np.isnan(v)
            count += ok
            sumsq += np.where(ok, v * v, 0.0)
            n_rows += 1
            n_values += int(ok.sum())
    if not n_genes or not n_rows:
        return Heatmap([], [], [], n_genes, n_rows, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rms = np.where(count > 0, np.sqrt(sumsq / np.maximum(count, 1)), -1.0)
    order = sorted(range(n_genes), key=lambda j: (-rms[j], genes[j], j))
    keep = sorted(j for j in order[:max_genes] if count[j] > 0)
    if not keep:
        return Heatmap([], [], [], n_genes, n_rows, n_values)
    idx = np.array(keep) + first_gene
    names: list[str] = []
    rows: list[np.ndarray] = []
    fh, col, header = _open_table(path, ("cell_ontology_id", "cell_name"))
    with fh:
        for cells in _rows(fh, path, len(header)):
            v = _matrix_values([cells[i] for i in idx])
            if np.isnan(v).all():
                continue
            label = cells[col["cell_name"]] or cells[col["cell_ontology_id"]]
            names.append(f"{label} ({cells[col['cell_ontology_id']]})" if cells[col["cell_name"]] else label)
            rows.append(v)
    if not rows:
        return Heatmap([], [], [], n_genes, n_rows, n_values)
    m = np.vstack(rows)  # cell types x kept genes
    ok = ~np.isnan(m)
    with np.errstate(invalid="ignore", divide="ignore"):
        row_rms = np.sqrt(np.where(ok, m * m, 0.0).sum(axis=1) / np.maximum(ok.sum(axis=1), 1))
    row_keep = sorted(sorted(range(len(names)), key=lambda i: (-row_rms[i], names[i], i))[:max_cell_types])
    sub = m[row_keep, :].T  # kept genes x kept cell types
    g_order = cluster_order(sub)
    c_order = cluster_order(sub.T)
    values = [[None if math.isnan(sub[g, c]) else float(sub[g, c]) for c in c_order] for g in g_order]
    return Heatmap(
        [genes[keep[g]] for g in g_order],
        [names[row_keep[c]] for c in c_order],
        values,
        n_genes,
        n_rows,
        n_values,
    )


@dataclass
class InsituStats:
    rows: int = 0
    images: set = field(default_factory=set)
    genes: set = field(default_factory=set)
    cells: Counter = field(default_factory=Counter)  # (location, stage column) -> image-location rows
    location_genes: dict = field(default_factory=lambda: defaultdict(set))
    location_stages: dict = field(default_factory=lambda: defaultdict(set))
    other_labels: Counter = field(default_factory=Counter)


def read_insitu(path: str) -> InsituStats:
    """Counts of in situ images per anatomical location and HH stage."""
    st = InsituStats()
    needed = ("record_id", "stage", "hh_stage", "location", "image_url")
    fh, col, header = _open_table(path, needed)
    with fh:
        for cells in _rows(fh, path, len(header)):
            st.rows += 1
            rid, loc = cells[col["record_id"]], cells[col["location"]]
            hh = _int(cells[col["hh_stage"]])
            stage = hh if hh is not None else "other"
            if hh is None:
                st.other_labels[cells[col["stage"]] or "(empty)"] += 1
            st.cells[(loc, stage)] += 1
            st.genes.add(rid)
            st.images.add((rid, cells[col["image_url"]], cells[col["stage"]]))
            st.location_genes[loc].add(rid)
            st.location_stages[loc].add(stage)
    log.info("insitu_expression.tsv: %d rows, %d genes, %d locations", st.rows, len(st.genes), len(st.location_genes))
    return st


# ---- genes (dossiers)


def _n(values: str) -> int:
    return len([v for v in (values or "").split(";") if v])


def read_genes(path: str, cap: int) -> tuple[int, list[dict]]:
    """The ``cap`` genes seen by the most sources (then with the most records,
    then in file order), and the number of genes."""
    needed = ("organism", "ncbi_gene_id", "symbols", "record_ids", "sources")
    fh, col, header = _open_table(path, needed)
    total = 0

    def stream() -> Iterator[tuple]:
        nonlocal total
        for cells in _rows(fh, path, len(header)):
            total += 1
            row = dict(zip(header, cells))
            # ties keep the order of genes.tsv (organism, then NCBI gene id)
            yield (-_n(row["sources"]), -_n(row["record_ids"]), total), row

    with fh:
        best = heapq.nsmallest(cap, stream(), key=lambda kr: kr[0])
    log.info("genes.tsv: %d genes, %d in dossiers", total, len(best))
    return total, [row for _, row in best]


def read_record_rows(path: str, wanted: set[str]) -> dict[str, dict]:
    fh, col, header = _open_table(path, ("record_id",))
    out = {}
    with fh:
        for cells in _rows(fh, path, len(header)):
            if cells[col["record_id"]] in wanted:
                out[cells[col["record_id"]]] = dict(zip(header, cells))
    return out


# ------------------------------------------------------------------ inputs on disk


def _folder_stats(folder: str) -> tuple[int, int]:
    n = size = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in files:
            if not f.startswith("."):
                n += 1
                try:
                    size += os.path.getsize(os.path.join(root, f))
                except OSError:
                    pass
    return n, size


def _size(n_bytes: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if n_bytes < 1000 or unit == "TB":
            return f"{n_bytes:,} {unit}" if unit == "bytes" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1000
    return ""


# ------------------------------------------------------------------ the sections


def _top(counter: Counter, n: int) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))[:n]


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def _run_section(
    config: dict,
    stats: RecordStats,
    n_rejected: int,
    per_entry: Counter,
    rej_entry: Counter,
    versions: list[tuple[str, str]],
) -> Section:
    s = Section("run", "The run")
    s.blocks.append(
        Facts(
            [
                ("record files read", stats.total + n_rejected),
                ("records accepted", stats.total),
                ("records rejected", n_rejected),
                ("on_bad_record", config.get("on_bad_record", "")),
            ]
        )
    )
    rows = []
    for e in config.get("records", []):
        kind = "folder" if os.path.isdir(e) else "file" if os.path.isfile(e) else "missing"
        rows.append([e, kind, per_entry.get(e, 0), rej_entry.get(e, 0)])
    s.blocks.append(Table("Record inputs (config: records)", ["path", "kind", "accepted", "rejected"], rows, len(rows)))
    rows = []
    for src in sorted(stats.by_source, key=lambda x: (SOURCE_ORDER.index(x) if x in SOURCE_ORDER else 9, x)):
        rows.append([src, SOURCE_FORMATS.get(src, "other"), stats.by_source[src], stats.gz_by_source.get(src, 0)])
    s.blocks.append(Table("Record formats", ["source", "format", "records", "gzipped"], rows, len(rows)))
    rows = []
    for folder in config.get("tflink_downloads", []):
        if os.path.isdir(folder):
            n, size = _folder_stats(folder)
            rows.append(["TFLink downloads (tflink_downloads)", folder, n, _size(size)])
        else:
            rows.append(["TFLink downloads (tflink_downloads)", folder, 0, "missing"])
    for table in config.get("interaction_tables", []):
        size = os.path.getsize(table) if os.path.isfile(table) else None
        rows.append(
            [
                "interaction table (interaction_tables)",
                table,
                1 if size is not None else 0,
                _size(size) if size is not None else "missing",
            ]
        )
    s.blocks.append(Table("Other inputs", ["kind", "path", "files", "size"], rows, len(rows)))
    s.blocks.append(
        Table("Workflow and package versions", ["component", "version"], [list(v) for v in versions], len(versions))
    )
    s.blocks.append(Heading("Config in effect"))
    s.blocks.append(
        Para(
            [
                "Every key but those that only schedule the work and never change a result ("
                + ", ".join(".".join(p) for p in EXECUTION_KEYS)
                + ")."
            ]
        )
    )
    s.blocks.append(
        Pre(yaml.safe_dump(shown_config(config), sort_keys=True, allow_unicode=True, default_flow_style=False))
    )
    return s


def _records_section(
    stats: RecordStats, rejected: FirstRows, problems: Counter, missing: tuple[list[str], FirstRows] | None, cap: int
) -> Section:
    s = Section("records", "Records")
    s.blocks.append(
        Para(
            [
                f"{stats.total:,} accepted records from {len(stats.by_source)} source(s) and "
                f"{len({o for _, o in stats.by_source_organism}):,} organism(s); {rejected.total:,} rejected."
            ]
        )
    )
    combos = sorted(
        stats.by_source_organism.items(),
        key=lambda kv: (SOURCE_ORDER.index(kv[0][0]) if kv[0][0] in SOURCE_ORDER else 9, kv[0][0], -kv[1], kv[0][1]),
    )
    rows = [[src, org or "(none)", n, _pct(n, stats.total)] for (src, org), n in combos]
    s.blocks.append(
        Table(
            "Records per source and organism",
            ["source", "organism", "records", "share"],
            rows[:cap],
            len(rows),
            "results/tables/records.tsv",
            "by source, most records first",
        )
    )
    bars = [(f"{src} / {org or '(none)'}", n) for (src, org), n in combos[:30]]
    s.blocks.append(
        Plot(
            "records_by_source.svg",
            plots.bar_chart(bars, "Records per source and organism", "records"),
            "Accepted records per source and organism"
            + (f" (the {len(bars)} largest of {len(combos)} groups)." if len(combos) > len(bars) else "."),
        )
    )
    s.blocks.append(Heading("Rejected records"))
    prob_rows = [[p, n] for p, n in _top(problems, cap)]
    s.blocks.append(
        Table(
            "Rejections by problem",
            ["problem", "records"],
            prob_rows,
            len(problems),
            "results/qc/rejected_records.tsv",
            "most frequent first",
        )
    )
    s.blocks.append(
        Table(
            "Rejected records",
            ["source_file", "reason"],
            rejected.rows,
            rejected.total,
            "results/qc/rejected_records.tsv",
            "in file order",
        )
    )
    s.blocks.append(Heading("Missing downloads"))
    if missing is None:
        s.blocks.append(Para(["Not produced by this run (no interactions stage)."]))
    else:
        header, first = missing
        s.blocks.append(Para([f"{first.total:,} download(s) named by pages were not found in tflink_downloads."]))
        s.blocks.append(
            Table(
                "Missing downloads",
                header,
                first.rows,
                first.total,
                "results/qc/missing_downloads.tsv",
                "in file order",
            )
        )
    return s


def _protein_section(ps: ProteinStats | None, config: dict) -> Section:
    s = Section("proteins", "Protein QC")
    if ps is None:
        s.blocks.append(Para(["Not produced by this run."]))
        return s
    n = sum(ps.status.values())
    n_pass = ps.status.get("pass", 0)
    qc = config.get("protein_qc", {}) or {}
    tol_da, tol_res = qc.get("mass_tolerance_da"), qc.get("mass_tolerance_da_per_residue")
    s.blocks.append(
        Facts(
            [
                ("proteins checked", n),
                ("passed", n_pass),
                ("failed", n - n_pass),
                ("pass rate", _pct(n_pass, n)),
                ("mass tolerance", f"{tol_da} Da + {tol_res} Da per residue" if tol_da is not None else "default"),
            ]
        )
    )
    s.blocks.append(
        Table(
            "Failed checks",
            ["check", "proteins"],
            [[k, v] for k, v in _top(ps.failed_checks, 50)],
            len(ps.failed_checks),
        )
    )
    s.blocks.append(
        Table(
            "Failing proteins",
            ["record_id", "uniprot_accession", "stated_length", "computed_length", "mass_delta_da", "reason"],
            ps.failing.rows,
            ps.failing.total,
            "results/qc/protein_checks.tsv",
            "by record_id",
        )
    )
    s.blocks.append(
        Plot(
            "protein_mass_delta.svg",
            plots.mass_delta_plot(ps.points, tol_da, tol_res),
            "Stated minus computed average mass against sequence length; dashed: the tolerance "
            "window. Length and CRC64 must match exactly, so a protein can fail inside the window.",
        )
    )
    return s


def _interactions_section(st: InteractionStats | None, cap: int) -> Section:
    s = Section("interactions", "Interactions")
    if st is None:
        s.blocks.append(Para(["Not produced by this run (no interactions stage)."]))
        return s
    s.blocks.append(
        Facts(
            [
                ("interactions (distinct TF-target pairs)", st.total),
                ("TFs", len(st.tf_targets)),
                ("targets", len(st.target_tfs)),
                ("organisms", len(st.organisms)),
            ]
        )
    )
    s.blocks.append(
        Table(
            "By source database",
            ["source database", "interactions", "share"],
            [[k, v, _pct(v, st.total)] for k, v in _top(st.sources, cap)],
            len(st.sources),
            "results/tables/interactions.tsv",
            "most first",
        )
    )
    s.blocks.append(
        Table(
            "By small-scale evidence",
            ["small_scale_evidence", "interactions", "share"],
            [[k, v, _pct(v, st.total)] for k, v in _top(st.small_scale, cap)],
            len(st.small_scale),
        )
    )
    s.blocks.append(
        Table(
            "By detection method",
            ["detection method", "interactions"],
            [[k, v] for k, v in _top(st.methods, 30)],
            len(st.methods),
            "results/tables/interactions.tsv",
            "most first",
        )
    )
    s.blocks.append(
        Table(
            "By organism", ["organism", "interactions"], [[k, v] for k, v in _top(st.organisms, cap)], len(st.organisms)
        )
    )
    if st.origins:
        s.blocks.append(
            Table(
                "By kind of input that asserted it (origins)",
                ["kind", "interactions", "share"],
                [[k, v, _pct(v, st.total)] for k, v in _top(st.origins, cap)],
                len(st.origins),
            )
        )
    top = _top(st.tf_targets, 25)
    rows = [[uniprot_link(tf) or tf, st.tf_names.get(tf, ""), n, tflink_link(tf) or ""] for tf, n in top]
    s.blocks.append(
        Table(
            "Top TFs by number of targets",
            ["tf_uniprot", "tf_name", "targets", "TFLink"],
            rows,
            len(st.tf_targets),
            "results/tf_targets/index.tsv",
            "most targets first",
        )
    )
    s.blocks.append(
        Plot(
            "interaction_degrees.svg",
            plots.degree_plot(Counter(st.tf_targets.values()), Counter(st.target_tfs.values())),
            "How many TFs have k targets (blue) and how many targets have k TFs (orange), "
            "k in doubling bins; counts on a log scale.",
        )
    )
    return s


def _expression_section(hm: Heatmap | None, ins: InsituStats | None, cap: int, max_locations: int) -> Section:
    s = Section("expression", "Expression")
    s.blocks.append(Heading("Single-cell fold change (Genular)"))
    if hm is None:
        s.blocks.append(Para(["Not produced by this run."]))
    else:
        s.blocks.append(Facts([("genes", hm.n_genes), ("cell types", hm.n_cell_types), ("values", hm.n_values)]))
        shown = (
            f"the {len(hm.genes)} genes with the strongest fold changes (root mean square) of {hm.n_genes:,} and "
            f"the {len(hm.cell_types)} cell types with the strongest changes among them of {hm.n_cell_types:,}"
        )
        vmax = max([abs(v) for r in hm.values for v in r if v is not None] + [0.0])
        s.blocks.append(
            Plot(
                "fold_change_heatmap.svg",
                plots.heatmap(
                    "Fold change: genes x cell types",
                    hm.genes,
                    hm.cell_types,
                    hm.values,
                    diverging=True,
                    value_label="fold change",
                    vmax=vmax or 1.0,
                ),
                f"Fold change per gene (rows) and cell type (columns), both ordered by average-linkage "
                f"clustering; grey: no value. Shown: {shown}. Every value is in "
                f"results/tables/cell_expression_fold_change.tsv.",
            )
        )
    s.blocks.append(Heading("In situ hybridisation (GEISHA)"))
    if ins is None:
        s.blocks.append(Para(["Not produced by this run."]))
        return s
    s.blocks.append(
        Facts(
            [
                ("genes", len(ins.genes)),
                ("images", len(ins.images)),
                ("image-location rows", ins.rows),
                ("anatomical locations", len(ins.location_genes)),
                ("rows with a stage label that is not an HH number", sum(ins.other_labels.values())),
            ]
        )
    )
    locs = sorted(ins.location_genes, key=lambda loc: (-len(ins.location_genes[loc]), loc))[:max_locations]
    stages = sorted({st for (_, st) in ins.cells if st != "other"})
    columns = [*stages, *(["other"] if any(st == "other" for (_, st) in ins.cells) else [])]
    values = [[ins.cells.get((loc, st)) or None for st in columns] for loc in locs]
    s.blocks.append(
        Plot(
            "insitu_stage_location.svg",
            plots.heatmap(
                "In situ: anatomical location x HH stage",
                locs,
                [f"HH {c}" if c != "other" else "other label" for c in columns],
                values,
                diverging=False,
                value_label="images",
                cell=14,
            ),
            f"Images per anatomical location (rows: the {len(locs)} locations with the most genes of "
            f"{len(ins.location_genes):,}) and Hamburger-Hamilton stage (columns; 'other label': "
            f"stages such as 'stage XII' or 'unknown' that are not an HH number); grey: none. Every row "
            f"is in results/tables/insitu_expression.tsv.",
        )
    )
    rows = []
    for loc in sorted(ins.location_genes, key=lambda loc: (-len(ins.location_genes[loc]), loc))[:cap]:
        numeric = sorted(x for x in ins.location_stages[loc] if x != "other")
        span = (
            "" if not numeric else f"HH {numeric[0]}" if numeric[0] == numeric[-1] else f"HH {numeric[0]}-{numeric[-1]}"
        )
        images = sum(ins.cells.get((loc, st), 0) for st in columns)
        rows.append([loc, len(ins.location_genes[loc]), images, span])
    s.blocks.append(
        Table(
            "Anatomical locations",
            ["location", "genes", "images", "stages"],
            rows,
            len(ins.location_genes),
            "results/tables/insitu_matrix.tsv",
            "most genes first",
        )
    )
    if ins.other_labels:
        s.blocks.append(
            Table(
                "Stage labels without an HH number",
                ["stage label", "rows"],
                [[k, v] for k, v in _top(ins.other_labels, 30)],
                len(ins.other_labels),
            )
        )
    return s


def _dossier_section(total: int, genes: list[dict], recs: dict[str, dict]) -> Section:
    s = Section("genes", "Genes")
    s.blocks.append(
        Para(
            [
                f"{total:,} genes (records of one organism that share an NCBI gene id). "
                f"Dossiers of {len(genes):,}"
                + (
                    " (those seen by the most sources, then with the most records; every "
                    "gene is in results/tables/genes.tsv)."
                    if len(genes) < total
                    else "."
                )
                + " Links go to the original portals; nothing is loaded from them."
            ]
        )
    )
    for g in genes:
        symbols = g.get("symbols") or "(no symbol)"
        organism = g.get("organism") or "(no organism)"
        s.blocks.append(Heading(f"{symbols.replace(';', ', ')} — {organism}"))
        facts = [
            ("NCBI gene", _links(g.get("ncbi_gene_id", ""), ncbi_link) or "none"),
            ("sources", (g.get("sources") or "").replace(";", ", ")),
        ]
        says = {
            "cell_types": "cell types with a fold change (Genular)",
            "cell_types_positive_fc": "of which fold change > 0",
            "tfs": "TFs regulating it (interactions)",
            "targets": "targets it regulates (interactions)",
            "insitu_images": "in situ images (GEISHA)",
            "insitu_stages": "in situ stages (GEISHA)",
            "protein_qc": "protein QC",
            "ortholog_links": "linked orthologous records",
        }
        for key, label in says.items():
            v = g.get(key, "")
            if v not in ("", None) and not (key in ("tfs", "targets", "ortholog_links") and v == "0"):
                facts.append((label, _int(v) if _int(v) is not None else v.replace(";", ", ")))
        s.blocks.append(Facts(facts))
        rows = []
        for rid in [r for r in (g.get("record_ids") or "").split(";") if r]:
            r = recs.get(rid, {})
            src = r.get("source", "")
            links: list = []
            links += _links(r.get("uniprot_accession", ""), uniprot_link)
            links += _links(r.get("ensembl_gene_id", ""), ensembl_link)
            if src == "tflink":
                links += [x for x in (tflink_link(a) for a in r.get("uniprot_accession", "").split(";")) if x]
            if src == "geisha":
                links += [x for x in (geisha_link(a) for a in r.get("ncbi_gene_id", "").split(";")) if x]
            rows.append(
                [rid, src, r.get("symbol", ""), r.get("name", ""), _links(r.get("ncbi_gene_id", ""), ncbi_link), links]
            )
        s.blocks.append(
            Table("Records", ["record_id", "source", "symbol", "name", "NCBI gene", "links"], rows, len(rows))
        )
    return s


# ------------------------------------------------------------------ MultiQC


MQC_COLUMNS = (
    ("records", "Records", "accepted records"),
    ("records_rejected", "Rejected", "records rejected (see results/qc/rejected_records.tsv)"),
    ("genular", "Genular", "accepted Genular gene pages"),
    ("tflink", "TFLink", "accepted TFLink protein pages"),
    ("geisha", "GEISHA", "accepted GEISHA gene pages"),
    ("proteins_checked", "Proteins", "protein sequences checked"),
    ("proteins_failed", "Proteins failed", "proteins whose length, mass or CRC64 does not match"),
    ("interactions", "Interactions", "distinct TF-target pairs"),
    ("missing_downloads", "Missing downloads", "TFLink downloads named by pages but not found"),
    ("genes", "Genes", "genes (records of one organism sharing an NCBI gene id)"),
)


def multiqc_tsv(values: dict[str, int | None], sample: str = "gene-records") -> str:
    """MultiQC custom content: a table with one row (this run), its columns
    described in the YAML header that MultiQC reads from the ``#`` lines."""
    lines = [
        "# id: 'gene_records'",
        "# section_name: 'gene-records'",
        "# description: 'QC summary of the gene-records workflow: records accepted and rejected, "
        "protein checks, interactions.'",
        "# plot_type: 'table'",
        "# pconfig:",
        "#     id: 'gene_records_table'",
        "#     title: 'gene-records: QC summary'",
        "#     namespace: 'gene-records'",
        "# headers:",
    ]
    for key, title, desc in MQC_COLUMNS:
        lines += [
            f"#     {key}:",
            f"#         title: '{title}'",
            f"#         description: '{desc}'",
            "#         format: '{:,.0f}'",
        ]
        if key in ("records_rejected", "proteins_failed", "missing_downloads"):
            lines.append("#         scale: 'OrRd'")
    lines.append("\t".join(["Sample", *(k for k, _, _ in MQC_COLUMNS)]))
    lines.append("\t".join([sample, *("" if values.get(k) is None else str(values[k]) for k, _, _ in MQC_COLUMNS)]))
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ the step


def build_report(
    records: str,
    rejected: str,
    html: str,
    markdown: str,
    multiqc: str,
    plot_records: str,
    plot_proteins: str,
    plot_degrees: str,
    plot_heatmap: str,
    plot_insitu: str,
    table_sources: str,
    table_protein_failures: str,
    table_top_tfs: str,
    config: dict,
    protein_checks: str = "",
    interactions: str = "",
    missing_downloads: str = "",
    fold_change: str = "",
    insitu: str = "",
    genes: str = "",
    max_table_rows: int = 200,
    max_genes: int = 200,
    heatmap_max_genes: int = 50,
    heatmap_max_cell_types: int = 60,
    max_locations: int = 40,
) -> None:
    """Write the summary report of a run.

    Reads records.tsv and rejected_records.tsv, and (each optional: an empty
    value leaves its section saying it was not produced) protein_checks.tsv,
    interactions.tsv, missing_downloads.tsv, the fold-change matrix,
    insitu_expression.tsv and genes.tsv. Writes ``html`` (one self-contained
    page), ``markdown`` (the same facts), ``multiqc`` (MultiQC custom
    content), the five plots as SVG files (also inline in the page) and three
    small TSV tables for Snakemake's report. ``config`` is the config in
    effect (shown on the page).
    """
    for name, value in (
        ("max_table_rows", max_table_rows),
        ("max_genes", max_genes),
        ("heatmap_max_genes", heatmap_max_genes),
        ("heatmap_max_cell_types", heatmap_max_cell_types),
        ("max_locations", max_locations),
    ):
        if value < 1:
            raise ConfigError(f"report: {name} must be at least 1, not {value}")
    cap = max_table_rows
    entries = list(config.get("records", []))
    stats, per_entry = read_records(records, entries)
    rej, problems, rej_entry = read_rejected(rejected, cap, entries)
    missing = read_generic(missing_downloads, cap) if missing_downloads else None
    ps = read_protein_checks(protein_checks, cap) if protein_checks else None
    ist = read_interactions(interactions) if interactions else None
    hm = read_fold_change(fold_change, heatmap_max_genes, heatmap_max_cell_types) if fold_change else None
    if hm is not None:
        log.info(
            "fold-change matrix: %d genes x %d cell types; heatmap %d x %d",
            hm.n_genes,
            hm.n_cell_types,
            len(hm.genes),
            len(hm.cell_types),
        )
    ins = read_insitu(insitu) if insitu else None
    if genes:
        n_genes, dossier_genes = read_genes(genes, max_genes)
        wanted = {r for g in dossier_genes for r in (g.get("record_ids") or "").split(";") if r}
        recs = read_record_rows(records, wanted)
    else:
        n_genes, dossier_genes, recs = None, [], {}
    versions = version_rows()

    sections = [
        _run_section(config, stats, rej.total, per_entry, rej_entry, versions),
        _records_section(stats, rej, problems, missing, cap),
        _protein_section(ps, config),
        _interactions_section(ist, cap),
        _expression_section(hm, ins, cap, max_locations),
    ]
    if n_genes is not None:
        sections.append(_dossier_section(n_genes, dossier_genes, recs))
    else:
        sections.append(Section("genes", "Genes", [Para(["Not produced by this run (no genes.tsv)."])]))
    subtitle = (
        f"{stats.total:,} records accepted, {rej.total:,} rejected"
        + (f"; {sum(ps.status.values()):,} proteins checked, {ps.status.get('pass', 0):,} passed" if ps else "")
        + (f"; {ist.total:,} interactions" if ist else "")
        + f". gene-records {__version__}."
    )
    write_text(html, render_html(sections, subtitle))
    write_text(markdown, render_markdown(sections, subtitle))
    log.info("wrote %s and %s", html, markdown)

    plot_files = {
        "records_by_source.svg": plot_records,
        "protein_mass_delta.svg": plot_proteins,
        "interaction_degrees.svg": plot_degrees,
        "fold_change_heatmap.svg": plot_heatmap,
        "insitu_stage_location.svg": plot_insitu,
    }
    made = {b.name: b.svg for sec in sections for b in sec.blocks if isinstance(b, Plot)}
    placeholders = {
        "protein_mass_delta.svg": "Protein QC",
        "interaction_degrees.svg": "Interactions",
        "fold_change_heatmap.svg": "Fold change",
        "insitu_stage_location.svg": "In situ",
    }
    for name, path in plot_files.items():
        write_text(path, made.get(name) or plots.no_data(placeholders.get(name, name), "not produced by this run"))

    write_tsv(
        table_sources,
        ("source", "organism", "records"),
        sorted(([s, o, n] for (s, o), n in stats.by_source_organism.items()), key=lambda r: (r[0], -r[2], r[1])),
    )
    write_tsv(
        table_protein_failures,
        ("record_id", "uniprot_accession", "stated_length", "computed_length", "mass_delta_da", "reason"),
        ([r[0], r[1].text if isinstance(r[1], Link) else r[1], *r[2:]] for r in (ps.failing.rows if ps else [])),
    )
    write_tsv(
        table_top_tfs,
        ("tf_uniprot", "tf_name", "targets"),
        ([tf, ist.tf_names.get(tf, ""), n] for tf, n in _top(ist.tf_targets, 100)) if ist else [],
    )

    n_fail = (sum(ps.status.values()) - ps.status.get("pass", 0)) if ps else None
    values = {
        "records": stats.total,
        "records_rejected": rej.total,
        "genular": stats.by_source.get("genular", 0),
        "tflink": stats.by_source.get("tflink", 0),
        "geisha": stats.by_source.get("geisha", 0),
        "proteins_checked": sum(ps.status.values()) if ps else None,
        "proteins_failed": n_fail,
        "interactions": ist.total if ist else None,
        "missing_downloads": missing[1].total if missing else None,
        "genes": n_genes,
    }
    write_text(multiqc, multiqc_tsv(values))
    log.info("report done: %d sections, %d plots", len(sections), len(plot_files))
