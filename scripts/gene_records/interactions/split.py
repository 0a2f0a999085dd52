"""Split results/tables/interactions.tsv per TF and per target, and an index.

(The gene sets and networks, per organism, are :mod:`.regulons`.)

``interactions.tsv`` is sorted by (tf_uniprot, target_uniprot) (the merge
step writes it so), so the per-TF files come from one streaming pass: the
rows of a TF are adjacent, and each file is opened once, written and closed
before the next (one file open at a time, never one open per row). The same
pass feeds each row, prefixed with its target, to GNU sort; the sorted stream
gives the per-target files the same way. Memory: one TF's (or target's)
rows, the names of its targets, and the index (one row per file).

Each split file has the header and columns of ``interactions.tsv`` and holds
exactly its rows, so the union of ``by_tf/*.tsv`` (and of
``by_target/*.tsv``) is ``interactions.tsv``. File names are the
accessions themselves; an accession that is not a plain identifier never
reaches the file system (the merge step rejects it; this step checks again).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections import Counter

from ..errors import ConfigError, RecordError
from ..extsort import ExternalSort
from ..ids import safe_id
from ..tables import BY_TARGET, BY_TF, INTERACTIONS, SPLIT_INDEX
from .columns import HEADER, HEADER_LINE, TARGET, TARGET_NAME, TF, TF_NAME
from ..pool import process_pool, stop, submit
from .sources import LineTooLong, line_blocks

log = logging.getLogger("gene_records")

_FLUSH_LINES = 50_000  # a group's rows are written out in pieces of this size
# A row is split only as far as the name it is grouped by (the other fields are not looked at).
_NAME_SPLIT = max(TF, TARGET, TF_NAME, TARGET_NAME) + 1


def _best_name(names: list[bytes]) -> bytes:
    """The most frequent non-empty name, ties to the smallest (byte order)."""
    counts = Counter(n for n in names if n)
    if not counts:
        return b""
    return min(counts, key=lambda n: (-counts[n], n))


class _GroupWriter:
    """Writes groups (a TF's or a target's rows) each to its own file, in pieces.

    The caller appends to :attr:`lines` and :attr:`names` directly (no call
    per row) and calls :meth:`spill` now and then so that a huge group is
    written out as it comes.
    """

    def __init__(self, folder: str, role: str, source: str, header_line: bytes):
        self.folder = folder
        self.header_line = header_line
        self.role = role
        self.source = source
        self.key = None
        self.lines: list[bytes] = []  # rows without their line ends
        self.names: list[bytes] = []
        self.fh = None
        self.count = 0
        self.folded: set[str] = set()
        self.index: list[tuple[str, str, str, int, str]] = []

    def start(self, key: bytes) -> None:
        """Begin the group of ``key``; a ``ValueError`` says why it cannot have a file."""
        text = key.decode("utf-8", "replace")
        if not safe_id(text):
            raise ValueError(f"{self.role} accession {text[:60]!r} is not a plain identifier; it cannot name a file")
        folded = text.lower()
        if folded in self.folded:
            raise ValueError(
                f"{self.role} accession {text!r} differs from another only in letter case; "
                "their files would collide on case-insensitive file systems"
            )
        self.folded.add(folded)
        self.key = key
        self.count = 0

    def spill(self) -> None:
        """Write out the rows gathered so far (the file stays open while its group goes on)."""
        if self.fh is None:
            self.fh = open(os.path.join(self.folder, self.key.decode() + ".tsv"), "wb")
            self.fh.write(self.header_line)
        if self.lines:
            self.count += len(self.lines)
            self.fh.write(b"\n".join(self.lines) + b"\n")
            self.lines.clear()

    def finish(self) -> str:
        """Close the group's file; return its name (the most frequent non-empty one)."""
        self.spill()
        self.fh.close()
        self.fh = None
        key = self.key.decode()
        name = _best_name(self.names).decode("utf-8")
        self.names.clear()
        sub = os.path.basename(self.folder)
        self.index.append((key, name, self.role, self.count, f"{sub}/{key}.tsv"))
        self.key = None
        return name

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()


def replace_dir(src: str, dst: str) -> None:
    """Put a finished folder in place of ``dst`` (a rename: readers never see half of it)."""
    if os.path.lexists(dst):
        if os.path.isdir(dst) and not os.path.islink(dst):
            shutil.rmtree(dst)
        else:
            os.unlink(dst)
    try:
        os.replace(src, dst)
    except OSError:  # another file system: copy, then rename the copy into place
        tmp = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(dst)) or ".", prefix=".split-")
        os.rmdir(tmp)
        shutil.copytree(src, tmp)
        os.replace(tmp, dst)


