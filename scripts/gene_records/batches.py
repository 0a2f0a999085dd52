"""Per-batch partial tables: which of a batch's records the whole collection keeps.

The map steps (one job per parse batch) write partial tables from the batch's
JSONL alone; the reduce steps merge the partials of every batch. The only
fact a batch cannot know by itself is whether another batch holds a copy of
one of its records (the same ``record_id`` from another file, which
``collect_records`` rejects unless its path sorts first). So:

* a map step keeps, of the copies of a record inside its batch, the one whose
  ``source_file`` (in table form) sorts first (:func:`first_copies`), as
  ``collect_records`` does across batches;
* a reduce step drops, from each batch's partials, the records whose kept copy
  is in another batch (:func:`dropped_ids`, from ``records.tsv`` and the
  batch's index): nearly always none.
"""

from __future__ import annotations

import bisect
import functools
import json
import os
from collections.abc import Iterable, Iterator, Sequence

from .errors import RecordError
from .io import AtomicWriter, format_cell
from .tables import BATCH_INDEX
from .tsv import Table


def first_copies(records: Iterable[dict]) -> Iterator[dict]:
    """The records of a batch JSONL (sorted by record id), one copy per record
    id: the one whose ``source_file`` in table form sorts first. A record id
    out of order is a :class:`RecordError` (the partial tables must be sorted)."""
    group: list[dict] = []
    for rec in records:
        if group and rec["record_id"] != group[0]["record_id"]:
            if rec["record_id"] < group[0]["record_id"]:
                raise RecordError(
                    source_file_cell(rec),
                    f"record {rec['record_id']}",
                    f"batch file is not sorted by record_id (after {group[0]['record_id']}); rerun parse_records",
                )
            yield min(group, key=source_file_cell)
            group = []
        group.append(rec)
    if group:
        yield min(group, key=source_file_cell)


def kept_copies(indexes: Sequence[str]) -> dict[str, str]:
    """``{record_id: source_file}`` of the copy the collection keeps, from the
    batch indexes alone (the copy whose ``source_file`` sorts first, the rule
    ``collect_records`` applies): what records.tsv lists, without waiting
    for it. (Read once per step.)"""
    return _kept_copies(tuple((p, _signature(p)) for p in indexes))


def _signature(path: str) -> tuple[int, int, int]:
    """What keys the caches below: a rewritten index is read again."""
    st = os.stat(path)
    return st.st_ino, st.st_size, st.st_mtime_ns


