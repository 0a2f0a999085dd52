"""Protein QC: check each protein sequence against its stated length, mass and CRC64.

A record is checked when it has a ``protein`` block (today: Genular pages) with
the keys ``sequence``, ``stated_length``, ``stated_mass_da`` and
``stated_crc64`` (the page's text, unparsed). The same checks run on bare
values through :func:`check_sequence`, which is what the tests over the 993
real UniProt entries use.

* length: ``len(sequence)`` must equal the stated length exactly;
* CRC64: Biopython's ``crc64`` (UniProt's checksum) must equal the stated one
  exactly: the only check that sees substitutions that barely move the mass
  (I<->L 0 Da, K<->Q 0.04 Da);
* mass: Biopython's average mass (``Bio.SeqUtils.molecular_weight``) must be
  within ``mass_tolerance_da + mass_tolerance_da_per_residue * length`` of the
  stated mass. The ambiguity codes X, B, Z, J (which Biopython rejects) count
  with UniProt's average residue masses. Biopython's residue masses differ
  slightly from UniProt's, so the difference grows with length (about
  +0.0013 Da per residue; UniProt masses are whole daltons, hence the fixed
  0.5 Da). The defaults are the tightest round values that accept every one
  of the 993 real entries in tests/data/uniprot_entries.tsv (see the README).

Nothing here raises on a sequence or a stated value: whatever is wrong becomes
a ``fail`` with a reason naming it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass

from Bio.SeqUtils import molecular_weight
from Bio.SeqUtils.CheckSum import crc64

from .errors import ConfigError, RecordError
from .batches import merge_partials, partial_lines
from .io import AtomicWriter
from .tables import BATCH_FASTA_ENTRIES as FASTA_PART
from .tables import BATCH_PROTEIN_CHECKS as CHECKS_PART
from .tables import BATCH_PROTEINS as PROTEINS_PART
from .tables import PROTEIN_CHECKS

log = logging.getLogger("gene_records")

# UniProt's average residue masses (Da) of the ambiguity codes Biopython does
# not know (Biopython raises on them). U (selenocysteine) and O (pyrrolysine)
# are in Biopython's table.
AMBIGUOUS_RESIDUE_MASSES = {"X": 111.3306, "B": 114.6532, "Z": 128.7473, "J": 113.1594}
STANDARD_RESIDUES = frozenset("ACDEFGHIKLMNPQRSTVWYUO")
VALID_RESIDUES = STANDARD_RESIDUES | frozenset(AMBIGUOUS_RESIDUE_MASSES)

DEFAULT_MASS_TOLERANCE_DA = 0.5
DEFAULT_MASS_TOLERANCE_DA_PER_RESIDUE = 0.0015
DEFAULT_FASTA_LINE_WIDTH = 60

PASS, FAIL = "pass", "fail"


_INT_RE = re.compile(r"^(?:\d+|\d{1,3}(?:,\d{3})+)$")
_NUMBER_RE = re.compile(r"^(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?$")
_CRC64_RE = re.compile(r"^(?:CRC-)?([0-9A-Fa-f]{16})$")
_QUOTE_MAX = 40


# ---------------------------------------------------------------- computing


def average_mass(sequence: str) -> float:
    """Average mass (Da) of a protein sequence in upper-case one-letter codes.

    Biopython's ``molecular_weight`` for every residue it knows, plus UniProt's
    average residue mass for each X, B, Z and J. ``molecular_weight`` of the
    rest already holds the one water of the whole chain (of an empty rest: the
    water alone), so the ambiguity codes add their residue masses only.
    Raises ``ValueError`` on any other character: call
    :func:`invalid_characters` first.
    """
    extra = 0.0
    if any(c in AMBIGUOUS_RESIDUE_MASSES for c in sequence):
        extra = sum(AMBIGUOUS_RESIDUE_MASSES[c] for c in sequence if c in AMBIGUOUS_RESIDUE_MASSES)
        sequence = "".join(c for c in sequence if c not in AMBIGUOUS_RESIDUE_MASSES)
    return molecular_weight(sequence, seq_type="protein") + extra


def crc64_hex(sequence: str) -> str:
    """UniProt's CRC64 checksum of ``sequence``: 16 upper-case hex digits."""
    return crc64(sequence)[4:]  # Biopython returns "CRC-" + 16 hex digits


def invalid_characters(sequence: str) -> list[str]:
    """The distinct characters of ``sequence`` that are not upper-case amino-acid codes, sorted."""
    return sorted(set(sequence) - VALID_RESIDUES)


