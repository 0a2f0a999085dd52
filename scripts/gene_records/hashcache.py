"""A cache of what was read from files, keyed by each file's stat, so that a rerun re-reads only what changed.

Like git's index: an entry holds what was read from a file (its sha256, size
and row count) and the file's stat when it was read: device, inode, size,
mtime and ctime (nanoseconds). A file whose stat still matches all five reuses
its entry; any difference and the file is read again. What is detectable:

- a rewrite, in place or by a new file renamed over it (new inode), even with
  the same size and the old mtime put back (``touch -d``, ``os.utime``): the
  ctime, which no user can set, changes with every write, utime, chmod or
  rename;
- a file replaced by a copy of another (``cp -p``, a restored backup) or
  a cache copied to another machine or folder: the device or the inode
  differs.

What is not: a change that keeps the inode, size, mtime and ctime alike
(setting the system clock back, writing the disk below the file system).
``make verify`` (:func:`gene_records.provenance.verify_provenance`) never uses
the cache: it reads every file.

**Racily clean.** A file written again within the timestamp granularity of
the moment it was read keeps its mtime. So an entry is trusted only if the
file's mtime and ctime are at least :data:`RACY_MARGIN_NS` older than the
start of the run that read it (by the later of the wall clock and the clock
of the cache's file system, which stamps a file at the start); a file that
was newer is stored marked racy and read again by the next run (the same
next run then trusts it). 2 s covers the coarsest common granularity (FAT's
2 s; ext3's and HFS+'s 1 s; ext4, XFS, Btrfs and NFSv3+ keep nanoseconds).

**Never a reason to fail.** A missing, unreadable, truncated or corrupt cache
(each file ends with the count and the sha256 of its lines), one of another
format or written by other code (its ``stamp``: the caller's code identity,
so that a change in what is cached empties it) is ignored: every file is
read. The cache is written atomically (a temporary file renamed over it), so
concurrent runs each leave a complete cache (the last one wins); a cache that
cannot be written is skipped with a warning. It holds exactly the files of
the last run: entries of files that are gone are dropped.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import time
from typing import NamedTuple

from .io import AtomicWriter

log = logging.getLogger("gene_records")

FORMAT = "gene-records hash cache 1"
RACY_MARGIN_NS = 2_000_000_000
# Temporary files of a killed run older than this are removed by the next one.
_STALE_TMP_NS = 24 * 3600 * 1_000_000_000
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")
_ROWS = re.compile(r"(?:[0-9]*|-)\Z")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # surrogate escapes: bytes that are not UTF-8
        return False
    return True


class Entry(NamedTuple):
    """What was read from a file (``rows``: ``-`` when it was not counted)
    and the file's stat when it was read."""

    dev: int
    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int
    sha256: str
    rows: str
    trusted: bool


