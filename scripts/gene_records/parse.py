"""Record discovery, stable batches, per-batch parsing and the collect step."""

from __future__ import annotations

import errno
import hashlib
import logging
import math
import os
import shutil
import stat
from collections import defaultdict

from .batches import merge_partials
from .cli import StepFailed
from .errors import ConfigError, RecordError
from .io import DEFAULT_MAX_RECORD_BYTES, AtomicWriter, file_kind, sha256_file, write_if_changed
from .paths import decode_path, encode_path
from .records import parse_file, summary_row, to_json
from .tables import BATCH_INDEX, BATCH_LISTING, BATCH_REJECTED, RECORD_MANIFEST, RECORDS, REJECTED_RECORDS
from .tables import BATCH_RECORD_MANIFEST as MANIFEST_PART

log = logging.getLogger("gene_records")

_ID, _FILE = RECORDS.index("record_id"), RECORDS.index("source_file")
# collect_records' copy of the last record manifest: not an output (Snakemake
# removes those before the job runs), in the working directory's .snakemake/
PREVIOUS_MANIFEST = ".snakemake/gene_records/record_manifest.last_run-{key}.tsv"


# ------------------------------------------------------------------ discovery


def _inside(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _link_problem(path: str, roots: tuple[str, ...]) -> str | None:
    """Why the symbolic link ``path`` is not followed to a record, or None
    when it leads to a regular file inside the configured folders."""
    try:
        target = os.readlink(path)
    except OSError as exc:
        return f"cannot read the symbolic link ({exc.strerror})"
    shown = encode_path(target)
    try:
        real = os.path.realpath(path, strict=True)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"symbolic link loop (-> {shown})"
        if exc.errno == errno.ENOENT:
            return f"dangling symbolic link (-> {shown}: no such file)"
        return f"symbolic link -> {shown}: {exc.strerror}"
    try:
        mode = os.stat(real).st_mode
    except OSError as exc:
        return f"symbolic link -> {shown}: {exc.strerror}"
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        return f"symbolic link to {file_kind(mode)} ({encode_path(real)}), not a regular file"
    if not _inside(real, roots):
        return (
            f"symbolic link to {encode_path(real)}, outside the configured records folders: not followed "
            "(list that folder under records: to use it)"
        )
    return None  # a regular file, or a folder (walked under its own name), inside


def discover_entries(entries: list[str]) -> tuple[list[str], dict[str, str]]:
    """Every record file named by the ``records`` config key, and every entry
    that cannot be read safely as one, with the reason.

    Returns ``(files, unreadable)``: ``files`` sorted and unique, each a
    regular file (directly or through symbolic links) inside a configured
    folder, or a configured file; ``unreadable`` maps an entry's path to a
    one-line reason. Folders are searched recursively; hidden files and
    folders (``.name``) are skipped. Symbolic links are followed to a regular
    file only when it lies inside one of the configured folders (or is a
    configured file); links to folders are never walked (a folder inside the
    configured ones is found under its own name, so loops cannot form).
    Unreadable: dangling links, link loops, links out of the configured
    folders (to ``/dev``, ``/proc``, another file system, ...), links to
    folders outside, named pipes, sockets, devices, folders that cannot be
    listed. Nothing is opened or read here (a FIFO would block). A configured
    path that does not exist is a configuration error.
    """
    roots = []
    for entry in entries:
        entry = os.path.normpath(str(entry))
        if not os.path.lexists(entry):
            raise ConfigError(f"records: {entry!r} is neither a file nor a folder")
        roots.append(os.path.realpath(entry))
    roots_t = tuple(roots)
    found: set[str] = set()
    bad: dict[str, str] = {}
    for entry in entries:
        entry = os.path.normpath(str(entry))
        try:
            mode = os.stat(entry).st_mode
        except OSError:
            bad[entry] = _link_problem(entry, (os.path.realpath(entry),)) or "cannot read it"
            continue
        if stat.S_ISREG(mode):
            found.add(entry)  # named by the user: followed wherever it leads
        elif stat.S_ISDIR(mode):
            _walk_records(entry, roots_t, found, bad)
        else:
            bad[entry] = f"{file_kind(mode)}, not a regular file"
    for path in found:
        bad.pop(path, None)
    return sorted(found), dict(sorted(bad.items()))


def _walk_records(top: str, roots: tuple[str, ...], found: set[str], bad: dict[str, str]) -> None:
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                items = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            bad[folder] = f"cannot list the folder ({exc.strerror})"
            continue
        for e in items:
            if e.name.startswith("."):
                continue
            try:
                if e.is_symlink():
                    problem = _link_problem(e.path, roots)
                    if problem is not None:
                        bad[e.path] = problem
                    elif not e.is_dir():  # a link to a folder inside: found under its own name
                        found.add(e.path)
                elif e.is_dir(follow_symlinks=False):
                    stack.append(e.path)
                elif e.is_file(follow_symlinks=False):
                    found.add(e.path)
                else:
                    bad[e.path] = f"{file_kind(e.stat(follow_symlinks=False).st_mode)}, not a regular file"
            except OSError as exc:
                bad[e.path] = f"cannot read it ({exc.strerror})"


def discover(entries: list[str]) -> list[str]:
    """The record files of :func:`discover_entries` (without the unreadable entries)."""
    return discover_entries(entries)[0]


def n_batches_for(n_files: int, records_per_batch: int) -> int:
    """The number of hash buckets: the power of two that keeps batches at most
    ``records_per_batch`` records on average. It changes only when the number
    of records doubles or halves, so adding a record never reshuffles batches
    otherwise."""
    if n_files == 0:
        return 1
    need = max(1, math.ceil(n_files / max(1, records_per_batch)))
    return 1 << (need - 1).bit_length()


def batch_of(path: str, n_batches: int) -> int:
    digest = hashlib.sha1(path.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % n_batches


def assign_batches(files: list[str], records_per_batch: int) -> dict[str, list[str]]:
    """``{batch name: [files]}``; a file's batch depends only on its path and
    the bucket count (see :func:`n_batches_for`). Empty buckets are omitted."""
    n = n_batches_for(len(files), records_per_batch)
    width = max(4, len(str(n - 1)))
    batches: dict[str, list[str]] = defaultdict(list)
    for f in files:
        batches[str(batch_of(f, n)).zfill(width)].append(f)
    return {b: sorted(fs) for b, fs in sorted(batches.items())}


def listing_rows(files: list[str], unreadable: dict[str, str]) -> list[tuple[str, str, str]]:
    """The rows of a batch listing: each record file with its signature
    (``<mtime ns> <size>``; ``missing`` when it is gone since discovery), each
    unreadable entry with the reason."""
    rows = []
    for f in files:
        if f in unreadable:
            rows.append((encode_path(f), "unreadable", unreadable[f]))
            continue
        try:
            st = os.stat(f)
            signature = f"{st.st_mtime_ns} {st.st_size}"
        except OSError:
            signature = "missing"  # the parse job says why
        rows.append((encode_path(f), "file", signature))
    return rows


def _touched_only(rows: list[tuple[str, str, str]], listing: str, index: str) -> list[tuple[str, str, str]]:
    """``rows`` with the old row of each file whose time stamp changed but
    whose bytes did not (its sha256 is still the one the batch's index
    recorded when it was parsed): touching a record reruns nothing."""
    try:
        old = {r[0]: r for r in BATCH_LISTING.rows(listing)}
    except (RecordError, OSError):
        return rows  # no listing yet (or a damaged one): written anew
    index_sha = None
    out = []
    for row in rows:
        before = old.get(row[0])
        if before and before[1] == row[1] == "file" and before[2] != row[2] and before[2].split(" ")[-1:] == row[2].split(" ")[-1:]:
            if index_sha is None:
                try:
                    with BATCH_INDEX.read(index) as reader:
                        i, j = reader.col("source_file"), reader.col("sha256")
                        index_sha = {r[i]: r[j] for r in reader}
                except (RecordError, OSError):
                    index_sha = {}
            try:
                same = index_sha.get(row[0]) == sha256_file(decode_path(row[0]))
            except OSError:
                same = False
            if same:
                row = before
        out.append(row)
    return out


def write_batch_listings(
    batches: dict[str, list[str]], unreadable: dict[str, str], index_path: str = BATCH_INDEX.path
) -> dict[str, str]:
    """Write each batch's listing (``BATCH_LISTING``) unless it already holds
    exactly that: its time stamp changes only when an entry of the batch was
    added, removed or changed. Returns ``{batch: absolute path}`` (under the
    working directory's ``.snakemake/``).

    ``index_path``: where the batches' indexes are (``{batch}`` in it), which
    tell a file that was only touched from a changed one; under an importing
    workflow's module prefix, the prefixed path.

    The listing, not the record files, is the parse job's input: Snakemake
    spends about 0.1 ms per input file every time it plans and at each
    scheduling pass, which at 150,000 records is most of a rerun's cost.
    """
    paths = {}
    for batch, files in batches.items():
        path = BATCH_LISTING.path.format(batch=batch)
        rows = _touched_only(listing_rows(files, unreadable), path, index_path.format(batch=batch))
        data = (BATCH_LISTING.header_line() + "".join("\t".join(r) + "\n" for r in rows)).encode("utf-8")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_if_changed(path, data)
        # absolute: an importing workflow's module prefix (prefix: "gr") must not move it
        paths[batch] = os.path.abspath(path)
    return paths


# ------------------------------------------------------------------ parsing


def parse_batch(
    jsonl: str,
    index: str,
    rejected: str,
    records: list[str] = (),
    listing: str = "",
    on_bad_record: str = "fail",
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    unreadable: list[str] = (),
) -> list[str]:
    """Parse one batch of record files.

    Writes the canonical JSON of every good record (one per line, sorted by
    record id) to ``jsonl``, their summary rows to ``index`` and the files that
    could not be parsed, with the reason, to ``rejected``. With
    ``on_bad_record=fail`` any bad file fails the step after every file of
    the batch was tried, with one line per bad file.

    The files are ``records`` (paths) and those of ``listing`` (the batch's
    listing, :func:`write_batch_listings`: what the workflow passes). Its
    unreadable entries, and those of ``unreadable`` (each
    ``<path in table form>TAB<reason>``), are directory entries that discovery
    refused to read (:func:`discover_entries`): bad records like the others.
    ``source_file`` is the path in table form (:mod:`gene_records.paths`).
    Returns the lines written to ``jsonl`` (the map job tabulates them
    without reading the file back).
    """
    if on_bad_record not in ("fail", "skip"):
        raise ConfigError(f"on_bad_record must be 'fail' or 'skip', not {on_bad_record!r}")
    good = []
    bad = []
    for item in unreadable or ():
        shown, _, reason = item.partition("\t")
        bad.append((shown, reason))
        log.warning("%s: %s", shown, reason)
    paths = list(records)
    if listing:
        for shown, kind, detail in BATCH_LISTING.rows(listing):
            if kind == "unreadable":
                bad.append((shown, detail))
                log.warning("%s: %s", shown, detail)
            else:
                paths.append(decode_path(shown))
    for i, path in enumerate(sorted(paths), start=1):
        try:
            rec = parse_file(path, max_record_bytes)
        except RecordError as exc:
            bad.append((encode_path(path), f"{exc.where}: {exc.problem}" if exc.where else exc.problem))
            log.warning(exc.message)
            continue
        good.append((rec["record_id"], rec["source_file"], to_json(rec), summary_row(rec)))
        if i % 100 == 0:
            log.info("parsed %d of %d records", i, len(paths))
    log.info("parsed %d records, %d rejected", len(good), len(bad))
    if bad and on_bad_record == "fail":
        for path, reason in bad:
            log.error("%s: %s", path, reason)
        log.error("%d bad record(s); set on_bad_record: skip to list them in rejected_records.tsv and go on", len(bad))
        raise StepFailed()
    good.sort(key=lambda g: (g[0], g[1]))
    lines = [text + "\n" for _, _, text, _ in good]
    with AtomicWriter(jsonl) as fh:
        fh.writelines(lines)
    BATCH_INDEX.write(index, (g[3] for g in good))
    BATCH_REJECTED.write(rejected, sorted(bad))
    return lines


# ------------------------------------------------------------------ collect


def collect_records(
    indexes: list[str],
    jsonls: list[str],
    rejected_batches: list[str],
    manifests: list[str],
    records: str,
    rejected: str,
    manifest: str,
    on_bad_record: str = "fail",
) -> None:
    """Merge the batches: resolve duplicate record ids, write records.tsv,
    rejected_records.tsv and one JSON file per record.

    Of several files giving the same record id, the one whose path sorts first
    is kept and the others are rejected (or, with ``on_bad_record=fail``, the
    step fails). The JSON files next to ``manifest`` are written by the map
    step of each batch (:func:`write_record_files`, only when their content
    changed); here the kept copy of a duplicated record id is rewritten if
    another batch's copy took its place, the batches' manifest rows
    (``manifests``) are merged and the JSON files of records that no longer
    exist are removed. ``jsonls`` are read only for duplicated record ids.
    """
    if len(indexes) != len(jsonls):
        raise ConfigError("collect_records: one index per JSONL file is needed")
    rows_by_id: dict[str, list[list[str]]] = defaultdict(list)
    batch_rows = []
    for idx in indexes:
        rows = BATCH_INDEX.rows(idx)
        batch_rows.append(rows)
        for row in rows:
            rows_by_id[row[_ID]].append(row)
    kept: dict[str, list[str]] = {}
    dup_rejects = []
    for rid, rows in rows_by_id.items():
        rows.sort(key=lambda r: r[_FILE])
        kept[rid] = rows[0]
        for r in rows[1:]:
            dup_rejects.append((r[_FILE], f"duplicate record_id {rid!r}: already given by {rows[0][_FILE]}"))
    if dup_rejects and on_bad_record == "fail":
        for path, reason in sorted(dup_rejects):
            log.error("%s: %s", path, reason)
        raise StepFailed()
    for path, reason in dup_rejects:
        log.warning("%s: %s", path, reason)

    batch_rejects = []
    for rej in rejected_batches:
        batch_rejects.extend(tuple(r) for r in BATCH_REJECTED.rows(rej))
    REJECTED_RECORDS.write(rejected, sorted(set(batch_rejects) | set(dup_rejects)))
    RECORDS.write(records, (kept[rid] for rid in sorted(kept)))

    # The map steps wrote each batch's JSON files and manifest rows. A record
    # id that several files give, now or at the last run, may hold another
    # copy's file (another batch's map step wrote it, or the copy kept last
    # time is gone while the kept copy's batch did not rerun): each record
    # whose manifest hash is new or differs from the last run's (a copy kept
    # in .snakemake/; without it, the duplicates of this run) is rewritten
    # from its kept copy when its bytes differ.
    out_dir = os.path.dirname(manifest) or "."
    os.makedirs(out_dir, exist_ok=True)
    n = merge_partials(MANIFEST_PART, manifests, indexes, manifest)
    with RECORD_MANIFEST.read(manifest) as reader:
        i, k, h = reader.col("record_id"), reader.col("json_file"), reader.col("sha256")
        now = {r[i]: (r[k], r[h]) for r in reader}
    key = hashlib.sha1(os.path.abspath(manifest).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    previous_path = PREVIOUS_MANIFEST.format(key=key)
    try:
        with RECORD_MANIFEST.read(previous_path) as reader:
            before = {r[reader.col("record_id")]: (r[reader.col("json_file")], r[reader.col("sha256")]) for r in reader}
        check = {rid for rid, entry in now.items() if before.get(rid) != entry}
    except (RecordError, OSError):
        check = set()
    check |= {rid for rid, rows in rows_by_id.items() if len(rows) > 1}
    written = 0
    for idx, jl, rows in zip(indexes, jsonls, batch_rows):
        if not any(row[_ID] in check and kept[row[_ID]] is row for row in rows):
            continue
        with open(jl, encoding="utf-8") as fh:
            lines = [ln for ln in fh if ln.strip()]
        if len(lines) != len(rows):
            raise ConfigError(f"{jl}: {len(lines)} records but {idx} lists {len(rows)}")
        for row, line in zip(rows, lines):
            if row[_ID] in check and kept[row[_ID]] is row:
                written += write_if_changed(os.path.join(out_dir, row[_ID] + ".json"), line.encode("utf-8"))
    os.makedirs(os.path.dirname(previous_path), exist_ok=True)
    shutil.copyfile(manifest, previous_path)
    keep_names = {entry[0] for entry in now.values()}
    removed = 0
    for name in os.listdir(out_dir):
        if name.endswith(".json") and name not in keep_names:
            os.unlink(os.path.join(out_dir, name))
            removed += 1
    log.info(
        "%d records kept, %d duplicates rejected, %d batch rejects; %d JSON files in the manifest, "
        "%d rewritten from their kept copy, %d stale removed",
        len(kept),
        len(dup_rejects),
        len(batch_rejects),
        n,
        written,
        removed,
    )


def write_record_files(records: list[dict], json_dir: str, manifest: str, texts: list[str] | None = None) -> int:
    """The map step's part: the canonical JSON file of each of a batch's
    records (one copy per record id) in ``json_dir``, written only when its
    content changed, and the batch's rows of the record manifest. ``texts``:
    the records' canonical JSON lines when the caller has them. Returns how
    many files were (re)written."""
    os.makedirs(json_dir, exist_ok=True)
    written = 0
    rows = []
    for k, rec in enumerate(records):
        data = (texts[k] if texts is not None else to_json(rec) + "\n").encode("utf-8")
        name = rec["record_id"] + ".json"
        written += write_if_changed(os.path.join(json_dir, name), data)
        rows.append((rec["record_id"], name, hashlib.sha256(data).hexdigest()))
    MANIFEST_PART.write(manifest, rows)
    return written