@functools.lru_cache(maxsize=2)
def _kept_copies(indexes: tuple[tuple[str, tuple], ...]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for idx, _ in indexes:
        with BATCH_INDEX.read(idx) as reader:
            i, j = reader.col("record_id"), reader.col("source_file")
            for r in reader:
                if r[i] not in kept or r[j] < kept[r[i]]:
                    kept[r[i]] = r[j]
    return kept


def dropped_ids(batch_index: str, accepted: dict[str, str]) -> frozenset[str]:
    """The record ids whose rows a batch's partial tables hold but the
    collection does not keep: the batch's first copy (as :func:`first_copies`
    chose it) is not the accepted one."""
    first: dict[str, str] = {}
    with BATCH_INDEX.read(batch_index) as reader:
        i, j = reader.col("record_id"), reader.col("source_file")
        for r in reader:
            if r[i] not in first or r[j] < first[r[i]]:
                first[r[i]] = r[j]
    return frozenset(rid for rid, f in first.items() if accepted.get(rid) != f)


def source_file_cell(rec: dict) -> str:
    """A record's ``source_file`` as the tables write it."""
    return format_cell(rec["source_file"])


# ------------------------------------------------------------------ reduce


class _Partial:
    """One batch's partial table in memory: its bytes, and for each data line
    where it starts and where its ``record_id`` (the first cell) ends, found
    with numpy (no Python work per line)."""

    def __init__(self, table: Table, path: str):
        try:
            with open(path, "rb") as fh:
                self.data = fh.read()
        except OSError as exc:
            raise RecordError(path, "", f"cannot read the partial table ({exc.strerror})") from None
        self.path = path
        head_end = self.data.find(b"\n") + 1
        if head_end == 0:
            raise RecordError(path, "line 1", f"no header of the {table.name} declaration; rerun its batch")
        table.check_header(path, self.data[: head_end - 1].decode("utf-8").split("\t"))
        if not self.data.endswith(b"\n"):
            raise RecordError(path, "", "the last line has no line break (cut short?); rerun its batch")
        import numpy as np  # here: the map jobs import this module and never read a partial

        raw = np.frombuffer(self.data, dtype=np.uint8)
        newlines = np.flatnonzero(raw == 10)
        self.starts = np.concatenate((newlines[:-1] + 1, [len(self.data)]))  # line starts, then the end
        tabs = np.flatnonzero(raw == 9)
        first_tab = np.searchsorted(tabs, self.starts[:-1])
        if len(self.starts) > 1 and (first_tab >= len(tabs)).any():
            raise RecordError(path, "", "a line without a tab; rerun its batch")
        self.id_ends = tabs[first_tab] if len(tabs) else np.zeros(0, dtype=np.int64)
        if (self.id_ends >= self.starts[1:]).any():
            line = int(np.flatnonzero(self.id_ends >= self.starts[1:])[0]) + 2
            raise RecordError(path, f"line {line}", "no tab in the line; rerun its batch")
        self.n = len(self.starts) - 1

    def rid(self, i: int) -> bytes:
        return self.data[int(self.starts[i]) : int(self.id_ends[i])]

    def blocks(self, ids: list[bytes]) -> Iterator[tuple[bytes, int, int]]:
        """``(record_id, first line, end line)`` of each of ``ids`` (sorted)
        that has rows; every line must belong to one of them."""
        lo = 0
        for rid in ids:
            hi = bisect.bisect_right(range(self.n), rid, lo=lo, key=self.rid)
            if hi > lo:
                if self.rid(lo) != rid:
                    break
                yield rid, lo, hi
                lo = hi
        if lo != self.n:
            raise RecordError(
                self.path, f"line {lo + 2}", f"rows of record {self.rid(lo).decode('utf-8', 'replace')!r}, which its "
                "batch index does not list, or rows out of record_id order; rerun its batch"
            )

    def chunk(self, lo: int, hi: int) -> memoryview:
        return memoryview(self.data)[int(self.starts[lo]) : int(self.starts[hi])]


def _batch_ids(index: str) -> list[bytes]:
    return _read_batch_ids(index, _signature(index))


@functools.lru_cache(maxsize=1024)
def _read_batch_ids(index: str, signature: tuple) -> list[bytes]:
    with BATCH_INDEX.read(index) as reader:
        i = reader.col("record_id")
        return sorted({r[i].encode("utf-8") for r in reader})


def partial_chunks(table: Table, partials: Sequence[str], indexes: Sequence[str]) -> Iterator[tuple[memoryview, int]]:
    """The rows of the batches' partial tables of ``table`` (each sorted by
    ``record_id`` first, one record's rows together) in ``record_id`` order,
    one record's rows at a time: ``(its lines as bytes, how many)``; the rows
    of records another batch's copy stands for are left out. The work per
    line is numpy's; Python's is per record."""
    if len(partials) != len(indexes):
        raise ValueError(f"{table.name}: one batch index per partial table is needed")
    kept = kept_copies(indexes)
    loaded, order = [], []
    for s, (path, idx) in enumerate(zip(partials, indexes)):
        part = _Partial(table, path)
        drop = {rid.encode("utf-8") for rid in dropped_ids(idx, kept)}
        order.extend((rid, s, lo, hi) for rid, lo, hi in part.blocks(_batch_ids(idx)) if rid not in drop)
        loaded.append(part)
    order.sort()
    for _rid, s, lo, hi in order:
        yield loaded[s].chunk(lo, hi), hi - lo


def partial_lines(table: Table, partials: Sequence[str], indexes: Sequence[str]) -> Iterator[bytes]:
    """:func:`partial_chunks` line by line (for steps that read every row)."""
    for chunk, _n in partial_chunks(table, partials, indexes):
        yield from bytes(chunk).splitlines(keepends=True)


def partial_json(partials: Sequence[str], indexes: Sequence[str]) -> Iterator[dict]:
    """The objects of the batches' JSONL partials (one per record, with its
    ``record_id``), batch after batch, without the records another batch's
    copy stands for."""
    if len(partials) != len(indexes):
        raise ValueError("one batch index per partial is needed")
    kept = kept_copies(indexes)
    for path, idx in zip(partials, indexes):
        drop = dropped_ids(idx, kept)
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                try:
                    obj = json.loads(line)
                except ValueError as exc:
                    raise RecordError(path, f"line {n}", f"not JSON ({exc}); rerun its batch") from None
                if obj["record_id"] not in drop:
                    yield obj


def merge_partials(table: Table, partials: Sequence[str], indexes: Sequence[str], out: str) -> int:
    """Write ``out`` (the final ``table``) from the batches' partial tables:
    :func:`partial_lines` under the declared header. Returns the row count."""
    n = 0
    with AtomicWriter(out, "wb") as fh:
        fh.write(table.header_line().encode("utf-8"))
        for chunk, lines in partial_chunks(table, partials, indexes):
            fh.write(chunk)
            n += lines
    return n
