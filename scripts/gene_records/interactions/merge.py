"""The merge rule: every input row of a (TF, target) pair merged into one row of interactions.tsv.

The inputs' rows, normalised into common rows and sorted (:mod:`.partials`),
are merged as streams (``sort -m``, :func:`merge_files`); a streaming
group-by over the merged stream merges the rows of each (TF, target) pair
into one (:func:`merge_sorted`). Memory stays bounded whatever the table
size: one group of rows at a time. The step that does it is :mod:`.reduce`.

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
from collections import Counter
from typing import Iterable, Iterator

from ..errors import ConfigError
from ..extsort import ExternalSort
from ..io import AtomicWriter
from ..ids import id_sort_key
from ..tables import INTERACTION_CONFLICTS
from .columns import (
    EVIDENCE,
    HEADER,
    HEADER_LINE,
    PARTIAL_HEADER_LINE,
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
from ..pool import process_pool, stop, submit
from .sources import line_blocks

log = logging.getLogger("gene_records")

# Kinds of input, most authoritative first (the rank decides names and organism).
ORIGIN_RANK = {"table": 0, "download": 1, "page": 2}
# Rows below this size are merged by one process whatever ``threads``.
PARALLEL_MIN_BYTES = 64 << 20
# Files ``sort -m`` merges in one pass (more are merged in passes through temporary files).
MERGE_BATCH = 64
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


_EVIDENCE_CONFLICT = "\t".join((HEADER[EVIDENCE], "Yes", "No")).encode()


def merge_agreeing(rows: list[bytes], expand: dict[bytes, bytes]) -> tuple[bytes, bool] | None:
    """:func:`merge_group` over raw lines for the common case, or ``None``.

    The rows (distinct lines of one pair, without line ends) must agree on
    the names, the organism and the NCBI ids (each a single normalised
    value, so the merged value is that value and there is no conflict), and
    their PubMed ids must be ASCII (so that length and order are the same in
    bytes and in text). Then the merged line is the union of the lists in
    byte order (PubMed ids by length, then text: :func:`merge_group`'s order)
    and the evidence rule; returns (line, whether the evidence conflicts).
    Anything else is left to :func:`merge_group`, which decodes the rows.
    """
    k = len(rows)
    f = b"\t".join(rows).split(b"\t")  # the fields of every row, row after row
    if len(f) != _WIDTH * k:
        return None
    for col in (TF_NAME, TARGET_NAME, ORGANISM, TF_NCBI, TARGET_NCBI):
        cells = f[col::_WIDTH]
        if cells.count(cells[0]) != k:
            return None
    cells = b";".join(f[PUBMED::_WIDTH])
    if not cells.isascii():  # a PubMed id in other digits: (length, text) differs in bytes
        return None
    pubmed = set(cells.split(b";"))
    pubmed.discard(b"")
    ids = sorted(pubmed)
    ids.sort(key=len)  # stable: by length, then text (merge_group's order)
    out = f[:_WIDTH]
    out[PUBMED] = b";".join(ids)
    out[METHODS] = _union_cells(b";".join(f[METHODS::_WIDTH]))
    out[SOURCES] = _union_cells(b";".join(f[SOURCES::_WIDTH]))
    origins = f[ORIGINS::_WIDTH]
    if origins.count(origins[0]) == k:
        out[ORIGINS] = expand.get(origins[0], origins[0])
    else:
        out[ORIGINS] = _union_cells(b";".join([expand.get(o, o) for o in origins]), memo=False)
    evidence = f[EVIDENCE::_WIDTH]
    out[EVIDENCE] = b"Yes" if b"Yes" in evidence else (b"No" if b"No" in evidence else b"")
    return b"\t".join(out), b"Yes" in evidence and b"No" in evidence


_WIDTH = len(HEADER)
_unions: dict[bytes, bytes] = {}  # ``;``-joined cells of a list column -> their union (a bounded memo)


def _union_cells(cells: bytes, memo: bool = True) -> bytes:
    """The items of ``;``-joined cells, de-duplicated and sorted in byte order, ``;``-joined."""
    got = _unions.get(cells) if memo else None
    if got is None:
        items = set(cells.split(b";"))
        items.discard(b"")
        got = b";".join(sorted(items))
        if memo and len(_unions) < 100_000:
            _unions[cells] = got
    return got


def merge_sorted(
    blocks: Iterable[list[bytes]], out, conflicts_out, expand: dict[bytes, bytes] | None = None
) -> tuple[int, int, int]:
    """Stream-merge sorted common lines into ``out`` (binary); return (pairs, input rows, conflicts).

    ``blocks`` are lists of lines without their line ends, in sorted order,
    so the rows of one pair are adjacent. A pair given once is written as it
    is (the hot path: no parsing); several rows are merged with
    :func:`merge_agreeing` (bytes, when they agree on the single values) or
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
        distinct = sorted(set(rows_raw))  # the same row given twice by one input counts once
        if len(distinct) == 1:
            head, origin = distinct[0].rsplit(b"\t", 1)
            return head + b"\t" + expand.get(origin, origin)
        fast = merge_agreeing(distinct, expand)
        if fast is not None:
            line, evidence_conflict = fast
            if evidence_conflict:
                n_conflicts += 1
                tf, tg, _ = line.split(b"\t", 2)
                conflicts_out.write(b"\t".join((tf, tg, _EVIDENCE_CONFLICT)) + b"\n")
            return line
        rows = []
        for raw in distinct:
            row = raw.decode("utf-8").split("\t")
            row[ORIGINS] = expand.get(row[ORIGINS].encode(), row[ORIGINS].encode()).decode("utf-8")
            rows.append(row)
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


# --------------------------------------------------------------- merging sorted partials


def merge_files(
    files: list[str],
    origins: dict[bytes, bytes],
    expected_rows: int,
    interactions: str,
    conflicts: str,
    work: str,
    sort_memory_mb: int,
    threads: int,
) -> tuple[int, int, int]:
    """Merge sorted partials (no header, sorted as whole lines in byte order) into interactions.tsv
    and the conflicts table; return (pairs, input rows, conflicts).

    Several files are merged as streams by GNU ``sort -m`` (never sorted
    again); a single one is read as it is. Each may start with header lines
    (:data:`.columns.PARTIAL_HEADER_LINE`), which are left out. ``origins`` maps the short origin
    codes of the tables to their origins. With ``threads`` > 1 and at least
    :data:`PARALLEL_MIN_BYTES` of rows, the merged rows (``sort -m`` writes
    them to a file first) are cut at pair boundaries into ``threads`` byte
    ranges that forked processes merge (:func:`merge_range`); their outputs
    are appended in order.
    """
    files = [f for f in files if os.path.getsize(f) > _header_end(f)]  # those with rows
    parallel = threads > 1 and sum(os.path.getsize(f) for f in files) >= PARALLEL_MIN_BYTES
    pool = process_pool(threads) if parallel else None  # forked before any pipe or output is open
    try:
        with AtomicWriter(interactions, "wb") as out, AtomicWriter(conflicts, "wb") as cout:
            out.write(HEADER_LINE)
            cout.write(INTERACTION_CONFLICTS.header_line().encode("utf-8"))
            counts = (0, 0, 0)
            if len(files) > 1:
                keys = ["-m", f"--batch-size={min(len(files), MERGE_BATCH)}"]
                if pool is not None:  # to a file, to be cut into ranges
                    merged = os.path.join(work, "merged.tsv")
                    with ExternalSort(work, sort_memory_mb, threads, files=files, keys=keys + ["-o", merged]) as srt:
                        srt.wait()
                    files = [merged]
                else:
                    with ExternalSort(work, sort_memory_mb, threads, files=files, keys=keys) as sorter:
                        blocks = _without_headers(line_blocks(sorter.output(), None, None, 4 << 20))
                        counts = merge_sorted(blocks, out, cout, origins)
                        sorter.wait()
                    files = []
            if len(files) == 1:
                start = _header_end(files[0])
                ranges = pair_ranges(files[0], threads if pool is not None else 1, start)
                if len(ranges) == 1:
                    with open(files[0], "rb") as fh:
                        counts = merge_sorted(line_blocks(fh, start, None, 4 << 20), out, cout, origins)
                else:
                    counts = _merge_ranges(files[0], ranges, origins, out, cout, work, pool)
            if counts[1] != expected_rows:
                raise ConfigError(f"the merge read {counts[1]} rows, the partials hold {expected_rows}")
        if pool is not None:
            pool.shutdown()
            pool = None
    finally:
        stop(pool)
    return counts


def _header_end(path: str) -> int:
    """Where the rows of a partial start: after its leading header lines (:data:`.columns.PARTIAL_HEADER_LINE`)."""
    n = len(PARTIAL_HEADER_LINE)
    start = 0
    with open(path, "rb") as fh:
        while fh.read(n) == PARTIAL_HEADER_LINE:
            start += n
    return start


def _without_headers(blocks: Iterable[list[bytes]]) -> Iterator[list[bytes]]:
    """Blocks of a merged stream without the partials' header lines (they sort first)."""
    header = PARTIAL_HEADER_LINE[:-1]
    leading = True
    for block in blocks:
        if leading:
            k = 0
            while k < len(block) and block[k] == header:
                k += 1
            leading = k == len(block)
            block = block[k:]
        if block:
            yield block


def _merge_ranges(path: str, ranges: list[tuple[int, int]], origins, out, cout, work: str, pool) -> tuple:
    """:func:`merge_range` of each range in ``pool``; their outputs appended to ``out`` and ``cout`` in order."""
    jobs = []
    for k, (a, b) in enumerate(ranges):
        parts = (os.path.join(work, f"range{k}.tsv"), os.path.join(work, f"range{k}.conflicts.tsv"))
        jobs.append((parts, submit(pool, merge_range, path, a, b, *parts, origins)))
    totals = [0, 0, 0]
    for (part, conflict_part), job in jobs:
        for k, c in enumerate(job.result()):
            totals[k] += c
        append_file(out, part)
        append_file(cout, conflict_part)
    return totals[0], totals[1], totals[2]


def merge_range(
    path: str, start: int, end: int, out_path: str, conflicts_path: str, origins: dict[bytes, bytes]
) -> tuple[int, int, int]:
    """:func:`merge_sorted` of the lines in bytes ``[start, end)`` of ``path`` (whole pairs) into two files."""
    with open(path, "rb") as fh, open(out_path, "wb") as out, open(conflicts_path, "wb") as cout:
        return merge_sorted(line_blocks(fh, start, end, 4 << 20), out, cout, origins)


def pair_key(line: bytes) -> bytes:
    """``TF<TAB>target<TAB>``: what the lines of one pair start with."""
    first = line.find(b"\t")
    second = line.find(b"\t", first + 1) if first >= 0 else -1
    return line[: second + 1] if second >= 0 else line


def pair_ranges(path: str, parts: int, start: int = 0) -> list[tuple[int, int]]:
    """Byte ranges of a sorted file from byte ``start`` (a line start), about ``parts`` of them, each
    starting at the first line of a pair."""
    size = os.path.getsize(path)
    cuts = [start]
    with open(path, "rb") as fh:
        for k in range(1, parts):
            fh.seek(max(cuts[-1], start + (size - start) * k // parts))
            if fh.tell() > start:
                fh.readline()  # to the start of the next line
            line = fh.readline()
            key = pair_key(line)
            while line:  # past the lines of that pair
                pos = fh.tell()
                line = fh.readline()
                if line and not line.startswith(key):
                    cuts.append(pos)
                    break
    bounds = cuts + [size]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a] or [(start, size)]


def append_file(out, path: str) -> None:
    """Append the bytes of ``path`` to the binary file ``out`` (in the kernel where it can)."""
    out.flush()
    with open(path, "rb") as src:
        size = os.fstat(src.fileno()).st_size
        offset = 0
        try:
            while offset < size:
                sent = os.sendfile(out.fileno(), src.fileno(), offset, size - offset)
                if not sent:
                    break
                offset += sent
        except OSError:
            pass
        if offset < size:
            src.seek(offset)
            shutil.copyfileobj(src, out, 1 << 20)
