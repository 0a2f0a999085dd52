"""Values of interaction inputs in their one canonical form, and the cached normalisers.

Every input (page entry, download row, whole-organism table row) is brought to
the same cell texts, so that the merge compares like with like. The generic
normalisations live in :mod:`gene_records.ids` (missing values, NCBI ids,
PubMed ids); this module adds what is specific to interactions.tsv (strict
errors, ``;``-joined cells, formula-safe text) and the memos the hot loops
use. A whole-organism table repeats the same few names, ids and lists
millions of times (the memos), but its PubMed cells are nearly all distinct:
their normaliser is fast on a miss (:func:`pubmed_bytes`: one regular
expression, a split and a numeric sort of the ids), so that the cost of a row
does not depend on how few distinct values the table has.

A value that cannot be normalised is a :class:`BadValue`: the caller rejects
the row (``on_bad_record: skip``) or stops the step (``fail``).
"""

from __future__ import annotations

import re
from typing import Callable

from ..ids import MISSING, missing_to_empty, parse_pubmed_ids_strict, safe_id, sorted_ids
from ..io import format_cell

_EVIDENCE = {"yes": "Yes", "no": "No", "": "", "-": "", "na": ""}
# A memo holds at most this many values (a hostile input cannot fill memory).
CACHE_LIMIT = 200_000


class BadValue(ValueError):
    """A value that cannot be normalised (the message says why)."""


def norm_accession(value: str, what: str = "accession") -> str:
    """A UniProt accession as used in file names: plain identifiers only."""
    acc = value.strip()
    if acc in MISSING:
        raise BadValue(f"{what} is empty")
    if not safe_id(acc):
        raise BadValue(
            f"{what} {acc[:60]!r} is not a plain identifier (letters, digits, '.', '_', '-'; "
            "at most 64 characters; not a reserved device name), so it cannot name a file"
        )
    return acc


def norm_ids(value: str) -> str:
    """NCBI gene ids: ``100532731,648`` -> ``648;100532731``; ``NA``/``-``/empty -> ``''``.

    :func:`gene_records.ids.sorted_ids` (numeric order, so the merged cell
    does not depend on the order of the inputs), ``;``-joined.
    """
    return ";".join(sorted_ids(value))


def norm_list(value: str, seps: str = ";") -> str:
    """A text list: split on ``seps``, stripped, de-duplicated, sorted (byte order), ``;``-joined."""
    parts = {p.strip() for p in re.split("[" + re.escape(seps) + "]", value)} if value else set()
    parts -= MISSING
    return ";".join(sorted(format_cell(p) for p in parts))


def norm_pubmed(value: str) -> str:
    """PubMed ids from every TFLink spelling, numerically sorted, ``;``-joined.

    ``29087512%5Buid%5D+OR+24435928%5Buid%5D`` (pages), full
    ``https://www.ncbi.nlm.nih.gov/pubmed/?term=...`` URLs (tfs_of downloads),
    ``21177256,29087512`` (targets_of downloads), ``a;b`` (tables).
    Anything that is not a PubMed id is a :class:`BadValue`, never dropped
    (:func:`gene_records.ids.parse_pubmed_ids_strict`).
    """
    try:
        return ";".join(parse_pubmed_ids_strict(value))
    except ValueError as exc:
        raise BadValue(str(exc)) from None


def norm_name(value: str) -> str:
    """A gene/protein name: ``-`` and empty are missing (``Na`` is a gene, kept).

    A cell naming several genes (``RPL9; RPL9P7`` in downloads, ``RPL9;RPL9P7``
    on pages) is ``;``-joined without spaces, in its order.
    """
    text = value.strip()
    if text == "-":
        return ""
    if ";" in text:
        text = ";".join(p.strip() for p in text.split(";") if p.strip())
    return format_cell(text)


def norm_text(value: str) -> str:
    """Free text (the organism): missing values (:data:`gene_records.ids.MISSING`) are empty."""
    text = missing_to_empty(value)
    return format_cell(text) if text else ""


def norm_evidence(value: str) -> str:
    """Small-scale evidence: ``Yes``, ``No`` or empty (any letter case in the input)."""
    v = _EVIDENCE.get(value.strip().lower())
    if v is None:
        raise BadValue(f"small-scale evidence {value.strip()[:40]!r} is not Yes or No")
    return v


