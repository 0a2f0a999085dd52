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

import functools
import heapq
import json
from collections.abc import Iterable, Iterator, Sequence

from .errors import RecordError
from .io import AtomicWriter, format_cell
from .tables import BATCH_INDEX, RECORDS
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


def accepted_files(records_tsv: str) -> dict[str, str]:
    """``{record_id: source_file}`` of records.tsv (the copy that was kept)."""
    with RECORDS.read(records_tsv) as reader:
        i, j = reader.col("record_id"), reader.col("source_file")
        return {r[i]: r[j] for r in reader}


def kept_copies(indexes: Sequence[str]) -> dict[str, str]:
    """``{record_id: source_file}`` of the copy the collection keeps, from the
    batch indexes alone (the copy whose ``source_file`` sorts first, the rule
    ``collect_records`` applies): the same as :func:`accepted_files` of
    records.tsv, without waiting for it. (Read once per step.)"""
    return _kept_copies(tuple(indexes))


@functools.lru_cache(maxsize=2)
def _kept_copies(indexes: tuple[str, ...]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for idx in indexes:
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


def _record_id(line: bytes) -> bytes:
    return line[: line.find(b"\t")]


def _body(table: Table, path: str, drop: frozenset[str]) -> Iterator[bytes]:
    """The data lines of a partial table (header checked), without the rows
    of the records in ``drop``."""
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise RecordError(path, "", f"cannot read the partial table ({exc.strerror})") from None
    with fh:
        first = fh.readline()
        if not first:
            raise RecordError(path, "line 1", f"empty file: no header of the {table.name} declaration")
        table.check_header(path, first.decode("utf-8").rstrip("\n").split("\t"))
        if not drop:
            yield from fh
            return
        dropped = {rid.encode("utf-8") for rid in drop}
        for line in fh:
            if _record_id(line) not in dropped:
                yield line


def partial_lines(table: Table, partials: Sequence[str], indexes: Sequence[str]) -> Iterator[bytes]:
    """The data lines of the batches' partial tables of ``table`` (each sorted
    by ``record_id`` first, one record's rows together), merged as streams in
    ``record_id`` order (a k-way merge: one line per batch in memory), rows
    of the records another batch's copy stands for left out."""
    if len(partials) != len(indexes):
        raise ValueError(f"{table.name}: one batch index per partial table is needed")
    kept = kept_copies(indexes)
    streams = [_body(table, p, dropped_ids(i, kept)) for p, i in zip(partials, indexes)]
    return heapq.merge(*streams, key=_record_id)


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
        for line in partial_lines(table, partials, indexes):
            fh.write(line)
            n += 1
    return n
