"""The report's nine table readers and the summaries they return.

Each reader streams one input table once (the fold-change matrix twice)
through its declaration in :mod:`gene_records.tables`: the header is checked
against the declaration (a mismatch is a one-line :class:`RecordError` naming
the file and the difference) and columns are found by name. What is kept is
bounded: counters, the first ``cap`` rows (:class:`FirstRows`), the heatmap's
top genes and cell types, the dossiers' genes.
"""

from __future__ import annotations

import heapq
import logging
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import compress, islice
from operator import itemgetter
from typing import Iterator, Sequence

import numpy as np

from .. import tables
from .cluster import cluster_order
from .model import uniprot_link

log = logging.getLogger("gene_records")

PROGRESS_EVERY = 1_000_000
CHUNK_ROWS = 256


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


def to_int(text: str) -> int | None:
    """The integer a cell holds, or ``None``."""
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def to_float(text: str) -> float | None:
    """The finite number a cell holds, or ``None``."""
    try:
        v = float(text)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _entry_of(source_file: str, prefixes: list[tuple[str, str]]) -> str | None:
    """The configured ``records`` entry a file was found under."""
    for e, p in prefixes:
        if source_file == e or source_file.startswith(p):
            return e
    return None


# ------------------------------------------------------------------ records


@dataclass
class RecordStats:
    total: int = 0
    by_source: Counter = field(default_factory=Counter)
    by_source_organism: Counter = field(default_factory=Counter)
    gz_by_source: Counter = field(default_factory=Counter)
    source_files: list = field(default_factory=list)  # only for the per-entry count: paths


def read_records(path: str, entries: Sequence[str]) -> tuple[RecordStats, Counter]:
    """Counts of the accepted records (records.tsv), and per configured ``records`` entry."""
    stats = RecordStats()
    per_entry: Counter = Counter()
    prefixes = [(e, e.rstrip("/") + "/") for e in entries]
    with tables.RECORDS.read(path) as r:
        i_source, i_organism, i_file = r.col("source"), r.col("organism"), r.col("source_file")
        for cells in r:
            source, organism, sf = cells[i_source], cells[i_organism], cells[i_file]
            stats.total += 1
            stats.by_source[source] += 1
            stats.by_source_organism[(source, organism)] += 1
            if sf.endswith(".gz"):
                stats.gz_by_source[source] += 1
            e = _entry_of(sf, prefixes)
            if e is not None:
                per_entry[e] += 1
    log.info("records.tsv: %d accepted records", stats.total)
    return stats, per_entry


def problem_kind(reason: str) -> str:
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
    """The first rows of rejected_records.tsv, the rejections by problem and
    per configured ``records`` entry."""
    first = FirstRows(cap)
    problems: Counter = Counter()
    per_entry: Counter = Counter()
    prefixes = [(e, e.rstrip("/") + "/") for e in entries]
    with tables.REJECTED_RECORDS.read(path) as r:
        i_file, i_reason = r.col("source_file"), r.col("reason")
        for cells in r:
            sf, reason = cells[i_file], cells[i_reason]
            first.add([sf, reason])
            problems[problem_kind(reason)] += 1
            e = _entry_of(sf, prefixes)
            if e is not None:
                per_entry[e] += 1
    log.info("rejected_records.tsv: %d rejected records", first.total)
    return first, problems, per_entry


def read_missing_downloads(path: str, cap: int) -> tuple[list[str], FirstRows]:
    """missing_downloads.tsv: its columns and first rows, shown as they are."""
    first = FirstRows(cap)
    with tables.MISSING_DOWNLOADS.read(path) as r:
        for cells in r:
            first.add(cells)
    return list(tables.MISSING_DOWNLOADS.header), first


# ------------------------------------------------------------------ protein QC


@dataclass
class ProteinStats:
    status: Counter = field(default_factory=Counter)
    failed_checks: Counter = field(default_factory=Counter)
    failing: FirstRows = None
    points: list = field(default_factory=list)  # (length, delta, passed)


