"""The merge step: every input row of a (TF, target) pair merged into one row of interactions.tsv.

Every input row is normalised into one common row (:mod:`.sources`) and fed
to GNU sort (:mod:`gene_records.extsort`); a streaming group-by over the
sorted stream merges the rows of each (TF, target) pair into one. Memory
stays bounded whatever the table size: the step holds one group of rows, a
few caches of normalised values and the (small) lists of missing downloads
and rejected page entries.

Merge rule for one (TF, target) pair, applied the same way whatever the order
of the inputs:

* lists (``detection_methods``, ``pubmed_ids``, ``source_databases``,
  ``origins``) and NCBI gene ids: the union, de-duplicated, sorted
  (numbers numerically), ``;``-joined;
* ``small_scale_evidence``: ``Yes`` if any input says ``Yes``, else ``No`` if
  any says ``No``, else empty;
* names and ``organism``: the non-empty value from the most authoritative
  kind of input (table, then download, then page); among several values of
  the same kind the most frequent, then the smallest in byte order.

Inputs disagreeing on a name, the organism, the NCBI ids or the evidence are
listed in ``interaction_conflicts.tsv`` (the merged value and the others).
Every output is written through its declaration in :mod:`gene_records.tables`.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections import Counter
from typing import Iterable, NamedTuple

from ..errors import ConfigError, RecordError
from ..extsort import ExternalSort
from ..ids import id_sort_key
from ..io import AtomicWriter
from ..tables import INTERACTION_CONFLICTS, INTERACTIONS_SUMMARY, MISSING_DOWNLOADS, REJECTED_INTERACTIONS
from .columns import (
    EVIDENCE,
    HEADER,
    HEADER_LINE,
    METHODS,
    ORGANISM,
    ORIGINS,
    PUBMED,
    SOURCES,
    TARGET,
    TARGET_NAME,
    TARGET_NCBI,
    TF,
    TF_NAME,
    TF_NCBI,
)
from .pool import process_pool, stop, submit
from .rejects import Rejects
from .sources import line_blocks, normalise_table_range, table_header_end, table_ranges, write_pages_and_downloads

log = logging.getLogger("gene_records")

# Kinds of input, most authoritative first (the rank decides names and organism).
ORIGIN_RANK = {"table": 0, "download": 1, "page": 2}
# The rows of interactions_summary.tsv, in order.
SUMMARY_METRICS = (
    "pages",
    "page_rows",
    "downloads",
    "downloads_without_page",
    "downloads_not_read_duplicates",
    "download_rows",
    "missing_downloads",
    "tables",
    "table_rows",
    "input_rows",
    "interactions",
    "rejected_files",
    "rejected_rows",
    "conflicts",
)


# --------------------------------------------------------------- the merge rule


def _pick(values: list[tuple[int, str]]) -> tuple[str, list[str]]:
    """The merged single value and the other non-empty values.

    ``values`` are (origin rank, value) pairs; empty values never win.
    """
    present = [(r, v) for r, v in values if v]
    if not present:
        return "", []
    best_rank = min(r for r, _ in present)
    counts = Counter(v for r, v in present if r == best_rank)
    chosen = min(counts, key=lambda v: (-counts[v], v.encode()))
    others = sorted({v for _, v in present if v != chosen}, key=str.encode)
    return chosen, others


def _union(values: Iterable[str], key=None) -> str:
    items = set()
    for v in values:
        if v:
            items.update(v.split(";"))
    return ";".join(sorted(items, key=key or str.encode))


def _pubmed_key(s: str):
    return (len(s), s)


def merge_group(rows: list[list[str]]) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Merge the common rows of one (TF, target) pair; return the row and its conflicts.

    Each conflict is (field, merged value, other values joined by `` | ``).
    """
    ranks = [ORIGIN_RANK[r[ORIGINS].split(":", 1)[0]] for r in rows]
    out = list(rows[0])
    conflicts: list[tuple[str, str, str]] = []
    for col in (TF_NAME, TARGET_NAME, ORGANISM):
        chosen, others = _pick([(rk, r[col]) for rk, r in zip(ranks, rows)])
        out[col] = chosen
        if others:
            conflicts.append((HEADER[col], chosen, " | ".join(others)))
    for col in (TF_NCBI, TARGET_NCBI):
        distinct = sorted({r[col] for r in rows if r[col]}, key=lambda s: [id_sort_key(x) for x in s.split(";")])
        out[col] = _union(distinct, key=id_sort_key)
        if len(distinct) > 1:
            conflicts.append((HEADER[col], out[col], " | ".join(distinct)))
    out[METHODS] = _union(r[METHODS] for r in rows)
    out[SOURCES] = _union(r[SOURCES] for r in rows)
    out[PUBMED] = _union((r[PUBMED] for r in rows), key=_pubmed_key)
    out[ORIGINS] = _union(r[ORIGINS] for r in rows)
    evidence = {r[EVIDENCE] for r in rows}
    out[EVIDENCE] = "Yes" if "Yes" in evidence else ("No" if "No" in evidence else "")
    if {"Yes", "No"} <= evidence:
        conflicts.append((HEADER[EVIDENCE], "Yes", "No"))
    return out, conflicts


