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
from .io import open_regular, sha256_file
from .paths import decode_path, encode_path
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
    MANIFEST.write(manifest, rows)
    VERSIONS.write(versions, version_rows())
    log.info("manifest: %d inputs, %d outputs", len(rows) - n_out, n_out)


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
