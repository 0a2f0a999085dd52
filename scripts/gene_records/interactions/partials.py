"""The map steps of the interactions: each input normalised once into its own sorted partial table.

``merge_interactions`` (:mod:`.reduce`) used to read every input again on
every run. Now each input has a step whose outputs stay until the input
changes, and the merge only merges their partials:

* :func:`map_pages` (run by each parse batch's map job, rule
  ``parse_records``, on the records it parsed; :func:`tabulate_page_interactions`
  runs it on a batch JSONL): the page rows of the batch's TFLink pages, one copy of a
  record given twice (:func:`gene_records.batches.first_copies`);
* :func:`normalise_downloads` (one job): every row of every per-protein
  download, without the protein it is read for (the merge decides that from
  the pages);
* :func:`normalise_interaction_table` (one job per whole-organism table):
  its rows, normalised by ``threads`` processes over byte ranges and sorted
  by GNU sort.

The row partials of pages and tables start with ``#`` and the header of
interactions.tsv (:data:`.columns.PARTIAL_HEADER_LINE`, which sorts before
every row) and are sorted as whole lines in byte order, so that ``sort -m``
merges them. None of these steps
depends on ``on_bad_record``: they note every problem (:mod:`gene_records.tables`
declares the notes) and the merge fails on them or lists them; a file that
cannot be opened stops the step itself.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
from typing import Iterable

from ..batches import first_copies
from ..errors import ConfigError
from ..extsort import ExternalSort
from ..io import AtomicWriter
from ..paths import encode_path
from ..records import iter_jsonl
from ..tables import BATCH_PAGE_REJECTS, BATCH_PAGES, DOWNLOAD_REJECTS, DOWNLOAD_ROWS, TABLE_COUNTS, TABLE_REJECTS
from .columns import PARTIAL_HEADER_LINE
from .normalise import Normaliser
from ..pool import process_pool, stop, submit
from .sources import join_lines, normalise_table_range, page_lines, read_download, table_header, table_ranges

log = logging.getLogger("gene_records")

# A page partial is sorted in memory up to this many rows, by GNU sort beyond.
MEMORY_SORT_ROWS = 1_000_000


# --------------------------------------------------------------- sorted partials


class SortedLines:
    """Collect lines (bytes, each ending in ``\\n``) and write them sorted (byte order) to a file.

    Up to :data:`MEMORY_SORT_ROWS` lines are sorted in memory; past that
    they stream to GNU sort (memory stays bounded). Use as a context manager
    around :meth:`add`, then :meth:`write` (after an optional first line).
    """

    def __init__(self, workdir: str, buffer_mb: int = 256):
        self.workdir, self.buffer_mb = workdir, buffer_mb
        self.lines: list[bytes] = []
        self.sorter: ExternalSort | None = None
        self.count = 0

    def add(self, line: bytes) -> None:
        self.lines.append(line)
        self.count += 1
        if len(self.lines) >= MEMORY_SORT_ROWS:
            if self.sorter is None:
                self.sorter = ExternalSort(self.workdir, self.buffer_mb, 1)
            self.sorter.write(b"".join(self.lines))
            self.lines.clear()

    def write(self, path: str, header: bytes = b"") -> None:
        with AtomicWriter(path, "wb") as out:
            out.write(header)
            if self.sorter is None:
                self.lines.sort()
                out.write(b"".join(self.lines))
            else:
                self.sorter.write(b"".join(self.lines))
                shutil.copyfileobj(self.sorter.output(), out, 1 << 20)
                self.sorter.wait()
        self.lines.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.sorter is not None:
            self.sorter.close()
        return False


def sort_files(files: list[str], out: str, workdir: str, sort_memory_mb: int, threads: int) -> None:
    """GNU sort (whole lines, byte order) of ``files`` into ``out`` (renamed into place when done)."""
    tmp = os.path.join(os.path.dirname(os.path.abspath(out)), "." + os.path.basename(out) + ".sorting")
    try:
        with ExternalSort(workdir, sort_memory_mb, threads, files=files, keys=["-o", tmp]) as sorter:
            sorter.wait()
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# --------------------------------------------------------------- pages


class _PageRejects:
    """Collects one page's bad entries (the ``rejects`` of :func:`.sources.page_lines`)."""

    def __init__(self, rows: list):
        self.rows = rows
        self.record_id = ""

    def add(self, path: str, where: str, scope: str, reason: str, table: bool = False) -> None:
        self.rows.append((self.record_id, path, where, scope, reason))


def map_pages(records: Iterable[dict], page_interactions: str, pages: str, page_rejects: str) -> int:
    """Write the page partials of one batch's records; return the number of pages.

    ``records`` are the batch's records in its JSONL order (sorted by record
    id; any source: only TFLink pages are read). Of several copies of one
    record the one :func:`gene_records.batches.first_copies` keeps is read.
    Writes the page rows (``page_interactions``, sorted), one row
    per page with what reading its downloads needs (``pages``) and the bad
    entries (``page_rejects``).
    """
    norm = Normaliser()
    page_rows: list[tuple] = []
    reject_rows: list[tuple] = []
    collect = _PageRejects(reject_rows)
    work = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(page_interactions)) or ".", prefix=".pages-")
    try:
        with SortedLines(work) as rows:
            for rec in first_copies(r for r in records if r.get("source") == "tflink"):
                collect.record_id = rec["record_id"]
                n = 0
                for line in page_lines(rec, norm, collect):
                    rows.add(line.encode("utf-8"))
                    n += 1
                page_rows.append(
                    (
                        rec["record_id"],
                        rec["uniprot_accession"],
                        encode_path(norm.ids[rec.get("ncbi_gene_id", "") or ""]),
                        encode_path(norm.name[rec.get("name", "") or ""]),
                        encode_path((rec.get("tfs_download") or "").strip()),
                        encode_path((rec.get("targets_download") or "").strip()),
                        n,
                    )
                )
            rows.write(page_interactions, PARTIAL_HEADER_LINE)
            n_rows = rows.count
    finally:
        shutil.rmtree(work, ignore_errors=True)
    BATCH_PAGES.write(pages, page_rows)
    BATCH_PAGE_REJECTS.write(page_rejects, reject_rows)
    log.info("%d TFLink pages: %d rows, %d bad entries", len(page_rows), n_rows, len(reject_rows))
    return len(page_rows)