def merge_sorted(
    blocks: Iterable[list[bytes]], out, conflicts_out, expand: dict[bytes, bytes] | None = None
) -> tuple[int, int, int]:
    """Stream-merge sorted common lines into ``out`` (binary); return (pairs, input rows, conflicts).

    ``blocks`` are lists of lines without their line ends, in sorted order,
    so the rows of one pair are adjacent. A pair given once is written as it
    is (the hot path: no parsing); several rows are merged with
    :func:`merge_group`. ``expand`` maps the short origin codes of
    whole-organism tables (what was sorted) to their origins; as the origin
    is the last field, a code is replaced in a whole block at once.
    """
    expand = expand or {}
    swaps = [(b"\t" + code + b"\n", b"\t" + full + b"\n") for code, full in expand.items()]
    n_pairs = n_rows = n_conflicts = 0
    prev = prev_tf = prev_tg = None
    several: list[bytes] | None = None  # the rows of the current pair when it has more than one
    buf: list[bytes] = []
    append = buf.append

    def merged_line(rows_raw: list[bytes]) -> bytes:
        nonlocal n_conflicts
        rows = []
        for raw in sorted(set(rows_raw)):  # the same row given twice by one input counts once
            row = raw.decode("utf-8").split("\t")
            row[ORIGINS] = expand.get(row[ORIGINS].encode(), row[ORIGINS].encode()).decode("utf-8")
            rows.append(row)
        if len(rows) == 1:
            return "\t".join(rows[0]).encode("utf-8")
        merged, conflicts = merge_group(rows)
        for c in conflicts:
            n_conflicts += 1
            conflicts_out.write(("\t".join((merged[TF], merged[TARGET]) + c) + "\n").encode("utf-8"))
        return "\t".join(merged).encode("utf-8")

    def write_out():
        data = b"\n".join(buf) + b"\n"
        for code, full in swaps:
            data = data.replace(code, full)
        out.write(data)
        buf.clear()

    for block in blocks:
        for line in block:
            tf, tg, _ = line.split(b"\t", 2)
            if tg == prev_tg and tf == prev_tf:
                if several is None:
                    several = [prev]
                several.append(line)
                continue
            if several is not None:
                append(merged_line(several))
                several = None
            elif prev is not None:
                append(prev)
            n_pairs += 1
            prev, prev_tf, prev_tg = line, tf, tg
        if buf:
            write_out()
        n_rows += len(block)
        if n_rows // 1_000_000 != (n_rows - len(block)) // 1_000_000:
            log.info("merged %d rows into %d pairs", n_rows, n_pairs)
    if several is not None:
        append(merged_line(several))
    elif prev is not None:
        append(prev)
    if buf:
        write_out()
    return n_pairs, n_rows, n_conflicts


# --------------------------------------------------------------- the step