def read_protein_checks(path: str, cap: int) -> ProteinStats:
    """protein_checks.tsv: statuses, failed checks, the first ``cap`` failing
    proteins and the (length, mass delta) points of the plot."""
    stats = ProteinStats(failing=FirstRows(cap))
    with tables.PROTEIN_CHECKS.read(path) as r:
        i_id, i_acc, i_reason, i_status = (
            r.col("record_id"),
            r.col("uniprot_accession"),
            r.col("reason"),
            r.col("status"),
        )
        i_stated, i_length, i_delta = r.col("stated_length"), r.col("computed_length"), r.col("mass_delta_da")
        for cells in r:
            status = cells[i_status]
            stats.status[status] += 1
            length = to_int(cells[i_length])
            delta = to_float(cells[i_delta])
            if length and delta is not None:
                stats.points.append((length, delta, status == "pass"))
            if status != "pass":
                reason = cells[i_reason]
                for failure in reason.split("; "):
                    stats.failed_checks[failure.split(" ", 1)[0] or "(no reason given)"] += 1
                stated = to_int(cells[i_stated])
                stats.failing.add(
                    [
                        cells[i_id],
                        uniprot_link(cells[i_acc]) or cells[i_acc],
                        stated if stated is not None else cells[i_stated],
                        length,
                        delta,
                        reason,
                    ]
                )
    log.info("protein_checks.tsv: %s", ", ".join(f"{k} {v}" for k, v in sorted(stats.status.items())) or "empty")
    return stats


# ------------------------------------------------------------------ interactions


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


def read_regulons(path: str) -> list[dict[str, str]]:
    """The regulon index (results/tf_targets/regulons.tsv): one row per organism."""
    with tables.REGULON_INDEX.read(path) as r:
        return list(r.dicts())


def split_counts(raw: Counter) -> Counter:
    """Counts of ``;``-joined values -> counts of each value."""
    out: Counter = Counter()
    for value, n in raw.items():
        for v in {x.strip() for x in value.split(";")}:
            if v:
                out[v] += n
    return out


def columns_in_chunks(reader, rows: int | None = None) -> Iterator[tuple[int, list[tuple]]]:
    """The rows of a table reader in chunks of ``rows`` (:data:`CHUNK_ROWS`),
    each as its columns (tuples of cells, in row order) with the number of
    rows: counting whole columns with ``Counter.update`` runs in C instead of
    row by row. Small chunks: large ones keep many lists alive at once, which
    costs more (allocation, garbage collection) than it saves."""
    rows = rows or CHUNK_ROWS
    it = iter(reader)
    while True:
        chunk = list(islice(it, rows))
        if not chunk:
            return
        yield len(chunk), list(zip(*chunk))


