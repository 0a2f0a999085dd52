"""Provenance: hashes of every input and output of the last run, versions, verification."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import platform
import subprocess
from importlib import metadata

from . import __version__
from .cli import StepFailed
from .io import open_regular, read_tsv, sha256_file, write_tsv
from .paths import decode_path, encode_path

log = logging.getLogger("gene_records")

MANIFEST_COLUMNS = ("kind", "path", "sha256", "size", "rows")
PACKAGES = ("snakemake", "pandas", "numpy", "biopython", "PyYAML", "jsonschema")


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


def _is_gzip(path: str) -> bool:
    with open_regular(path) as fh:
        return fh.read(2) == b"\x1f\x8b"


def count_rows(path: str) -> str:
    """Data rows of a table (lines after the header), records of a FASTA, lines
    of a GMT or JSONL; gzipped files are counted on their content."""
    name = _counted_name(path)
    if name is None:
        return ""
    counter = _RowCounter(name)
    with (gzip.open(path, "rb") if _is_gzip(path) else open_regular(path)) as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            counter.feed(block)
    return counter.rows()


def hash_and_count(path: str) -> tuple[str, int, str]:
    """``(sha256, size, rows)`` of a file (rows as :func:`count_rows`), read
    once unless it is gzipped (then its content is counted in a second pass)."""
    name = _counted_name(path)
    counter = _RowCounter(name) if name is not None else None
    h = hashlib.sha256()
    size = 0
    gz = False
    with open_regular(path) as fh:
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
        rows = count_rows(path)
    else:
        rows = counter.rows()
    return h.hexdigest(), size, rows


def _walk(folder: str, skip: str) -> list[str]:
    """Regular files (or links to them) under ``folder``; never a FIFO or a
    device, which hashing would block on or read for ever."""
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if os.path.join(root, d) != skip)
        out.extend(
            os.path.join(root, f) for f in files if not f.startswith(".") and os.path.isfile(os.path.join(root, f))
        )
    return sorted(out)


def _download_files(folders: list[str]) -> list[str]:
    out = []
    for folder in folders:
        if os.path.isdir(folder):
            out.extend(_walk(folder, ""))
    return out


def write_provenance(
    records: str,
    rejected: str,
    outputs: list[str],
    manifest: str,
    versions: str,
    config: dict,
    tflink_downloads: list[str],
    interaction_tables: list[str],
) -> None:
    """Write the manifest (every input and output file: path, sha256, size,
    rows) and the versions table.

    Inputs: every record file (accepted ones take the sha256 that parsing
    recorded in records.tsv; rejected ones are hashed here), every file in the
    download folders, every interaction table, and the config in effect (as the
    sha256 of its canonical JSON). Outputs: every file under the results folder
    except the provenance folder itself. ``outputs`` (the final targets) is only
    there so this step runs last.
    """
    del outputs
    rows = []
    header, recs = read_tsv(records)
    i_path, i_sha = header.index("source_file"), header.index("sha256")
    # Paths in tables are in table form (gene_records.paths): decoded to reach
    # the file, written to the manifest in table form again.
    for r in recs:
        rows.append(("input", r[i_path], r[i_sha], os.path.getsize(decode_path(r[i_path])), ""))
    _, rej = read_tsv(rejected)
    for shown in sorted({r[0] for r in rej}):
        path = decode_path(shown)
        # only regular files reached without a link: a rejected link may lead
        # anywhere (a device, /proc), and a FIFO or a device is never read
        if not os.path.islink(path) and os.path.isfile(path):
            try:
                rows.append(("input", shown, sha256_file(path), os.path.getsize(path), ""))
            except OSError:
                pass  # gone or replaced since the run: nothing to vouch for
    for path in _download_files(tflink_downloads) + list(interaction_tables):
        rows.append(("input", encode_path(path), *hash_and_count(path)))
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    rows.append(("config", "config", hashlib.sha256(canonical).hexdigest(), len(canonical), ""))

    results_dir = os.path.dirname(os.path.dirname(records))  # results/tables/records.tsv -> results
    own_dir = os.path.dirname(manifest)
    n_out = 0
    for path in _walk(results_dir, own_dir):
        rows.append(("output", encode_path(path), *hash_and_count(path)))
        n_out += 1
        if n_out % 5000 == 0:
            log.info("hashed %d output files", n_out)
    rows.sort(key=lambda r: (r[0] != "input", r[0], r[1]))
    write_tsv(manifest, MANIFEST_COLUMNS, rows)
    write_tsv(versions, ("component", "version"), version_rows())
    log.info("manifest: %d inputs, %d outputs", len(rows) - n_out, n_out)


def version_rows() -> list[tuple[str, str]]:
    # the package lives inside the workflow's checkout: its git commit is the workflow's
    package_dir = os.path.dirname(os.path.abspath(__file__))
    rows = [("gene-records", __version__), ("gene-records git commit", git_commit(package_dir))]
    rows.append(("python", platform.python_version()))
    for pkg in PACKAGES:
        try:
            rows.append((pkg, metadata.version(pkg)))
        except metadata.PackageNotFoundError:
            rows.append((pkg, "not installed"))
    return rows


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
    header, rows = read_tsv(manifest)
    problems = []
    checked = 0
    for kind, shown, sha, _size, _rows in rows:
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
