"""The merge step (the reduce): the partials of every input merged into interactions.tsv.

The map steps (:mod:`.partials`) wrote, once per input, its rows normalised
and sorted, and notes of its problems. This step decides what only the whole
collection can decide, then merges the row partials as streams:

* which page copies count (a record given in two batches: the copy
  ``collect_records`` kept, :func:`gene_records.batches.dropped_ids`);
* which download is read for which protein and list (the pages name them;
  :func:`plan_downloads`), and each download row's implied protein;
* what ``on_bad_record`` does with the problems the maps noted: ``fail``
  stops at the first one, in the order the inputs were always checked in
  (tables' headers, pages, downloads, tables' rows); ``skip`` lists them.

Then GNU ``sort -m`` merges the sorted partials (no record is decoded and no
table row normalised again) and :func:`.merge.merge_sorted` merges each
(TF, target) pair. :func:`merge_collection` runs the maps and this step on
a whole collection in one call.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections import Counter, defaultdict
from typing import Iterable, Iterator

from ..batches import dropped_ids, kept_copies
from ..errors import ConfigError, RecordError
from ..ids import safe_id
from ..paths import decode_path, encode_path
from ..records import load_records
from ..tables import (
    BATCH_PAGE_REJECTS,
    BATCH_PAGES,
    DOWNLOAD_REJECTS,
    DOWNLOAD_ROWS,
    INTERACTIONS_SUMMARY,
    MISSING_DOWNLOADS,
    REJECTED_INTERACTIONS,
    TABLE_COUNTS,
    TABLE_REJECTS,
)
from .columns import PARTIAL_HEADER_LINE
from .merge import SUMMARY_METRICS, merge_files
from .partials import (
    SortedLines,
    map_pages,
    normalise_downloads,
    normalise_interaction_table,
    table_code,
    table_key,
)
from .rejects import Rejects
from .sources import DOWNLOAD_RE, download_line, other_generation

log = logging.getLogger("gene_records")


def merge_interactions(
    page_rows: list[str],
    pages: list[str],
    page_rejects: list[str],
    interactions: str,
    missing_downloads: str,
    rejected: str,
    conflicts: str,
    summary: str,
    batch_indexes: list[str] = [],  # noqa: B006 - read only
    download_rows: str = "",
    download_rejects: str = "",
    downloads: list[str] = [],  # noqa: B006 - read only
    table_rows: list[str] = [],  # noqa: B006 - read only
    table_rejects: list[str] = [],  # noqa: B006 - read only
    table_counts: list[str] = [],  # noqa: B006 - read only
    tables: list[str] = [],  # noqa: B006 - read only
    on_bad_record: str = "fail",
    sort_memory_mb: int = 1024,
    threads: int = 1,
) -> None:
    """Merge the partials of TFLink pages, per-protein downloads and whole-organism tables into
    interactions.tsv, and write the missing downloads, the rejected inputs, the conflicts and the summary.

    ``page_rows``, ``pages`` and ``page_rejects`` are the page partials of
    every parse batch (in batch order), ``batch_indexes`` the batches'
    indexes (of a record given in two batches, the copy the collection does
    not keep is dropped, :func:`gene_records.batches.dropped_ids`; none
    without them).
    ``download_rows`` and ``download_rejects`` are the downloads' partial,
    ``downloads`` the download files in look-up order (see
    :func:`.sources.find_downloads`): a page's download is the first of them
    named as the page names it or under the other generation's name;
    downloads no page names are read too (the protein is the accession in the
    file name). A page naming a download that is not found is listed in
    ``missing_downloads`` with a warning, and its own rows are used.
    ``table_rows``, ``table_rejects`` and ``table_counts`` are the partials
    of ``tables`` (the config's ``interaction_tables``, in order). Bad input
    fails the step (``on_bad_record=fail``) or is listed in ``rejected``
    (``skip``): a bad header rejects the file, a bad row the row. The sorted
    partials are merged by GNU ``sort -m`` and each (TF, target) pair by the
    merge rule (:mod:`.merge`).
    """
    if not len(page_rows) == len(pages) == len(page_rejects):
        raise ConfigError("merge_interactions: give the rows, pages and rejects of every batch")
    if batch_indexes and len(batch_indexes) != len(pages):
        raise ConfigError("merge_interactions: one index per batch")
    if not len(tables) == len(table_rows) == len(table_rejects) == len(table_counts):
        raise ConfigError("merge_interactions: give the rows, rejects and counts of every table")
    out_dir = os.path.dirname(os.path.abspath(interactions))
    os.makedirs(out_dir, exist_ok=True)
    work = tempfile.mkdtemp(dir=out_dir, prefix=".merge_interactions-")
    rejects = Rejects(on_bad_record, spool=os.path.join(work, "rejected_table_rows.tsv"))
    stats: Counter = Counter()
    try:
        readable = _check_table_headers(tables, table_rejects, rejects, stats)
        kept, page_files = _pages(page_rows, pages, page_rejects, batch_indexes, rejects, stats, work)
        planned, own, missing = plan_downloads(kept, downloads, rejects, stats)
        download_file = os.path.join(work, "downloads.tsv")
        _download_lines(planned, own, download_rows, download_rejects, download_file, rejects, stats, work)
        readable = _check_table_rows(tables, table_rejects, table_counts, readable, rejects, stats)
        log.info(
            "%d page rows, %d download rows, %d table rows; merging",
            stats["page_rows"],
            stats["download_rows"],
            stats["table_rows"],
        )
        files = page_files + [download_file] + [p for p, ok in zip(table_rows, readable) if ok]
        origins = {table_code(t): ("table:" + os.path.basename(t)).encode("utf-8") for t in tables}
        if len(origins) != len({table_key(t) for t in tables}):
            raise ConfigError("two interaction_tables have the same short code; rename one of them")
        n_pairs, n_rows, n_conflicts = merge_files(
            files,
            origins,
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


# --------------------------------------------------------------- tables' notes


def _notes(path: str) -> Iterator[list[str]]:
    with TABLE_REJECTS.read(path) as reader:
        yield from reader


def _check_table_headers(tables: list[str], notes: list[str], rejects: Rejects, stats: Counter) -> list[bool]:
    """The tables whose header is good (a bad one rejects the table; an unreadable one stops the step)."""
    readable = []
    for t, path in zip(tables, notes):
        stats["tables"] += 1
        first = next(_notes(path), None)
        if first is not None and first[1] in ("file", "error"):
            where, scope, reason = first
            if scope == "error":
                raise RecordError(t, where, reason)
            rejects.add(t, where, "file", reason)
            readable.append(False)
        else:
            readable.append(True)
    return readable


def _check_table_rows(
    tables: list[str], notes: list[str], counts: list[str], readable: list[bool], rejects: Rejects, stats: Counter
) -> list[bool]:
    """Account for the tables' bad rows in table and line order; return the tables whose rows are merged.

    A table that cannot be read to its end stops the step (``fail``) or is
    skipped as a whole (``skip``: its bad rows are not listed).
    """
    merged = []
    for t, path, count_path, ok in zip(tables, notes, counts, readable):
        n = dict(TABLE_COUNTS.rows(count_path))
        log.info("%s: %d lines read", t, int(n.get("lines", 0)))
        if not ok:
            merged.append(False)
            continue
        if rejects.fail:
            first = next(_notes(path), None)
            if first is not None:
                raise RecordError(t, first[0], first[2])
        unreadable = next((r for r in _notes(path) if r[1] == "unreadable"), None)
        if unreadable is not None:
            rejects.add(t, unreadable[0], "file", unreadable[2] + " (the whole table is skipped)")
            merged.append(False)
            continue
        for where, _scope, reason in _notes(path):
            rejects.add(t, where, "row", reason, table=True)
        stats["table_rows"] += int(n["rows"])
        merged.append(True)
    return merged


# --------------------------------------------------------------- pages


def _pages(
    page_rows: list[str],
    pages: list[str],
    page_rejects: list[str],
    batch_indexes: list[str],
    rejects: Rejects,
    stats: Counter,
    work: str,
) -> tuple[list[list[str]], list[str]]:
    """The pages the collection keeps (rows of ``batch_pages``, in batch order) and the page row files
    to merge; their bad entries go to ``rejects`` in batch and page order."""
    kept_files = kept_copies(batch_indexes) if batch_indexes else None
    kept: list[list[str]] = []
    files = []
    for i, (rows_path, pages_path, rejects_path) in enumerate(zip(page_rows, pages, page_rejects)):
        dropped = dropped_ids(batch_indexes[i], kept_files) if batch_indexes else frozenset()
        with_rows = set()
        for row in BATCH_PAGES.rows(pages_path):
            if row[0] in dropped:
                if int(row[6]):
                    with_rows.add(row[0])
                continue
            kept.append(row)
            stats["pages"] += 1
            stats["page_rows"] += int(row[6])
        for record_id, path, where, scope, reason in BATCH_PAGE_REJECTS.rows(rejects_path):
            if record_id not in dropped:
                rejects.add(path, where, scope, reason)
        if with_rows:
            files.append(_drop_pages(rows_path, with_rows, os.path.join(work, f"pages{i}.tsv")))
        else:
            files.append(rows_path)
    return kept, files


def _drop_pages(path: str, record_ids: set[str], out_path: str) -> str:
    """A copy of a page partial without the rows of ``record_ids``."""
    drop = {("page:" + r).encode("utf-8") for r in record_ids}
    with open(path, "rb") as fh, open(out_path, "wb") as out:
        for line in fh:
            if line.rstrip(b"\n").rsplit(b"\t", 1)[-1] not in drop:
                out.write(line)
    return out_path


# --------------------------------------------------------------- downloads


def plan_downloads(
    pages: Iterable[list[str]], downloads: list[str], rejects: Rejects, stats: Counter
) -> tuple[dict[tuple[str, str], str], dict[str, tuple[str, str]], list[tuple[str, str, str]]]:
    """Which download is read for which list: ``{(kind, protein): path}``, the pages' own (NCBI ids,
    name) per protein, and the missing downloads (record id, field, file name), sorted.

    A page's download is the first of ``downloads`` (look-up order) named as
    the page names it or under the other generation's name; downloads no
    page names are read too, for the protein in their name; of several files
    for the same list the first is read.
    """
    by_name: dict[str, tuple[int, str]] = {}  # file name -> (look-up position, path) of its first copy
    for i, p in enumerate(downloads):
        by_name.setdefault(os.path.basename(p), (i, p))
    own: dict[str, tuple[str, str]] = {}
    planned: dict[tuple[str, str], str] = {}
    missing: list[tuple[str, str, str]] = []
    for record_id, acc, ncbi, name, tfs_download, targets_download, _rows in pages:
        own[acc] = (decode_path(ncbi), decode_path(name))
        for field, kind, cell in (("tfs_download", "tfs", tfs_download), ("targets_download", "targets", targets_download)):
            file_name = decode_path(cell)
            if not file_name:
                continue
            found = [f for f in (by_name.get(file_name), by_name.get(other_generation(file_name))) if f]
            if not found:
                missing.append((record_id, field, file_name))
                log.warning("%s: %s %s not found in tflink_downloads; the page's own rows are used", record_id, field, file_name)
                continue
            planned.setdefault((kind, acc), min(found)[1])
    used = set(planned.values())
    for p in downloads:
        if p in used:
            continue
        kind, acc = DOWNLOAD_RE.match(os.path.basename(p)).groups()
        if (kind, acc) in planned:
            log.info("%s: not read, %s is read for %s_of_%s", p, planned[(kind, acc)], kind, acc)
            stats["downloads_not_read_duplicates"] += 1
            continue
        if not safe_id(acc):
            rejects.add(p, "file name", "file", f"accession {acc[:60]!r} in the file name is not a plain identifier")
            continue
        planned[(kind, acc)] = p
        stats["downloads_without_page"] += 1
    return planned, own, sorted(set(missing))


def _download_lines(
    planned: dict[tuple[str, str], str],
    own: dict[str, tuple[str, str]],
    rows_path: str,
    notes_path: str,
    out_path: str,
    rejects: Rejects,
    stats: Counter,
    work: str,
) -> None:
    """The common rows of the planned downloads, sorted, into ``out_path``; their problems to ``rejects``
    (in the order the downloads are read: by list, then protein)."""
    notes: dict[str, list[list[str]]] = defaultdict(list)
    if notes_path:
        for file, *note in DOWNLOAD_REJECTS.rows(notes_path):
            notes[file].append(note)
    reads: dict[str, list[tuple]] = defaultdict(list)  # file (table form) -> how it is read
    for (kind, acc), p in sorted(planned.items()):
        stats["downloads"] += 1
        cell = encode_path(p)
        usable = True
        for note_kind, where, scope, reason in notes.get(cell, ()):
            if note_kind and note_kind != kind:
                continue  # the header of the other list
            if scope == "error":
                raise RecordError(p, where, reason)
            if scope == "file":
                rejects.add(p, where, "file", reason)
                usable = False
                break
            rejects.add(p, where, "row", reason)
        if usable:
            reads[cell].append((kind, acc, own.get(acc, ("", "")), "download:" + os.path.basename(p)))
    with SortedLines(work) as lines:
        if reads and rows_path:
            with DOWNLOAD_ROWS.read(rows_path) as reader:
                for file, other, ncbi, *rest in reader:
                    for kind, acc, own_ids, origin in reads.get(file, ()):
                        row = (other, decode_path(ncbi), *rest)
                        lines.add(download_line(kind, acc, own_ids, row, origin).encode("utf-8"))
        stats["download_rows"] += lines.count
        lines.write(out_path, PARTIAL_HEADER_LINE)
    if stats["downloads"]:
        log.info("%d downloads read (%d rows)", stats["downloads"], stats["download_rows"])


# --------------------------------------------------------------- the whole collection in one call


def merge_collection(
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
    """The map steps and :func:`merge_interactions` on a whole collection, in one call (tests,
    benchmarks, and a library user without Snakemake): the pages of ``jsonls`` that ``records``
    lists, the ``downloads`` (look-up order) and the ``tables``."""
    out_dir = os.path.dirname(os.path.abspath(interactions))
    os.makedirs(out_dir, exist_ok=True)
    work = tempfile.mkdtemp(dir=out_dir, prefix=".merge_collection-")
    try:
        page_files: dict[str, list[str]] = {"rows": [], "tsv": [], "rejects": []}
        for i, jsonl in enumerate(jsonls):  # the records ``records`` lists, batch by batch
            paths = [os.path.join(work, f"pages{i}.{k}") for k in page_files]
            map_pages(load_records([jsonl], records, sources=("tflink",)), *paths)
            for k, p in zip(page_files, paths):
                page_files[k].append(p)
        dl = [os.path.join(work, f"downloads.{k}") for k in ("rows", "rejects")]
        normalise_downloads(list(downloads), *dl)
        parts: dict[str, list[str]] = {"rows": [], "rejects": [], "counts": []}
        for t in tables:
            key = table_key(t)
            paths = [os.path.join(work, f"table_{key}.{k}") for k in parts]
            if not os.path.exists(paths[0]):  # a table given twice is normalised once
                normalise_interaction_table(t, *paths, sort_memory_mb=sort_memory_mb, threads=threads)
            for k, p in zip(parts, paths):
                parts[k].append(p)
        merge_interactions(
            page_rows=page_files["rows"],
            pages=page_files["tsv"],
            page_rejects=page_files["rejects"],
            interactions=interactions,
            missing_downloads=missing_downloads,
            rejected=rejected,
            conflicts=conflicts,
            summary=summary,
            download_rows=dl[0],
            download_rejects=dl[1],
            downloads=list(downloads),
            table_rows=parts["rows"],
            table_rejects=parts["rejects"],
            table_counts=parts["counts"],
            tables=list(tables),
            on_bad_record=on_bad_record,
            sort_memory_mb=sort_memory_mb,
            threads=threads,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
