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

import logging
import math
import re
from collections import Counter
from dataclasses import dataclass

from Bio.SeqUtils import molecular_weight
from Bio.SeqUtils.CheckSum import crc64

from .errors import ConfigError, RecordError

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


@dataclass(frozen=True)
class Measured:
    """What a sequence and its stated values give before any tolerance is
    applied: everything :class:`ProteinCheck` holds but the mass verdict (the
    map step measures, the reduce judges with the configured tolerance)."""

    stated_length: int | None
    stated_length_text: str
    computed_length: int
    stated_mass_da: float | None
    stated_mass_text: str
    computed_mass_da: float | None
    stated_crc64: str | None
    stated_crc64_text: str
    computed_crc64: str
    failures_before: tuple[str, ...]  # sequence and length
    mass_failure: str | None  # the stated mass could not be read
    failures_after: tuple[str, ...]  # CRC64

    def judge(
        self,
        mass_tolerance_da: float = DEFAULT_MASS_TOLERANCE_DA,
        mass_tolerance_da_per_residue: float = DEFAULT_MASS_TOLERANCE_DA_PER_RESIDUE,
    ) -> ProteinCheck:
        """The check, with the mass compared within the tolerance."""
        failures = list(self.failures_before)
        delta = ppm = tolerance = None
        if self.mass_failure:
            failures.append(self.mass_failure)
        elif self.computed_mass_da is not None:
            delta = self.stated_mass_da - self.computed_mass_da
            ppm = delta / self.computed_mass_da * 1e6
            tolerance = mass_tolerance(self.computed_length, mass_tolerance_da, mass_tolerance_da_per_residue)
            if abs(delta) > tolerance:
                failures.append(
                    f"mass_mismatch (stated - computed = {_fmt(delta, 2)} Da, tolerance {_fmt(tolerance, 2)} Da)"
                )
        failures.extend(self.failures_after)
        return ProteinCheck(
            stated_length=self.stated_length,
            stated_length_text=self.stated_length_text,
            computed_length=self.computed_length,
            stated_mass_da=self.stated_mass_da,
            stated_mass_text=self.stated_mass_text,
            computed_mass_da=self.computed_mass_da,
            mass_delta_da=delta,
            mass_delta_ppm=ppm,
            mass_tolerance_da=tolerance,
            stated_crc64=self.stated_crc64,
            stated_crc64_text=self.stated_crc64_text,
            computed_crc64=self.computed_crc64,
            failures=tuple(failures),
        )

    def can_pass(self) -> bool:
        """Whether some mass tolerance lets it pass (only the mass is judged later)."""
        return not (self.failures_before or self.mass_failure or self.failures_after)


def measure_sequence(sequence, stated_length, stated_mass_da, stated_crc64) -> Measured:
    """Compute what :func:`check_sequence` compares (length, average mass,
    CRC64) and every check that needs no tolerance."""
    seq = "" if sequence is None else str(sequence)
    before: list[str] = []
    slen, f_len = parse_stated_length(stated_length)
    smass, f_mass = parse_stated_mass(stated_mass_da)
    scrc, f_crc = parse_stated_crc64(stated_crc64)
    text = {
        key: "" if _blank(value) else str(value).strip()
        for key, value in (("l", stated_length), ("m", stated_mass_da), ("c", stated_crc64))
    }

    computed_length = len(seq)
    computed_mass = computed_crc = None
    if not seq:
        before.append("sequence_missing (no sequence given)")
    else:
        bad = invalid_characters(seq)
        if bad:
            before.append("invalid_residues (not amino-acid codes: " + ", ".join(_char_name(c) for c in bad) + ")")
        else:
            computed_mass = average_mass(seq)
        computed_crc = crc64_hex(seq)

    if f_len:
        before.append(f_len)
    elif seq and computed_length != slen:
        before.append(f"length_mismatch (computed {computed_length}, stated {slen})")

    after: list[str] = []
    if f_crc:
        after.append(f_crc)
    elif computed_crc is not None and computed_crc != scrc:
        after.append(f"crc64_mismatch (computed {computed_crc}, stated {scrc})")

    return Measured(
        stated_length=slen,
        stated_length_text=text["l"],
        computed_length=computed_length,
        stated_mass_da=smass,
        stated_mass_text=text["m"],
        computed_mass_da=computed_mass,
        stated_crc64=scrc,
        stated_crc64_text=text["c"],
        computed_crc64=computed_crc or "",
        failures_before=tuple(before),
        mass_failure=f_mass,
        failures_after=tuple(after),
    )


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
    measured = measure_sequence(sequence, stated_length, stated_mass_da, stated_crc64)
    return measured.judge(mass_tolerance_da, mass_tolerance_da_per_residue)


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