def signature(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """The part of a stat an entry is keyed by."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class HashCache:
    """The entries of the last run (``path``: the cache file, ``None`` for no
    cache: every file is read), and those of this run, to :meth:`save`.

    ``get`` answers from the last run's entries and records why a file has to
    be read (``reasons``); ``put`` records what this run read. Keys are the
    callers' (paths in table form)."""

    def __init__(self, path: str | None, stamp: str, margin_ns: int | None = None):
        self.path = path
        self.stamp = stamp
        self.margin_ns = RACY_MARGIN_NS if margin_ns is None else margin_ns
        self.old: dict[str, Entry] = {}
        self.new: dict[str, Entry] = {}
        self.reused = 0
        self.bytes_read = 0
        self.reasons: dict[str, str] = {}  # key -> why it was read: new, changed, racy
        self.status = "no cache"
        self.started_ns = time.time_ns()
        if path is not None:
            self.started_ns = max(self.started_ns, self._file_system_now())
            self.old, self.status = self._load()

    # ---------------------------------------------------------------- reading

    def _file_system_now(self) -> int:
        """The clock of the cache's file system (a file created there now), or 0."""
        try:
            folder = os.path.dirname(self.path) or "."
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(self.path) + ".", suffix=".tmp")
            try:
                return os.fstat(fd).st_mtime_ns
            finally:
                os.close(fd)
                os.unlink(tmp)
        except OSError:
            return 0

    def _load(self) -> tuple[dict[str, Entry], str]:
        try:
            with open(self.path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            return {}, "missing"
        except OSError as exc:
            return {}, f"unreadable ({exc.strerror or exc})"
        try:
            return self._parse(data)
        except ValueError as exc:  # UnicodeDecodeError included
            return {}, f"ignored ({exc})"

    def _parse(self, data: bytes) -> tuple[dict[str, Entry], str]:
        body_end = data.rfind(b"\n", 0, len(data) - 1) + 1
        body, trailer = data[:body_end], data[body_end:].decode("utf-8")
        parts = trailer.rstrip("\n").split("\t")
        if len(parts) != 3 or parts[0] != "end" or not data.endswith(b"\n"):
            raise ValueError("truncated")
        if hashlib.sha256(body).hexdigest() != parts[2]:
            raise ValueError("checksum mismatch")
        lines = body.decode("utf-8").split("\n")[:-1]
        if not lines or lines[0] != f"{FORMAT}\t{self.stamp}":
            return {}, "ignored (another format or other code)"
        if int(parts[1]) != len(lines) - 1:
            raise ValueError("wrong count")
        entries = {}
        for line in lines[1:]:
            key, dev, ino, size, mtime, ctime, sha, rows, trusted = line.split("\t")
            if not _SHA256.match(sha) or not _ROWS.match(rows) or trusted not in ("0", "1"):
                raise ValueError("bad entry")
            entries[key] = Entry(int(dev), int(ino), int(size), int(mtime), int(ctime), sha, rows, trusted == "1")
        return entries, f"{len(entries)} entries"

    def get(self, key: str, st: os.stat_result, counted: bool = True) -> Entry | None:
        """The last run's entry of ``key`` if the file's stat ``st`` still
        matches it, it was trusted, and it holds a row count if ``counted``;
        ``None`` otherwise (the reason goes to ``reasons``)."""
        entry = self.old.get(key)
        if entry is None:
            reason = "new"
        elif signature(st) != entry[:5]:
            reason = "changed"
        elif not entry.trusted:
            reason = "racy"
        elif counted and entry.rows == "-":
            reason = "not counted"
        else:
            self.reused += 1
            self.new[key] = entry
            return entry
        self.reasons[key] = reason
        self.bytes_read += st.st_size
        return None

    def put(self, key: str, st: os.stat_result, sha256: str, rows: str | None) -> None:
        """Record what this run read from ``key`` (``rows`` None: not counted)
        with the file's stat ``st`` taken before reading it."""
        newest = max(st.st_mtime_ns, st.st_ctime_ns)
        trusted = newest < self.started_ns - self.margin_ns
        self.new[key] = Entry(*signature(st), sha256, "-" if rows is None else rows, trusted)

    # ---------------------------------------------------------------- writing

    def save(self) -> None:
        """Write this run's entries (atomically); a failure is only logged."""
        if self.path is None:
            return
        lines = [f"{FORMAT}\t{self.stamp}\n"]
        for key in sorted(self.new):
            if "\t" in key or "\n" in key or not _encodable(key):
                continue  # never in table form: a caller's bug must not corrupt the cache
            e = self.new[key]
            lines.append("\t".join([key, *map(str, e[:7]), str(int(e.trusted))]) + "\n")
        body = "".join(lines).encode("utf-8")
        try:
            with AtomicWriter(self.path, "wb") as fh:
                fh.write(body)
                fh.write(f"end\t{len(lines) - 1}\t{hashlib.sha256(body).hexdigest()}\n".encode())
        except OSError as exc:
            log.warning("hash cache %s not written (%s): the next run reads every file", self.path, exc.strerror or exc)
        self._remove_stale_temporaries()

    def _remove_stale_temporaries(self) -> None:
        folder = os.path.dirname(self.path) or "."
        prefix = "." + os.path.basename(self.path) + "."
        try:
            names = [n for n in os.listdir(folder) if n.startswith(prefix) and n.endswith(".tmp")]
            for name in names:
                tmp = os.path.join(folder, name)
                if os.lstat(tmp).st_mtime_ns < time.time_ns() - _STALE_TMP_NS:
                    os.unlink(tmp)
        except OSError:
            pass

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for reason in self.reasons.values():
            counts[reason] = counts.get(reason, 0) + 1
        why = ", ".join(f"{n} {reason}" for reason, n in sorted(counts.items()))
        size = f"{self.bytes_read / 1e6:.1f} MB"
        return f"read {len(self.reasons)} files, {size} ({why or 'none'}), reused {self.reused} from the cache"
