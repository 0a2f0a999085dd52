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

from collections.abc import Iterable, Iterator

from .io import format_cell
from .tables import BATCH_INDEX, RECORDS


def first_copies(records: Iterable[dict]) -> Iterator[dict]:
    """The records of a batch JSONL (sorted by record id), one copy per record
    id: the one whose ``source_file`` in table form sorts first."""
    group: list[dict] = []
    for rec in records:
        if group and rec["record_id"] != group[0]["record_id"]:
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