def mass_tolerance(length: int, tolerance_da: float, tolerance_da_per_residue: float) -> float:
    """The allowed |stated - computed| mass difference (Da) for a protein of ``length`` residues."""
    return tolerance_da + tolerance_da_per_residue * length


# ---------------------------------------------------------------- stated values


def _quote(value) -> str:
    text = str(value)
    if len(text) > _QUOTE_MAX:
        text = text[: _QUOTE_MAX - 3] + "..."
    return "'" + text + "'"


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_stated_length(value) -> tuple[int | None, str | None]:
    """``(length, None)`` or ``(None, failure)``; thousands commas are allowed (``1,234``)."""
    if _blank(value):
        return None, "stated_length_missing"
    if isinstance(value, bool):
        return None, f"stated_length_invalid ({_quote(value)} is not a whole number)"
    if isinstance(value, int):
        n = value
    elif isinstance(value, str) and _INT_RE.match(value.strip()):
        n = int(value.strip().replace(",", ""))
    else:
        return None, f"stated_length_invalid ({_quote(value)} is not a whole number)"
    if n <= 0:
        return None, f"stated_length_invalid ({_quote(value)} is not a positive number)"
    return n, None


def parse_stated_mass(value) -> tuple[float | None, str | None]:
    """``(mass in Da, None)`` or ``(None, failure)``; plain decimals, thousands commas allowed."""
    if _blank(value):
        return None, "stated_mass_missing"
    if isinstance(value, bool):
        return None, f"stated_mass_invalid ({_quote(value)} is not a number)"
    if isinstance(value, (int, float)):
        x = float(value)
        if not math.isfinite(x):
            return None, f"stated_mass_invalid ({_quote(value)} is not a finite number)"
    elif isinstance(value, str) and _NUMBER_RE.match(value.strip()):
        x = float(value.strip().replace(",", ""))
    else:
        return None, f"stated_mass_invalid ({_quote(value)} is not a number in daltons)"
    if x <= 0:
        return None, f"stated_mass_invalid ({_quote(value)} is not a positive number)"
    return x, None


def parse_stated_crc64(value) -> tuple[str | None, str | None]:
    """``(16 upper-case hex digits, None)`` or ``(None, failure)``; a ``CRC-`` prefix is allowed."""
    if _blank(value):
        return None, "stated_crc64_missing"
    m = _CRC64_RE.match(str(value).strip())
    if not m:
        return None, f"stated_crc64_invalid ({_quote(value)} is not 16 hexadecimal digits)"
    return m.group(1).upper(), None


def _char_name(c: str) -> str:
    if c.isprintable() and not c.isspace():
        return "'" + c + "'"
    return f"U+{ord(c):04X}"


# ---------------------------------------------------------------- the check


def _fmt(x: float | None, digits: int) -> str:
    """Fixed decimals, never ``-0.00``; empty for None."""
    if x is None:
        return ""
    return f"{round(x, digits) + 0.0:.{digits}f}"


@dataclass(frozen=True)
class ProteinCheck:
    """The outcome of checking one sequence. Display values are in :meth:`cells`."""

    stated_length: int | None
    stated_length_text: str
    computed_length: int
    stated_mass_da: float | None
    stated_mass_text: str
    computed_mass_da: float | None
    mass_delta_da: float | None
    mass_delta_ppm: float | None
    mass_tolerance_da: float | None
    stated_crc64: str | None
    stated_crc64_text: str
    computed_crc64: str
    failures: tuple[str, ...]

    @property
    def status(self) -> str:
        return FAIL if self.failures else PASS

    @property
    def reason(self) -> str:
        return "; ".join(self.failures)

    @property
    def failed_checks(self) -> set[str]:
        """The failure codes (``length_mismatch``, ``crc64_mismatch``, ...) without details."""
        return {f.split(" ", 1)[0] for f in self.failures}

    def cells(self) -> dict[str, str]:
        """The display values: fixed decimals (masses 2, ppm 1); a stated value that
        could not be read is shown as given."""
        return {
            "stated_length": str(self.stated_length) if self.stated_length is not None else self.stated_length_text,
            "computed_length": str(self.computed_length),
            "stated_mass_da": (
                _fmt(self.stated_mass_da, 2) if self.stated_mass_da is not None else self.stated_mass_text
            ),
            "computed_mass_da": _fmt(self.computed_mass_da, 2),
            "mass_delta_da": _fmt(self.mass_delta_da, 2),
            "mass_delta_ppm": _fmt(self.mass_delta_ppm, 1),
            "mass_tolerance_da": _fmt(self.mass_tolerance_da, 2),
            "stated_crc64": self.stated_crc64 if self.stated_crc64 is not None else self.stated_crc64_text,
            "computed_crc64": self.computed_crc64,
            "status": self.status,
            "reason": self.reason,
        }


