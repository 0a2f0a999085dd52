"""Record discovery, stable batches, per-batch parsing and the collect step."""

from __future__ import annotations

import hashlib
import logging
import math
import os
from collections import defaultdict

from .cli import StepFailed
from .errors import ConfigError, RecordError
from .io import DEFAULT_MAX_RECORD_BYTES, AtomicWriter, write_if_changed
from .records import parse_file, summary_row, to_json
from .tables import BATCH_INDEX, BATCH_REJECTED, RECORD_MANIFEST, RECORDS, REJECTED_RECORDS

log = logging.getLogger("gene_records")

_ID, _FILE = RECORDS.index("record_id"), RECORDS.index("source_file")


# ------------------------------------------------------------------ discovery


def discover(entries: list[str]) -> list[str]:
    """Every record file named by the ``records`` config key, sorted and unique.

    Folders are searched recursively; hidden files and folders (``.name``)
    are skipped. A path that does not exist is a configuration error.
    """
    found = set()
    for entry in entries:
        entry = os.path.normpath(str(entry))
        if os.path.isfile(entry):
            found.add(entry)
        elif os.path.isdir(entry):
            for root, dirs, files in os.walk(entry):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in files:
                    if not name.startswith("."):
                        found.add(os.path.join(root, name))
        else:
            raise ConfigError(f"records: {entry!r} is neither a file nor a folder")
    return sorted(found)


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


# ------------------------------------------------------------------ parsing


def parse_batch(
    records: list[str],
    jsonl: str,
    index: str,
    rejected: str,
    on_bad_record: str = "fail",
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> None:
    """Parse one batch of record files.

    Writes the canonical JSON of every good record (one per line, sorted by
    record id) to ``jsonl``, their summary rows to ``index`` and the files that
    could not be parsed, with the reason, to ``rejected``. With
    ``on_bad_record=fail`` any bad file fails the step after every file of
    the batch was tried, with one line per bad file.
    """
    if on_bad_record not in ("fail", "skip"):
        raise ConfigError(f"on_bad_record must be 'fail' or 'skip', not {on_bad_record!r}")
    good = []
    bad = []
    for i, path in enumerate(sorted(records), start=1):
        try:
            rec = parse_file(path, max_record_bytes)
        except RecordError as exc:
            bad.append((path, f"{exc.where}: {exc.problem}" if exc.where else exc.problem))
            log.warning(exc.message)
            continue
        good.append((rec["record_id"], rec["source_file"], to_json(rec), summary_row(rec)))
        if i % 100 == 0:
            log.info("parsed %d of %d records", i, len(records))
    log.info("parsed %d records, %d rejected", len(good), len(bad))
    if bad and on_bad_record == "fail":
        for path, reason in bad:
            log.error("%s: %s", path, reason)
        log.error("%d bad record(s); set on_bad_record: skip to list them in rejected_records.tsv and go on", len(bad))
        raise StepFailed()
    good.sort(key=lambda g: (g[0], g[1]))
    with AtomicWriter(jsonl) as fh:
        for _, _, text, _ in good:
            fh.write(text + "\n")
    BATCH_INDEX.write(index, (g[3] for g in good))
    BATCH_REJECTED.write(rejected, sorted(bad))


# ------------------------------------------------------------------ collect


def collect_records(
    indexes: list[str],
    jsonls: list[str],
    rejected_batches: list[str],
    records: str,
    rejected: str,
    manifest: str,
    on_bad_record: str = "fail",
) -> None:
    """Merge the batches: resolve duplicate record ids, write records.tsv,
    rejected_records.tsv and one JSON file per record.

    Of several files giving the same record id, the one whose path sorts first
    is kept and the others are rejected (or, with ``on_bad_record=fail``, the
    step fails). JSON files are written next to ``manifest`` only when their
    content changed, and JSON files of records that no longer exist are
    removed, so an unchanged record's file is never rewritten.
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

    out_dir = os.path.dirname(manifest) or "."
    os.makedirs(out_dir, exist_ok=True)
    written = 0
    entries = []
    for idx, jl, rows in zip(indexes, jsonls, batch_rows):
        with open(jl, encoding="utf-8") as fh:
            lines = [ln for ln in fh if ln.strip()]
        if len(lines) != len(rows):
            raise ConfigError(f"{jl}: {len(lines)} records but {idx} lists {len(rows)}")
        for row, line in zip(rows, lines):
            rid = row[_ID]
            if kept.get(rid) != row:
                continue  # a duplicate that was rejected
            data = line.encode("utf-8")
            if write_if_changed(os.path.join(out_dir, rid + ".json"), data):
                written += 1
            entries.append((rid, rid + ".json", hashlib.sha256(data).hexdigest()))
    keep_names = {e[1] for e in entries}
    removed = 0
    for name in os.listdir(out_dir):
        if name.endswith(".json") and name not in keep_names:
            os.unlink(os.path.join(out_dir, name))
            removed += 1
    RECORD_MANIFEST.write(manifest, sorted(entries))
    log.info(
        "%d records kept, %d duplicates rejected, %d batch rejects; %d JSON files written, %d unchanged, %d stale removed",
        len(kept),
        len(dup_rejects),
        len(batch_rejects),
        written,
        len(entries) - written,
        removed,
    )