def merge_interactions(
    jsonls: list[str],
    records: str,
    interactions: str,
    missing_downloads: str,
    rejected: str,
    conflicts: str,
    summary: str,
    downloads: list[str] = [],  # noqa: B006 - read only
    tables: list[str] = [],  # noqa: B006 - read only
    on_bad_record: str = "fail",
    sort_memory_mb: int = 1024,
    threads: int = 1,
) -> None:
    """Merge TFLink pages, per-protein downloads and whole-organism tables into interactions.tsv.

    ``downloads`` are the download files in look-up order (see
    :func:`.sources.find_downloads`); a page's download is the first of them named as
    the page names it or under the other generation's name. Downloads that
    no page names are read too (the protein is the accession in the file
    name). A page naming a download that is not found is listed in
    ``missing_downloads`` with a warning, and its own rows are used. Bad
    input fails the step (``on_bad_record=fail``) or is listed in
    ``rejected`` (``skip``): a bad header rejects the file, a bad row the row.
    Whole-organism tables are normalised by ``threads`` processes (byte
    ranges of plain tables; a gzipped table is one range), then every common
    row is sorted by GNU sort and merged per (TF, target) pair.
    """
    out_dir = os.path.dirname(os.path.abspath(interactions))
    os.makedirs(out_dir, exist_ok=True)
    work = tempfile.mkdtemp(dir=out_dir, prefix=".merge_interactions-")
    rejects = Rejects(on_bad_record, spool=os.path.join(work, "rejected_table_rows.tsv"))
    stats: Counter = Counter()
    pool = None
    try:
        # whole-organism tables: jobs over byte ranges, started first
        jobs = _table_jobs(tables, threads, work, rejects, stats)
        pool = process_pool(min(threads, len(jobs))) if threads > 1 else None
        futures = [submit(pool, normalise_table_range, *job.args(rejects.fail)) for job in jobs]
        # pages and downloads, meanwhile, in this process
        pages_path = os.path.join(work, "pages.tsv")
        missing = write_pages_and_downloads(jsonls, records, downloads, pages_path, rejects, stats)
        readable = _table_results(tables, jobs, [fut.result() for fut in futures], rejects, stats)
        if pool:
            pool.shutdown()
            pool = None
        log.info(
            "%d page rows, %d download rows, %d table rows; sorting",
            stats["page_rows"],
            stats["download_rows"],
            stats["table_rows"],
        )
        n_pairs, n_rows, n_conflicts = _sort_and_merge(
            [pages_path] + [job.out_path for job in readable],
            _table_origins(tables),
            stats["page_rows"] + stats["download_rows"] + stats["table_rows"],
            interactions,
            conflicts,
            work,
            sort_memory_mb,
            threads,
        )
        MISSING_DOWNLOADS.write(missing_downloads, missing)
        REJECTED_INTERACTIONS.write(rejected, rejects.rows())
    finally:
        stop(pool)  # stopped by an error: do not wait for the other ranges
        rejects.close()
        shutil.rmtree(work, ignore_errors=True)
    stats.update(
        {
            "input_rows": n_rows,
            "interactions": n_pairs,
            "missing_downloads": len(missing),
            "rejected_files": rejects.n_files,
            "rejected_rows": rejects.n_rows,
            "conflicts": n_conflicts,
        }
    )
    INTERACTIONS_SUMMARY.write(summary, [(k, stats[k]) for k in SUMMARY_METRICS])
    log.info(
        "%d input rows -> %d interactions; %d missing downloads, %d rejected files, %d rejected rows, %d conflicts",
        n_rows,
        n_pairs,
        len(missing),
        rejects.n_files,
        rejects.n_rows,
        n_conflicts,
    )


class TableJob(NamedTuple):
    """One byte range of a whole-organism table, normalised by :func:`.sources.normalise_table_range`."""

    table: int  # the table's position in the step's ``tables``
    path: str
    start: int
    end: int | None
    out_path: str  # its common rows
    rejects_path: str  # its rejected rows (``line<TAB>reason``)

    def args(self, fail: bool) -> tuple:
        return (self.path, self.start, self.end, self.out_path, self.rejects_path, fail, table_code(self.table))