def _progress(name: str, before: int, after: int) -> None:
    """The progress line at each multiple of :data:`PROGRESS_EVERY` rows passed."""
    for n in range((before // PROGRESS_EVERY + 1) * PROGRESS_EVERY, after + 1, PROGRESS_EVERY):
        log.info("%s: %d rows read", name, n)


def _or_empty(raw: Counter) -> Counter:
    """``raw`` with the empty value counted as ``(empty)``."""
    out: Counter = Counter()
    for value, n in raw.items():
        out[value or "(empty)"] += n
    return out


def read_interactions(path: str) -> InteractionStats:
    """One pass over interactions.tsv (millions of rows): counts only.

    Repeated field values (source lists, methods, organisms) are counted as
    whole strings and split once at the end; the rows are counted a chunk of
    columns at a time (:func:`columns_in_chunks`).
    """
    st = InteractionStats()
    sources: Counter = Counter()
    methods: Counter = Counter()
    origins: Counter = Counter()
    small: Counter = Counter()
    organisms: Counter = Counter()
    with tables.INTERACTIONS.read(path) as r:
        i_tf, i_target, i_name = r.col("tf_uniprot"), r.col("target_uniprot"), r.col("tf_name")
        i_src, i_small = r.col("source_databases"), r.col("small_scale_evidence")
        i_meth, i_org, i_orig = r.col("detection_methods"), r.col("organism"), r.col("origins")
        for n, cols in columns_in_chunks(r):
            _progress("interactions.tsv", st.total, st.total + n)
            st.total += n
            st.tf_targets.update(cols[i_tf])
            st.target_tfs.update(cols[i_target])
            # each TF's first non-empty name
            named = list(compress(zip(cols[i_tf], cols[i_name]), cols[i_name]))
            first = dict(reversed(named))
            for tf in dict.fromkeys(map(itemgetter(0), named)):
                if tf not in st.tf_names:
                    st.tf_names[tf] = first[tf]
            sources.update(cols[i_src])
            methods.update(cols[i_meth])
            small.update(cols[i_small])
            organisms.update(cols[i_org])
            origins.update(cols[i_orig])
    st.small_scale, st.organisms = _or_empty(small), _or_empty(organisms)
    st.sources, st.methods = split_counts(sources), split_counts(methods)
    # origins name each input (page:tflink-X, download:tfs_of_X.tsv, table:...): counted by kind
    st.origins = split_counts(
        Counter({";".join({o.split(":", 1)[0] for o in k.split(";")}): n for k, n in origins.items()})
    )
    log.info("interactions.tsv: %d interactions, %d TFs, %d targets", st.total, len(st.tf_targets), len(st.target_tfs))
    return st


# ------------------------------------------------------------------ the fold-change matrix (cell types x genes)


def _matrix_values(cells: list[str]) -> np.ndarray:
    arr = np.array(cells, dtype=object)
    arr[arr == ""] = "nan"
    return arr.astype(np.float64)


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

    Pass 1 ranks the genes (the matrix's extra columns) by the root mean
    square of their fold changes (strongest changes first) and keeps the top
    ``max_genes``; pass 2 reads only those columns, ranks the cell types the
    same way over the kept genes and keeps the top ``max_cell_types``. Both
    are then ordered by average-linkage clustering. Memory: a few numbers per
    gene, and cell types x kept genes.
    """
    matrix = tables.FOLD_CHANGE_MATRIX
    first_gene = len(matrix.columns)  # the gene columns follow the declared ones
    with matrix.read(path) as r:
        genes = list(r.extra)
        n_genes = len(genes)
        count = np.zeros(n_genes)
        sumsq = np.zeros(n_genes)
        n_rows = n_values = 0
        for cells in r:
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
    with matrix.read(path) as r:
        i_id, i_name = r.col("cell_ontology_id"), r.col("cell_name")
        for cells in r:
            v = _matrix_values([cells[i] for i in idx])
            if np.isnan(v).all():
                continue
            label = cells[i_name] or cells[i_id]
            names.append(f"{label} ({cells[i_id]})" if cells[i_name] else label)
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


# ------------------------------------------------------------------ in situ expression


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
    """Counts of in situ images (insitu_expression.tsv) per anatomical location and HH stage."""
    st = InsituStats()
    with tables.INSITU_EXPRESSION.read(path) as r:
        i_id, i_loc, i_hh = r.col("record_id"), r.col("location"), r.col("hh_stage")
        i_stage, i_url = r.col("stage"), r.col("image_url")
        for cells in r:
            st.rows += 1
            rid, loc = cells[i_id], cells[i_loc]
            hh = to_int(cells[i_hh])
            stage = hh if hh is not None else "other"
            if hh is None:
                st.other_labels[cells[i_stage] or "(empty)"] += 1
            st.cells[(loc, stage)] += 1
            st.genes.add(rid)
            st.images.add((rid, cells[i_url], cells[i_stage]))
            st.location_genes[loc].add(rid)
            st.location_stages[loc].add(stage)
    log.info("insitu_expression.tsv: %d rows, %d genes, %d locations", st.rows, len(st.genes), len(st.location_genes))
    return st


# ------------------------------------------------------------------ genes (dossiers)


def _n(values: str) -> int:
    return len([v for v in (values or "").split(";") if v])


def read_genes(path: str, cap: int) -> tuple[int, list[dict]]:
    """The ``cap`` genes of genes.tsv seen by the most sources (then with the
    most records, then in file order), as dicts by column, and the number of genes."""
    total = 0
    with tables.GENES.read(path) as r:
        header = r.header
        i_sources, i_records = r.col("sources"), r.col("record_ids")

        def stream() -> Iterator[tuple]:
            nonlocal total
            for cells in r:
                total += 1
                # ties keep the order of genes.tsv (organism, then NCBI gene id)
                yield (-_n(cells[i_sources]), -_n(cells[i_records]), total), cells

        best = heapq.nsmallest(cap, stream(), key=lambda kr: kr[0])
    log.info("genes.tsv: %d genes, %d in dossiers", total, len(best))
    return total, [dict(zip(header, cells)) for _, cells in best]


def read_record_rows(path: str, wanted: set[str]) -> dict[str, dict]:
    """The rows of records.tsv whose record_id is ``wanted``, as dicts by column."""
    out = {}
    with tables.RECORDS.read(path) as r:
        i_id = r.col("record_id")
        for cells in r:
            if cells[i_id] in wanted:
                out[cells[i_id]] = dict(zip(r.header, cells))
    return out
