"""Format detection, record ids and the canonical JSON form of a parsed record."""

from __future__ import annotations

import json
import os
from typing import Iterable, Iterator

from . import genular, geisha, tflink
from .errors import RecordError
from .frontmatter import load_front_matter
from .ids import safe_id, slug
from .io import DEFAULT_MAX_RECORD_BYTES, format_cell, read_record_text
from .paths import encode_path
from .tables import RECORDS

SOURCES = ("genular", "tflink", "geisha")

# Bump when the JSON layout changes in a way consumers must notice; the layout
# of this version is the JSON Schema RECORD_SCHEMA (shipped in the package).
SCHEMA_VERSION = 1
RECORD_SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas", "record.schema.json")


def detect_and_parse(path: str, text: str) -> tuple[str, dict]:
    """Detect the format of ``text`` from its content and parse it."""
    stripped = text.lstrip()
    if not stripped:
        raise RecordError(path, "line 1", "empty file")
    if genular.is_genular(stripped):
        return "genular", genular.parse(path, stripped)
    if stripped.startswith("---"):
        fm, body = load_front_matter(path, stripped)
        if tflink.is_tflink(fm):
            return "tflink", tflink.parse(path, fm, body)
        if geisha.is_geisha(fm):
            return "geisha", geisha.parse(path, fm, body)
        keys = ", ".join(sorted(fm)[:6]) or "none"
        raise RecordError(
            path,
            "front matter",
            f"unknown format: front matter is neither a TFLink protein page nor a GEISHA gene page (keys: {keys})",
        )
    first = stripped.split("\n", 1)[0][:40]
    raise RecordError(
        path,
        "line 1",
        f"unknown format: not a Genular gene page, TFLink protein page or GEISHA gene page (starts with {first!r})",
    )


def record_id_for(source: str, rec: dict) -> str:
    if source == "tflink":
        key = rec["uniprot_accession"]
    elif rec.get("ncbi_gene_id"):
        key = rec["ncbi_gene_id"].split(";")[0]
    else:
        key = slug(rec.get("symbol", ""))
    return f"{source}-{key}"


def parse_file(path: str, max_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> dict:
    """Read, detect and parse one record file into its JSON-ready dict."""
    text, sha = read_record_text(path, max_bytes)
    try:
        source, rec = detect_and_parse(path, text)
    except RecursionError:
        raise RecordError(path, "", "structure nested too deeply to be a record") from None
    record_id = record_id_for(source, rec)
    if not safe_id(record_id):
        raise RecordError(path, "", f"cannot make a safe record id from {record_id[:60]!r}")
    rec.update(
        {
            "record_id": record_id,
            "source": source,
            "source_file": encode_path(path),  # one TSV cell whatever the name (gene_records.paths)
            "sha256": sha,
            "schema_version": SCHEMA_VERSION,
        }
    )
    return rec


def to_json(rec: dict) -> str:
    """Canonical JSON: sorted keys, compact, UTF-8, one line."""
    return json.dumps(rec, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def summary_row(rec: dict) -> list:
    """The record's row of records.tsv (and of its batch's index)."""
    return [rec.get(c, "") for c in RECORDS.header]


def iter_jsonl(
    paths: Iterable[str],
    accepted: set[tuple[str, str]] | None = None,
    sources: Iterable[str] | None = None,
) -> Iterator[dict]:
    """Yield parsed records from batch JSONL files.

    ``accepted`` (pairs of record_id and source_file as records.tsv writes
    them, from :func:`accepted_records`) drops
    records that the collect step rejected as duplicates. ``sources`` (e.g.
    ``("tflink",)``) keeps only records of those sources; the others are
    skipped without being decoded (decoding is most of the cost of a pass).
    """
    wanted = None
    if sources is not None:
        wanted = frozenset(sources)
        # the canonical JSON (to_json) of a record of source S holds this text
        tokens = tuple(to_json({"source": s})[1:-1] for s in sorted(wanted))
    for p in paths:
        with open(p, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                if wanted is not None and not any(t in line for t in tokens):
                    continue
                rec = json.loads(line)
                if wanted is not None and rec["source"] not in wanted:
                    continue
                if accepted is None or (rec["record_id"], format_cell(rec["source_file"])) in accepted:
                    yield rec


def accepted_records(records_tsv: str) -> set[tuple[str, str]]:
    """The (record_id, source_file) pairs listed in results/tables/records.tsv."""
    with RECORDS.read(records_tsv) as reader:
        i, j = reader.col("record_id"), reader.col("source_file")
        return {(r[i], r[j]) for r in reader}


def load_records(
    jsonl_paths: Iterable[str], records_tsv: str, sources: Iterable[str] | None = None
) -> Iterator[dict]:
    """The accepted records, in batch order: what every aggregate step reads.

    A step that needs only some sources passes them (``sources=("genular",)``):
    the other records are not decoded.
    """
    return iter_jsonl(jsonl_paths, accepted_records(records_tsv), sources)