def table_code(index: int) -> bytes:
    """The short origin of the ``index``-th table in sorted lines (no ``:``, so never a real origin)."""
    return b"table#%d" % index


def _table_origins(tables: list[str]) -> dict[bytes, bytes]:
    """Short origin code -> origin (``table:<file name>``) of every table."""
    return {table_code(ti): ("table:" + os.path.basename(t)).encode("utf-8") for ti, t in enumerate(tables)}


def _table_jobs(tables: list[str], threads: int, work: str, rejects: Rejects, stats: Counter) -> list[TableJob]:
    """The byte ranges of every table whose header is good (a bad header rejects the table)."""
    jobs = []
    for ti, t in enumerate(tables):
        stats["tables"] += 1
        data_start = table_header_end(t, rejects)
        if data_start is None:
            continue
        for ri, (a, b) in enumerate(table_ranges(t, data_start, threads)):
            jobs.append(
                TableJob(
                    ti, t, a, b, os.path.join(work, f"table{ti}.{ri}.tsv"), os.path.join(work, f"table{ti}.{ri}.rej")
                )
            )
    return jobs


def _table_results(
    tables: list[str], jobs: list[TableJob], results: list[tuple], rejects: Rejects, stats: Counter
) -> list[TableJob]:
    """Account for the jobs' results in table and range order; return the jobs whose rows are merged.

    Line numbers count from the start of each range, so the ranges' line
    counts add up to the table's line numbers. A table that cannot be read
    to its end (corrupt gzip, overlong line) is skipped as a whole.
    """
    first_line: dict[int, int] = {}
    starts = []
    for job, (n_rows, n_lines, error) in zip(jobs, results):
        starts.append(first_line.get(job.table, 2))  # line 1 is the header
        first_line[job.table] = starts[-1] + n_lines
    unreadable = set()
    for job, (n_rows, n_lines, error), start in zip(jobs, results, starts):
        if error and job.table not in unreadable:
            line, problem, scope = error
            if rejects.fail:
                raise RecordError(job.path, f"line {start + line - 1}", problem)
            rejects.add(job.path, f"line {start + line - 1}", "file", problem + " (the whole table is skipped)")
            unreadable.add(job.table)
    for job, (n_rows, n_lines, error), start in zip(jobs, results, starts):
        if job.table in unreadable:
            continue
        with open(job.rejects_path, encoding="utf-8") as fh:
            for line in fh:
                n, reason = line.rstrip("\n").split("\t", 1)
                rejects.add(job.path, f"line {start + int(n) - 1}", "row", reason, table=True)
        stats["table_rows"] += n_rows
    for ti, t in enumerate(tables):
        log.info("%s: %d lines read", t, first_line.get(ti, 2) - 2)
    return [job for job in jobs if job.table not in unreadable]


def _sort_and_merge(
    files: list[str],
    origins: dict[bytes, bytes],
    expected_rows: int,
    interactions: str,
    conflicts: str,
    work: str,
    sort_memory_mb: int,
    threads: int,
) -> tuple[int, int, int]:
    """Sort the common rows of ``files`` with GNU sort and merge them into interactions.tsv and the
    conflicts table; return (pairs, input rows, conflicts)."""
    with ExternalSort(work, sort_memory_mb, threads, files=files) as sorter:
        with AtomicWriter(interactions, "wb") as out, AtomicWriter(conflicts, "wb") as cout:
            out.write(HEADER_LINE)
            cout.write(INTERACTION_CONFLICTS.header_line().encode("utf-8"))
            blocks = line_blocks(sorter.output(), None, None, 4 << 20)
            counts = merge_sorted(blocks, out, cout, origins)
            sorter.wait()
            if counts[1] != expected_rows:
                raise ConfigError(f"sort returned {counts[1]} rows, {expected_rows} were given to it")
    return counts
