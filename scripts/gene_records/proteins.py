"""The protein QC step: per batch, each protein measured (rule parse_records, the map);
then every protein judged with the configured mass tolerance and written to
protein_checks.tsv, proteins.tsv and proteins.fasta (rule check_proteins).

The checks themselves are :mod:`gene_records.protein_qc`; this module holds
what the step writes: the per-batch facts, the tables and the FASTA.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections import Counter

from .batches import partial_lines
from .errors import ConfigError
from .io import AtomicWriter
from .protein_qc import (
    DEFAULT_FASTA_LINE_WIDTH,
    DEFAULT_MASS_TOLERANCE_DA,
    DEFAULT_MASS_TOLERANCE_DA_PER_RESIDUE,
    PASS,
    Measured,
    measure_sequence,
    protein_accession,
)
from .tables import BATCH_PROTEIN_FACTS as FACTS_PART
from .tables import PROTEIN_CHECKS, PROTEINS

log = logging.getLogger("gene_records")


# ---------------------------------------------------------------- FASTA


def _word(value) -> str:
    """One FASTA header field: white space runs become '_', empty becomes '-'."""
    text = "_".join(str(value or "").split())
    return text or "-"


def fasta_id(rec: dict) -> str:
    """The FASTA id (the header's first word): ``db|ACCESSION|ENTRY_NAME`` as
    UniProt writes it when the record has an accession (``sp``, or ``tr`` when
    the entry name is TrEMBL's ``ACCESSION_SPECIES``; the accession stands in
    for a missing entry name); the record id otherwise."""
    accession = _word(protein_accession(rec))
    if accession == "-":
        return _word(rec["record_id"])
    entry = _word((rec.get("protein") or {}).get("entry_name"))
    if entry == "-":
        entry = accession
    db = "tr" if entry.upper().startswith(accession.upper() + "_") or entry == accession else "sp"
    return f"{db}|{accession}|{entry}"


def fasta_header(rec: dict, fid: str | None = None) -> str:
    """``>ID [ENTRY_NAME] protein name OS=organism GN=symbol`` (UniProt's
    layout; ``ID`` from :func:`fasta_id` or ``fid``). The entry name follows
    the id only when the id does not hold it (no accession); ``OS=`` and
    ``GN=`` are left out when unknown; the symbol never holds white space
    (runs become ``_``)."""
    protein = rec.get("protein") or {}
    fid = fid or fasta_id(rec)
    words = [">" + fid]
    entry = _word(protein.get("entry_name"))
    if "|" not in fid and entry != "-":
        words.append(entry)
    name = " ".join(str(protein.get("name") or "").split())
    if name:
        words.append(name)
    organism = " ".join(str(rec.get("organism") or "").split())
    if organism:
        words.append(f"OS={organism}")
    if _word(rec.get("symbol")) != "-":
        words.append(f"GN={_word(rec.get('symbol'))}")
    return " ".join(words)


def fasta_entry(rec: dict, line_width: int = DEFAULT_FASTA_LINE_WIDTH, seen: set | None = None) -> str:
    """One FASTA record. ``seen`` (the ids and accessions written so far) keeps
    them unique: a second record with an accession already written is named
    by its record id."""
    fid = fasta_id(rec)
    if seen is not None:
        key = fid.split("|")[1] if "|" in fid else fid
        if key in seen:
            fid = key = _word(rec["record_id"])
        seen.add(key)
    seq = rec["protein"]["sequence"]
    lines = [seq[i : i + line_width] for i in range(0, len(seq), line_width)]
    return fasta_header(rec, fid) + "\n" + "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the step


def measure_record(rec: dict) -> Measured | None:
    """:func:`measure_sequence` of a record's ``protein`` block; None when it has none."""
    protein = rec.get("protein")
    if not isinstance(protein, dict):
        return None
    return measure_sequence(
        protein.get("sequence"), protein.get("stated_length"), protein.get("stated_mass_da"), protein.get("stated_crc64")
    )


def write_partials(records: list[dict], facts: str) -> None:
    """The map step's part: measure a batch's proteins (records in record_id
    order) and write, per protein, what the reduce needs to judge it with the
    configured tolerance and write its rows: the measured values, the record's
    fields, the FASTA headers (by accession; by record id, for when another
    record already gave that accession) and the sequence when it can pass.
    The facts are one JSON object per row (ASCII: one TSV cell)."""
    with FACTS_PART.writer(facts) as out:
        for rec in records:
            measured = measure_record(rec)
            if measured is None:
                continue
            protein = rec["protein"]
            fact = {
                "measured": vars(measured),
                "record": {k: rec.get(k, "") for k in ("source", "symbol", "organism")},
                "accession": protein_accession(rec),
                "entry_name": protein.get("entry_name", ""),
                "protein_name": protein.get("name", ""),
            }
            if measured.can_pass():
                fid = fasta_id(rec)
                fact["fasta"] = {
                    "key": fid.split("|")[1] if "|" in fid else fid,
                    "header": fasta_header(rec, fid),
                    "fallback_key": _word(rec["record_id"]),
                    "fallback_header": fasta_header(rec, _word(rec["record_id"])),
                    "sequence": protein["sequence"],
                }
            out.row([rec["record_id"], json.dumps(fact, sort_keys=True, separators=(",", ":"))])
    log.info("%d proteins measured", out.n)


def _measured(d: dict) -> Measured:
    d = dict(d)
    d["failures_before"], d["failures_after"] = tuple(d["failures_before"]), tuple(d["failures_after"])
    return Measured(**d)


def check_proteins(
    facts_parts: list[str],
    indexes: list[str],
    checks: str,
    fasta: str,
    proteins: str,
    mass_tolerance_da: float = DEFAULT_MASS_TOLERANCE_DA,
    mass_tolerance_da_per_residue: float = DEFAULT_MASS_TOLERANCE_DA_PER_RESIDUE,
    fasta_line_width: int = DEFAULT_FASTA_LINE_WIDTH,
) -> None:
    """Check every protein sequence of the accepted records against its stated
    length, mass and CRC64 (measured per batch by rule parse_records; the mass
    is judged here, within the tolerance).

    Writes ``checks`` (results/qc/protein_checks.tsv: one row per protein, the
    stated and computed values, status pass/fail and the reason), ``fasta``
    (every protein that passed, wrapped at ``fasta_line_width``; an accession
    already written names the later protein by its record id) and
    ``proteins`` (results/tables/proteins.tsv: one row per protein with the
    computed values), all sorted by record_id. A failing protein is a row
    with status fail, not an error.
    """
    if mass_tolerance_da < 0 or mass_tolerance_da_per_residue < 0:
        raise ConfigError("protein_qc: the mass tolerances must not be negative")
    if fasta_line_width < 1:
        raise ConfigError("protein_qc: fasta_line_width must be at least 1")
    n = n_pass = 0
    codes: Counter = Counter()
    seen: set[str] = set()
    with contextlib.ExitStack() as stack:
        out_checks = stack.enter_context(PROTEIN_CHECKS.writer(checks))
        fh_fasta = stack.enter_context(AtomicWriter(fasta))
        out_proteins = stack.enter_context(PROTEINS.writer(proteins))
        for line in partial_lines(FACTS_PART, facts_parts, indexes):
            rid, _, text = line.decode("utf-8").rstrip("\n").partition("\t")
            fact = json.loads(text)
            result = _measured(fact["measured"]).judge(mass_tolerance_da, mass_tolerance_da_per_residue)
            cells = result.cells()
            n += 1
            out_checks.row(
                [rid if c == "record_id" else fact["accession"] if c == "uniprot_accession" else cells[c]
                 for c in PROTEIN_CHECKS.header]
            )
            r = fact["record"]
            out_proteins.row(
                [rid, r["source"], r["symbol"], r["organism"], fact["accession"], fact["entry_name"],
                 fact["protein_name"], cells["computed_length"], cells["computed_mass_da"], cells["computed_crc64"],
                 cells["status"]]
            )
            if result.status == PASS:
                n_pass += 1
                f = fact["fasta"]
                header, key = f["header"], f["key"]
                if key in seen:
                    header, key = f["fallback_header"], f["fallback_key"]
                seen.add(key)
                seq = f["sequence"]
                lines = [seq[i : i + fasta_line_width] for i in range(0, len(seq), fasta_line_width)]
                fh_fasta.write(header + "\n" + "\n".join(lines) + "\n")
            else:
                codes.update(result.failed_checks)
                log.info("%s: protein fails QC: %s", rid, result.reason)
    log.info("%d proteins checked: %d pass, %d fail", n, n_pass, n - n_pass)
    for code, count in sorted(codes.items()):
        log.info("  %s: %d", code, count)
    if n > n_pass:
        log.warning("%d of %d proteins fail QC (status fail in %s)", n - n_pass, n, checks)