def split_interactions(
    interactions: str,
    by_tf: str,
    by_target: str,
    index: str,
    sort_memory_mb: int = 1024,
    threads: int = 1,
) -> None:
    """Write one TSV per TF (``by_tf``) and per target (``by_target``) and the index.

    Three things run at once when ``threads`` > 1: a forked process writes
    the per-TF files, GNU sort orders the rows by (target, TF), and this
    process writes the per-target files from its output.
    """
    _check_header(interactions)
    root = os.path.dirname(os.path.abspath(by_tf))
    os.makedirs(root, exist_ok=True)
    work = tempfile.mkdtemp(dir=root, prefix=".split_interactions-")
    tf_dir, tg_dir = os.path.join(work, "tf"), os.path.join(work, "target")
    os.mkdir(tf_dir)
    os.mkdir(tg_dir)
    targets = _GroupWriter(tg_dir, "target", interactions, BY_TARGET.header_line().encode("utf-8"))
    pool = process_pool(1) if threads > 1 else None
    try:
        by_tf_job = submit(pool, _tf_pass, interactions, tf_dir)
        # Sorted by target, then TF (byte order); the header
        # line sorts in among the rows and is dropped from the output.
        keys = ["-t", "\t", f"-k{TARGET + 1},{TARGET + 1}", f"-k{TF + 1},{TF + 1}"]
        with ExternalSort(work, sort_memory_mb, threads, files=[interactions], keys=keys) as sorter:
            if pool is None:  # one thread: the per-TF pass first, while sort works
                result = by_tf_job.result()
            m = _split_by_target(line_blocks(sorter.output(), None, None, 4 << 20), targets)
            sorter.wait()
        log.info("%d rows split into %d target files", m, len(targets.index))
        result = by_tf_job.result()
        if result[0] == "error":
            raise RecordError(*result[1:])
        _, n, tf_index = result
        log.info("%d rows split into %d TF files", n, len(tf_index))
        if m != n:
            raise ConfigError(f"sort returned {m} rows, {interactions} has {n}")
        replace_dir(tf_dir, by_tf)
        replace_dir(tg_dir, by_target)
        SPLIT_INDEX.write(index, _index_rows(tf_index, targets.index, by_tf, by_target, index))
    finally:
        stop(pool)
        targets.close()
        shutil.rmtree(work, ignore_errors=True)


def _tf_pass(interactions: str, tf_dir: str) -> tuple:
    """The per-TF pass as a job: ``("ok", rows, index rows)`` or ``("error", path, where, problem)``."""
    tfs = _GroupWriter(tf_dir, "tf", interactions, BY_TF.header_line().encode("utf-8"))
    try:
        n = _split_by_tf(interactions, tfs)
    except RecordError as exc:
        return ("error", exc.path, exc.where, exc.problem)
    except LineTooLong as exc:
        return ("error", interactions, "", str(exc))
    finally:
        tfs.close()
    return ("ok", n, tfs.index)


def _index_rows(tf_index: list, target_index: list, by_tf: str, by_target: str, index: str) -> list:
    """Index rows sorted by (uniprot, role); paths relative to the index's folder."""
    here = os.path.dirname(os.path.abspath(index))
    rel_tf = os.path.relpath(os.path.abspath(by_tf), here)
    rel_tg = os.path.relpath(os.path.abspath(by_target), here)
    rows = [(k, n, r, c, f"{rel_tf}/{k}.tsv") for k, n, r, c, _ in tf_index]
    rows += [(k, n, r, c, f"{rel_tg}/{k}.tsv") for k, n, r, c, _ in target_index]
    return sorted(rows, key=lambda r: (r[0], r[2]))


def _check_header(path: str) -> None:
    """interactions.tsv's header must be the declared one (one-line error naming the difference)."""
    with open(path, "rb") as fh:
        first = fh.readline()
    header = first.decode("utf-8", "replace").rstrip("\n").split("\t") if first else []
    INTERACTIONS.check_header(path, header)


def _split_by_tf(path: str, tfs: _GroupWriter) -> int:
    """Pass 1: the per-TF files."""
    width = len(HEADER)
    tabs = width - 1
    n = 1  # lines read (the header is line 1)
    lines, names = tfs.lines, tfs.names
    prev_tf = prev_tg = None
    with open(path, "rb") as fh:
        header = fh.readline()
        for block in line_blocks(fh, len(header), None):
            for line in block:
                f = line.split(b"\t", _NAME_SPLIT)
                tf, tg = f[TF], f[TARGET]
                if tf != prev_tf:
                    if prev_tf is not None:
                        if tf < prev_tf:
                            raise RecordError(
                                path, f"line {n + 1 + block.index(line)}", "rows are not sorted by tf_uniprot"
                            )
                        tfs.finish()
                    try:
                        tfs.start(tf)
                    except ValueError as exc:
                        raise RecordError(path, f"line {n + 1 + block.index(line)}", str(exc)) from None
                    prev_tf = tf
                elif tg <= prev_tg:
                    line_no = n + 1 + block.index(line)
                    raise RecordError(
                        path, f"line {line_no}", "rows are not sorted by target_uniprot, or a pair repeats"
                    )
                if line.count(b"\t") != tabs:
                    line_no = n + 1 + block.index(line)
                    found = line.count(b"\t") + 1
                    raise RecordError(path, f"line {line_no}", f"expected {width} fields, found {found}")
                prev_tg = tg
                lines.append(line)
                names.append(f[TF_NAME])
            n += len(block)
            if len(lines) >= _FLUSH_LINES:
                tfs.spill()
            if n // 1_000_000 != (n - len(block)) // 1_000_000:
                log.info("%d rows split by TF", n - 1)
        if prev_tf is not None:
            tfs.finish()
    return n - 1


def _split_by_target(blocks, targets: _GroupWriter) -> int:
    """Pass 2: the per-target files from the rows sorted by (target, TF) (blocks of lines without line ends)."""
    n = 0
    prev = None
    lines, names = targets.lines, targets.names
    header = HEADER_LINE[:-1]
    header_seen = False
    for block in blocks:
        for line in block:
            f = line.split(b"\t", _NAME_SPLIT)
            tg = f[TARGET]
            if tg != prev:
                if line == header and not header_seen:  # the header sorted in among the rows
                    header_seen = True
                    continue
                if prev is not None:
                    targets.finish()
                try:
                    targets.start(tg)
                except ValueError as exc:
                    raise RecordError(targets.source, "column target_uniprot", str(exc)) from None
                prev = tg
            lines.append(line)
            names.append(f[TARGET_NAME])
        n += len(block)
        if len(lines) >= _FLUSH_LINES:
            targets.spill()
        if n // 1_000_000 != (n - len(block)) // 1_000_000:
            log.info("%d rows split by target", n)
    if prev is not None:
        targets.finish()
    return n - header_seen