def tabulate_page_interactions(jsonl: str, page_interactions: str, pages: str, page_rejects: str) -> None:
    """Normalise the TFLink pages of one parse batch into its page partials (see :func:`map_pages`)."""
    map_pages(iter_jsonl([jsonl], sources=("tflink",)), page_interactions, pages, page_rejects)


# --------------------------------------------------------------- downloads


def normalise_downloads(downloads: list[str], rows: str, rejects: str) -> None:
    """Normalise every per-protein download (in look-up order) into one partial and its notes.

    Each row is the other protein's columns and the evidence; which protein
    and list a download is read for is decided by the merge, from the pages.
    A file that cannot be opened stops the step.
    """
    norm = Normaliser()
    n_rows = n_notes = 0
    with DOWNLOAD_ROWS.writer(rows) as out, DOWNLOAD_REJECTS.writer(rejects) as rej:
        for i, p in enumerate(downloads, start=1):
            got, notes = read_download(p, norm)
            file = encode_path(p)
            for r in got:
                out.row((file, r[0], encode_path(r[1]), *r[2:]))
            for kind, where, scope, reason in notes:
                rej.row((file, kind, where, scope, reason))
            n_rows += len(got)
            n_notes += len(notes)
            if i % 1000 == 0:
                log.info("%d downloads read", i)
    log.info("%d downloads: %d rows, %d notes", len(downloads), n_rows, n_notes)


# --------------------------------------------------------------- whole-organism tables


def table_key(path: str) -> str:
    """The ``{table}`` of a whole-organism table's partials: its file name as a plain word and a
    hash of its path as the config gives it (two tables of the same name never share partials)."""
    name = re.sub(r"[^A-Za-z0-9_]+", "_", os.path.basename(os.path.normpath(path))).strip("_")[:60]
    digest = hashlib.sha256(os.fsencode(os.path.normpath(path))).hexdigest()[:12]
    return f"{name or 'table'}-{digest}"


def table_code(path: str) -> bytes:
    """The origin of a table's rows in its partial (no ``:``, so never a real origin): ``t#`` and 8
    hex digits of the hash of its path; short, so that sorting costs less. The merge writes
    ``table:<file name>`` in its place."""
    return b"t#" + table_key(path).rsplit("-", 1)[1][:8].encode()


def normalise_interaction_table(
    table: str, rows: str, rejects: str, counts: str, sort_memory_mb: int = 1024, threads: int = 1
) -> None:
    """Normalise one whole-organism table into its sorted partial, its notes and its counts.

    The header is checked; the data rows are normalised by ``threads``
    processes over byte ranges (a gzipped table is one range) and sorted by
    GNU sort. Every bad row is noted with its line number; a table that
    cannot be read to its end is noted as ``unreadable`` and its partial
    left empty (the merge fails or skips the whole table).
    """
    out_dir = os.path.dirname(os.path.abspath(rows))
    os.makedirs(out_dir, exist_ok=True)
    work = tempfile.mkdtemp(dir=out_dir, prefix=".normalise_table-")
    notes: list[tuple[str, str, str]] = []
    n_rows = n_lines = 0
    pool = None
    try:
        data_start, problem = table_header(table)
        parts: list[str] = []
        if problem is not None:
            notes.append(problem)
        else:
            ranges = table_ranges(table, data_start, threads)
            jobs = [
                (table, a, b, os.path.join(work, f"range{k}.tsv"), os.path.join(work, f"range{k}.rej"), False,
                 table_code(table))
                for k, (a, b) in enumerate(ranges)
            ]
            pool = process_pool(min(threads, len(jobs))) if threads > 1 and len(jobs) > 1 else None
            futures = [submit(pool, normalise_table_range, *job) for job in jobs]
            results = [f.result() for f in futures]
            if pool:
                pool.shutdown()
                pool = None
            first = 2  # line 1 is the header
            unreadable = False
            for job, (r, lines, error) in zip(jobs, results):
                with open(job[4], encoding="utf-8") as fh:
                    for line in fh:
                        n, reason = line.rstrip("\n").split("\t", 1)
                        notes.append((f"line {first + int(n) - 1}", "row", reason))
                if error:
                    line, reason, _scope = error
                    notes.append((f"line {first + line - 1}", "unreadable", reason))
                    unreadable = True
                first += lines
                n_rows += r
            n_lines = first - 2
            if unreadable:
                n_rows = 0
            else:
                parts = [job[3] for job in jobs]
        header = os.path.join(work, "header")
        with open(header, "wb") as fh:
            fh.write(PARTIAL_HEADER_LINE)  # sorts first
        sort_files([header] + parts, rows, work, sort_memory_mb, threads)
        TABLE_REJECTS.write(rejects, notes)
        TABLE_COUNTS.write(counts, [("rows", n_rows), ("lines", n_lines)])
    finally:
        stop(pool)
        shutil.rmtree(work, ignore_errors=True)
    log.info("%s: %d lines read, %d rows, %d notes", table, n_lines, n_rows, len(notes))
    if n_rows and os.path.getsize(rows) <= len(PARTIAL_HEADER_LINE):
        raise ConfigError(f"sort wrote no rows of {table}")