def check_sequence(
    sequence,
    stated_length,
    stated_mass_da,
    stated_crc64,
    mass_tolerance_da: float = DEFAULT_MASS_TOLERANCE_DA,
    mass_tolerance_da_per_residue: float = DEFAULT_MASS_TOLERANCE_DA_PER_RESIDUE,
) -> ProteinCheck:
    """Check one sequence against its stated length, mass (Da) and CRC64.

    The stated values may be text as a page gives it or numbers. Never raises
    on the values: every problem is a failure in the result, and every failed
    check is listed (codes: ``sequence_missing``, ``invalid_residues``,
    ``stated_length_missing``/``_invalid``, ``length_mismatch``,
    ``stated_mass_missing``/``_invalid``, ``mass_mismatch``,
    ``stated_crc64_missing``/``_invalid``, ``crc64_mismatch``).

    A sequence with characters other than the upper-case amino-acid codes
    (A-Z less the unused letters; X, B, Z, J ambiguous; U, O) fails with those
    characters named; its length and CRC64 are still computed on the text as
    given and compared, its mass is not computed.
    """
    seq = "" if sequence is None else str(sequence)
    failures: list[str] = []
    slen, f_len = parse_stated_length(stated_length)
    smass, f_mass = parse_stated_mass(stated_mass_da)
    scrc, f_crc = parse_stated_crc64(stated_crc64)
    text = {
        key: "" if _blank(value) else str(value).strip()
        for key, value in (("l", stated_length), ("m", stated_mass_da), ("c", stated_crc64))
    }

    computed_length = len(seq)
    computed_mass = computed_crc = None
    delta = ppm = tolerance = None
    if not seq:
        failures.append("sequence_missing (no sequence given)")
    else:
        bad = invalid_characters(seq)
        if bad:
            failures.append("invalid_residues (not amino-acid codes: " + ", ".join(_char_name(c) for c in bad) + ")")
        else:
            computed_mass = average_mass(seq)
        computed_crc = crc64_hex(seq)

    if f_len:
        failures.append(f_len)
    elif seq and computed_length != slen:
        failures.append(f"length_mismatch (computed {computed_length}, stated {slen})")

    if f_mass:
        failures.append(f_mass)
    elif computed_mass is not None:
        delta = smass - computed_mass
        ppm = delta / computed_mass * 1e6
        tolerance = mass_tolerance(computed_length, mass_tolerance_da, mass_tolerance_da_per_residue)
        if abs(delta) > tolerance:
            failures.append(
                f"mass_mismatch (stated - computed = {_fmt(delta, 2)} Da, tolerance {_fmt(tolerance, 2)} Da)"
            )

    if f_crc:
        failures.append(f_crc)
    elif computed_crc is not None and computed_crc != scrc:
        failures.append(f"crc64_mismatch (computed {computed_crc}, stated {scrc})")

    return ProteinCheck(
        stated_length=slen,
        stated_length_text=text["l"],
        computed_length=computed_length,
        stated_mass_da=smass,
        stated_mass_text=text["m"],
        computed_mass_da=computed_mass,
        mass_delta_da=delta,
        mass_delta_ppm=ppm,
        mass_tolerance_da=tolerance,
        stated_crc64=scrc,
        stated_crc64_text=text["c"],
        computed_crc64=computed_crc or "",
        failures=tuple(failures),
    )


def check_record(
    rec: dict,
    mass_tolerance_da: float = DEFAULT_MASS_TOLERANCE_DA,
    mass_tolerance_da_per_residue: float = DEFAULT_MASS_TOLERANCE_DA_PER_RESIDUE,
) -> ProteinCheck | None:
    """Check the ``protein`` block of a parsed record (any source); None when it has none."""
    protein = rec.get("protein")
    if not isinstance(protein, dict):
        return None
    return check_sequence(
        protein.get("sequence"),
        protein.get("stated_length"),
        protein.get("stated_mass_da"),
        protein.get("stated_crc64"),
        mass_tolerance_da,
        mass_tolerance_da_per_residue,
    )


def protein_accession(rec: dict) -> str:
    """The protein's UniProt accession: the protein block's, else the record's."""
    protein = rec.get("protein") or {}
    return (protein.get("uniprot_accession") or rec.get("uniprot_accession") or "").strip()


# ---------------------------------------------------------------- outputs


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


def check_row(rec: dict, result: ProteinCheck) -> list[str]:
    cells = result.cells()
    cells["record_id"], cells["uniprot_accession"] = rec["record_id"], protein_accession(rec)
    return [cells[c] for c in PROTEIN_CHECKS.header]


