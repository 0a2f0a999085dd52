"""Provenance: hashes of every input and output of the last run, versions, verification."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import platform
import stat
import subprocess
from importlib import metadata

from . import __version__, hashcache
from .cli import StepFailed
from .hashcache import HashCache, signature
from .io import open_regular, sha256_file
from .paths import decode_path, encode_path
from .pool import process_pool, stop, submit
from .tables import MANIFEST, RECORDS, REJECTED_RECORDS, VERSIONS

log = logging.getLogger("gene_records")

PACKAGES = ("snakemake", "pandas", "pyarrow", "numpy", "biopython", "PyYAML", "jsonschema")


_COUNTED = (".tsv", ".gmt", ".fasta", ".jsonl")
_BLOCK = 1 << 20


class _RowCounter:
    """Counts rows as :func:`count_rows` defines them, fed block by block
    (bytes.count in C instead of a Python loop over lines)."""

    def __init__(self, name: str):
        self.fasta = name.endswith(".fasta")
        self.tsv = name.endswith(".tsv")
        self.newlines = 0
        self.headers = 0
        self.last = b"\n"  # as if a line ended just before the file
        self.empty = True

    def feed(self, block: bytes) -> None:
        if not block:
            return
        self.newlines += block.count(b"\n")
        if self.fasta:
            self.headers += block.count(b"\n>") + (self.last == b"\n" and block[:1] == b">")
        self.last = block[-1:]
        self.empty = False

    def rows(self) -> str:
        if self.fasta:
            return str(self.headers)
        n = self.newlines + (0 if self.empty or self.last == b"\n" else 1)
        return str(n - 1 if self.tsv and n else n)


def _counted_name(path: str) -> str | None:
    name = path[:-3] if path.endswith(".gz") else path
    return name if name.endswith(_COUNTED) else None


def _count(fh, name: str) -> str:
    counter = _RowCounter(name)
    for block in iter(lambda: fh.read(_BLOCK), b""):
        counter.feed(block)
    return counter.rows()


def _count_gzip(fh, name: str) -> str:
    """Rows of the gzipped content of the open file ``fh`` (from its start)."""
    fh.seek(0)
    with gzip.GzipFile(fileobj=fh, mode="rb") as gz:
        return _count(gz, name)


def count_rows(path: str) -> str:
    """Data rows of a table (lines after the header), records of a FASTA, lines
    of a GMT or JSONL; gzipped files are counted on their content."""
    name = _counted_name(path)
    if name is None:
        return ""
    with open_regular(path) as fh:
        if fh.read(2) == b"\x1f\x8b":
            return _count_gzip(fh, name)
        fh.seek(0)
        return _count(fh, name)


def hash_and_count(path: str) -> tuple[str, int, str]:
    """``(sha256, size, rows)`` of a file (rows as :func:`count_rows`), read
    once unless it is gzipped (then its content is counted in a second pass
    over the same open file)."""
    with open_regular(path) as fh:
        return _read(fh, path, True)


def _read(fh, path: str, counted: bool) -> tuple[str, int, str]:
    """:func:`hash_and_count` of the open file ``fh`` (rows ``""`` unless ``counted``)."""
    name = _counted_name(path) if counted else None
    counter = _RowCounter(name) if name is not None else None
    h = hashlib.sha256()
    size = 0
    gz = False
    for block in iter(lambda: fh.read(_BLOCK), b""):
        if size == 0:
            gz = block[:2] == b"\x1f\x8b"
        h.update(block)
        size += len(block)
        if counter is not None and not gz:
            counter.feed(block)
    if counter is None:
        rows = ""
    elif gz:
        rows = _count_gzip(fh, name)
    else:
        rows = counter.rows()
    return h.hexdigest(), size, rows


def _cached_read(
    path: str, key: str, st: os.stat_result, cache: HashCache, counted: bool = True
) -> tuple[str, int, str]:
    """``(sha256, size, rows)`` of the regular file ``path`` (``key``: its
    table form) whose stat is ``st``: from the cache when the file is
    unchanged since the last run read it, otherwise read (and stored in the
    cache with the stat of the file that was read, unless it changed while
    being read). Rows are ``""`` unless ``counted``."""
    return _cached_reads([(path, key, st)], cache, 1, counted)[0]


def _cached_reads(
    files: list[tuple[str, str, os.stat_result]], cache: HashCache, threads: int, counted: bool = True
) -> list[tuple[str, int, str]]:
    """:func:`_cached_read` of every ``(path, key, stat)`` of ``files``, in
    their order; with ``threads`` > 1 the files the cache does not vouch for
    are read by two processes at once."""
    out: list = [None] * len(files)
    misses = []
    for i, (_, key, st) in enumerate(files):
        entry = cache.get(key, st, counted)
        if entry is None:
            misses.append(i)
        else:
            out[i] = (entry.sha256, entry.size, entry.rows if counted else "")

    paths = [files[i][0] for i in misses]
    pool = process_pool(1) if threads > 1 and len(paths) > 1 else None
    try:
        # every other file to a forked process, the rest here: hashing many
        # small files is mostly Python, which threads would not run at once
        theirs = submit(pool, _read_files, paths[1::2], counted)
        done = [None] * len(paths)
        done[0::2], done[1::2] = _read_files(paths[0::2], counted), theirs.result()
        if pool is not None:
            pool.shutdown()
            pool = None
    finally:
        stop(pool)
    for i, (sha, size, rows, before) in zip(misses, done):
        if before is not None:
            cache.put(files[i][1], before, sha, rows if counted else None)
        out[i] = (sha, size, rows)
    return out


def _read_files(paths: list[str], counted: bool) -> list[tuple]:
    """``(sha256, size, rows, stat)`` of each file of ``paths``, read; ``stat``
    is that of the file read, or ``None`` when it changed while being read."""
    out = []
    for path in paths:
        with open_regular(path) as fh:
            before = os.fstat(fh.fileno())
            sha, size, rows = _read(fh, path, counted)
            after = os.fstat(fh.fileno())
        unchanged = after.st_size == size and signature(before) == signature(after)
        out.append((sha, size, rows, before if unchanged else None))
    return out


def _walk(folder: str, skip: str) -> list[tuple[str, os.stat_result]]:
    """Regular files (or links to them) under ``folder`` with their stat;
    never a FIFO or a device, which hashing would block on or read for ever."""
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if os.path.join(root, d) != skip)
        for f in files:
            if f.startswith("."):
                continue
            path = os.path.join(root, f)
            try:
                st = os.stat(path)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                out.append((path, st))
    out.sort(key=lambda item: item[0])
    return out


def _download_files(folders: list[str]) -> list[tuple[str, os.stat_result]]:
    out = []
    for folder in folders:
        if os.path.isdir(folder):
            out.extend(_walk(folder, ""))
    return out


def code_stamp() -> str:
    """The identity of the code that computes what the hash cache holds (the
    bytes of this module and of gene_records.hashcache): other code never
    reuses the cache. Empty when they cannot be read: then no cache is used."""
    h = hashlib.sha256()
    try:
        for module in (__file__, hashcache.__file__):
            with open(module, "rb") as fh:
                h.update(fh.read())
    except OSError:
        return ""
    return h.hexdigest()


# Files read (with the reason) listed one per line in the log, up to this many.
LISTED_READS = 10_000


def write_provenance(
    records: str,
    rejected: str,
    outputs: list[str],
    manifest: str,
    versions: str,
    config: dict,
    tflink_downloads: list[str],
    interaction_tables: list[str],
    hash_cache: str = "",
    threads: int = 1,
) -> None:
    """Write the manifest (every input and output file: path, sha256, size,
    rows) and the versions table.

    Inputs: every record file (accepted ones take the sha256 that parsing
    recorded in records.tsv; rejected ones are hashed here), every file in the
    download folders, every interaction table, and the config in effect (as the
    sha256 of its canonical JSON). Outputs: every file under the results folder
    except the provenance folder itself. ``outputs`` (the final targets) is only
    there so this step runs last.

    ``hash_cache``: a file (the workflow's is under ``.snakemake/``) where the
    sha256, size and rows of every file read are kept with the file's stat
    (gene_records.hashcache): a file unchanged since the last run is not read
    again. The manifest is the same with or without it.

    ``threads`` > 1: the files the cache does not vouch for are read by two
    processes (the manifest is the same either way).
    """
    del outputs
    stamp = code_stamp()
    cache = HashCache(hash_cache if hash_cache and stamp else None, stamp)
    log.info("hash cache %s: %s", hash_cache or "(none)", cache.status)
    rows = []
    # Paths in tables are in table form (gene_records.paths): decoded to reach
    # the file, written to the manifest in table form again.
    with RECORDS.read(records) as reader:
        i_path, i_sha = reader.col("source_file"), reader.col("sha256")
        for r in reader:
            rows.append(("input", r[i_path], r[i_sha], os.path.getsize(decode_path(r[i_path])), ""))
    with REJECTED_RECORDS.read(rejected) as reader:
        i_path = reader.col("source_file")
        rejected_files = sorted({r[i_path] for r in reader})
    for shown in rejected_files:
        path = decode_path(shown)
        # only regular files reached without a link: a rejected link may lead
        # anywhere (a device, /proc), and a FIFO or a device is never read
        try:
            st = os.lstat(path)
            if stat.S_ISREG(st.st_mode):
                rows.append(("input", shown, *_cached_read(path, shown, st, cache, counted=False)))
        except OSError:
            pass  # gone or replaced since the run: nothing to vouch for
    inputs = _download_files(tflink_downloads) + [(path, os.stat(path)) for path in interaction_tables]
    files = [(path, encode_path(path), st) for path, st in inputs]
    for (_, key, _), read in zip(files, _cached_reads(files, cache, threads)):
        rows.append(("input", key, *read))
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    rows.append(("config", "config", hashlib.sha256(canonical).hexdigest(), len(canonical), ""))

    results_dir = os.path.dirname(os.path.dirname(records))  # results/tables/records.tsv -> results
    own_dir = os.path.dirname(manifest)
    files = [(path, encode_path(path), st) for path, st in _walk(results_dir, own_dir)]
    for (_, key, _), read in zip(files, _cached_reads(files, cache, threads)):
        rows.append(("output", key, *read))
    n_out = len(files)
    rows.sort(key=lambda r: (r[0] != "input", r[0], r[1]))
    MANIFEST.write(manifest, rows)
    VERSIONS.write(versions, version_rows())
    log.info("manifest: %d inputs, %d outputs", len(rows) - n_out, n_out)
    log.info("hash cache: %s", cache.summary())
    if cache.old and len(cache.reasons) <= LISTED_READS:
        for key, reason in sorted(cache.reasons.items()):
            log.info("read %s (%s)", key, reason)
    cache.save()


def version_rows() -> list[tuple[str, str]]:
    # the package lives inside the workflow's checkout: its git commit is the workflow's
    package_dir = os.path.dirname(os.path.abspath(__file__))
    commit = git_commit(package_dir)
    if commit == "unknown":  # not a checkout: pip-installed, e.g. from a git tag
        commit = installed_commit()
    rows = [("gene-records", __version__), ("gene-records git commit", commit)]
    rows.append(("python", platform.python_version()))
    for pkg in PACKAGES:
        try:
            rows.append((pkg, metadata.version(pkg)))
        except metadata.PackageNotFoundError:
            rows.append((pkg, "not installed"))
    return rows


def installed_commit() -> str:
    """The git commit an installed gene-records was built from (pip records it,
    PEP 610, for ``pip install git+...@tag``), or ``unknown``."""
    try:
        direct_url = json.loads(metadata.distribution("gene-records").read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, ValueError):
        return "unknown"
    return direct_url.get("vcs_info", {}).get("commit_id") or "unknown"


def git_commit(workflow_dir: str) -> str:
    """The workflow's git commit (``-dirty`` with local changes), or ``unknown``."""
    try:
        head = subprocess.run(
            ["git", "-C", workflow_dir, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if head.returncode != 0:
            return "unknown"
        dirty = subprocess.run(
            ["git", "-C", workflow_dir, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def verify_provenance(manifest: str) -> None:
    """Recompute the hashes of every file in the manifest (run from the
    working directory of the run). Reports inputs that changed since the run
    (its outputs are stale: rerun snakemake) and outputs that no longer match
    what the run wrote; fails if there is any."""
    rows = MANIFEST.rows(manifest)
    i_kind, i_path, i_sha = (MANIFEST.index(c) for c in ("kind", "path", "sha256"))
    problems = []
    checked = 0
    for row in rows:
        kind, shown, sha = row[i_kind], row[i_path], row[i_sha]
        if kind == "config":
            continue
        checked += 1
        path = decode_path(shown)  # the manifest holds paths in table form
        if not os.path.isfile(path):
            problems.append(f"{kind} {shown}: missing")
            continue
        try:
            same = sha256_file(path) == sha
        except OSError as exc:
            problems.append(f"{kind} {shown}: cannot read it ({exc.strerror})")
            continue
        if not same:
            what = "changed since the run: its outputs are stale" if kind == "input" else "modified after the run"
            problems.append(f"{kind} {shown}: {what}")
    for p in problems:
        log.warning(p)
    log.warning("verified %d files: %d problem(s)", checked, len(problems))
    if problems:
        raise StepFailed()