class Cache(dict):
    """A memo of one normaliser, emptied when it grows past :data:`CACHE_LIMIT` (hostile inputs)."""

    def __init__(self, func: Callable):
        super().__init__()
        self.func = func

    def __missing__(self, key):
        if len(self) >= CACHE_LIMIT:
            self.clear()
        value = self.func(key)
        self[key] = value
        return value


class Normaliser:
    """Cached normalisers over text, for pages and downloads."""

    def __init__(self):
        self.acc = Cache(norm_accession)
        self.ids = Cache(norm_ids)
        self.name = Cache(norm_name)
        self.text = Cache(norm_text)
        self.pubmed = Cache(norm_pubmed)
        self.evidence = Cache(norm_evidence)
        self.list_any = Cache(lambda v: norm_list(v, ";,"))


def utf8(value: bytes) -> str:
    """Bytes of a cell as text; invalid UTF-8 is a :class:`BadValue` naming the byte."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadValue(f"not valid UTF-8 (byte 0x{value[exc.start]:02x} in {value[:40]!r})") from None


# PubMed ids as a whole-organism table writes them when no work is needed but
# sorting: ASCII digits without a leading zero, ``;``-joined.
_PLAIN_PUBMED = re.compile(rb"[1-9][0-9]{0,18}(?:;[1-9][0-9]{0,18})*")


def pubmed_bytes(raw: bytes) -> bytes:
    """:func:`norm_pubmed` over bytes, fast for the plain ``;``-joined lists of the tables.

    Ids without a leading zero sort numerically as they sort by (length,
    text), which is :func:`norm_pubmed`'s order; anything else (other
    spellings, leading zeros, bad ids, invalid UTF-8) goes through
    :func:`norm_pubmed` itself.
    """
    if _PLAIN_PUBMED.fullmatch(raw):
        ids = raw.split(b";")
        if len(ids) == 1:
            return raw
        ids = sorted(set(ids))
        ids.sort(key=len)  # stable: by length, then text
        return b";".join(ids)
    return norm_pubmed(utf8(raw)).encode()


class TableNormaliser:
    """Memos over raw bytes for the whole-organism tables' hot loop.

    Every kept cell goes through one memo per column, so every kept byte is
    checked (UTF-8, accessions, evidence) the first time its value is seen.
    The PubMed memo's misses (most cells of a real table) cost one
    :func:`pubmed_bytes`. A bad value raises :class:`BadValue`; for the five
    adjacent columns ``Detection.method`` .. ``Small-scale.evidence``,
    :meth:`mid_error` gives the message as the columns are checked together
    (first UTF-8, then the PubMed ids, then the evidence).
    """

    def __init__(self):
        self.acc = Cache(lambda b: norm_accession(utf8(b)).encode())
        self.ids = Cache(lambda b: norm_ids(utf8(b)).encode())
        self.name = Cache(lambda b: norm_name(utf8(b)).encode())
        self.methods = Cache(lambda b: norm_list(utf8(b)).encode())
        self.pubmed = Cache(pubmed_bytes)
        self.text = Cache(lambda b: norm_text(utf8(b)).encode())
        self.sources = Cache(lambda b: norm_list(utf8(b)).encode())
        self.evidence = Cache(lambda b: norm_evidence(utf8(b)).encode())

    @staticmethod
    def mid(raw: bytes) -> bytes:
        """The five columns ``Detection.method`` .. ``Small-scale.evidence`` (tab-joined) normalised
        together; :class:`BadValue` names the first problem."""
        methods, pubmed, organism, sources, evidence = utf8(raw).split("\t")
        return "\t".join(
            (norm_list(methods), norm_pubmed(pubmed), norm_text(organism), norm_list(sources), norm_evidence(evidence))
        ).encode()

    def mid_error(self, raw: bytes) -> str:
        """The message of the first problem of the five columns ``raw`` (tab-joined)."""
        try:
            self.mid(raw)
        except BadValue as exc:
            return str(exc)
        raise AssertionError(f"no bad value in {raw[:80]!r}")  # pragma: no cover - a bug if reached