def protein_row(rec: dict, result: ProteinCheck) -> list[str]:
    protein = rec["protein"]
    cells = result.cells()
    return [
        rec["record_id"],
        rec.get("source", ""),
        rec.get("symbol", ""),
        rec.get("organism", ""),
        protein_accession(rec),
        protein.get("entry_name", ""),
        protein.get("name", ""),
        cells["computed_length"],
        cells["computed_mass_da"],
        cells["computed_crc64"],
        cells["status"],
    ]


def _check_tolerances(mass_tolerance_da: float, mass_tolerance_da_per_residue: float) -> None:
    if mass_tolerance_da < 0 or mass_tolerance_da_per_residue < 0:
        raise ConfigError("protein_qc: the mass tolerances must not be negative")


def write_partials(
    records: list[dict],
    checks: str,
    proteins: str,
    fasta_entries: str,
    mass_tolerance_da: float = DEFAULT_MASS_TOLERANCE_DA,
    mass_tolerance_da_per_residue: float = DEFAULT_MASS_TOLERANCE_DA_PER_RESIDUE,
) -> None:
    """The map step's part: check a batch's proteins (records in record_id
    order); write its rows of protein_checks.tsv and proteins.tsv and, per
    protein that passed, its FASTA header (and the one naming it by record id,
    for when another record already gave its accession) and sequence."""
    _check_tolerances(mass_tolerance_da, mass_tolerance_da_per_residue)
    codes: Counter = Counter()
    with contextlib.ExitStack() as stack:
        out_checks = stack.enter_context(CHECKS_PART.writer(checks))
        out_proteins = stack.enter_context(PROTEINS_PART.writer(proteins))
        out_fasta = stack.enter_context(FASTA_PART.writer(fasta_entries))
        for rec in records:
            result = check_record(rec, mass_tolerance_da, mass_tolerance_da_per_residue)
            if result is None:
                continue
            out_checks.row(check_row(rec, result))
            out_proteins.row(protein_row(rec, result))
            if result.status == PASS:
                fid = fasta_id(rec)
                key = fid.split("|")[1] if "|" in fid else fid
                fallback = fasta_header(rec, _word(rec["record_id"]))
                out_fasta.row([rec["record_id"], key, fasta_header(rec, fid), fallback, rec["protein"]["sequence"]])
            else:
                codes.update(result.failed_checks)
                log.info("%s: protein fails QC: %s", rec["record_id"], result.reason)
    log.info("%d proteins checked: %d pass, %d fail", out_checks.n, out_fasta.n, out_checks.n - out_fasta.n)
    for code, count in sorted(codes.items()):
        log.info("  %s: %d", code, count)


def check_proteins(
    checks_parts: list[str],
    proteins_parts: list[str],
    fasta_parts: list[str],
    indexes: list[str],
    checks: str,
    fasta: str,
    proteins: str,
    fasta_line_width: int = DEFAULT_FASTA_LINE_WIDTH,
) -> None:
    """Write the protein QC of every accepted record from the batches' partial
    tables (rule tabulate_batch, which checks every protein sequence against
    its stated length, mass and CRC64).

    Writes ``checks`` (results/qc/protein_checks.tsv: one row per protein, the
    stated and computed values, status pass/fail and the reason), ``fasta``
    (every protein that passed, wrapped at ``fasta_line_width``; an accession
    already written names the later protein by its record id) and
    ``proteins`` (results/tables/proteins.tsv: one row per protein with the
    computed values), all sorted by record_id. A failing protein is a row
    with status fail, not an error.
    """
    if fasta_line_width < 1:
        raise ConfigError("protein_qc: fasta_line_width must be at least 1")
    n = merge_partials(CHECKS_PART, checks_parts, indexes, checks)
    merge_partials(PROTEINS_PART, proteins_parts, indexes, proteins)
    seen: set[bytes] = set()
    n_pass = 0
    with AtomicWriter(fasta, "wb") as fh:
        for line in partial_lines(FASTA_PART, fasta_parts, indexes):
            rid, key, header, fallback, seq = line.rstrip(b"\n").split(b"\t")
            if key in seen:
                header, key = fallback, _word(rid.decode("utf-8")).encode("utf-8")
            seen.add(key)
            lines = [seq[i : i + fasta_line_width] for i in range(0, len(seq), fasta_line_width)]
            fh.write(header + b"\n" + b"\n".join(lines) + b"\n")
            n_pass += 1
    log.info("%d proteins checked: %d pass, %d fail", n, n_pass, n - n_pass)
    if n > n_pass:
        log.warning("%d of %d proteins fail QC (status fail in %s)", n - n_pass, n, checks)
