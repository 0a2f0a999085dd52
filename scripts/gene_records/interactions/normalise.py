"""Values of interaction inputs in their one canonical form, and the cached normalisers.

Every input (page entry, download row, whole-organism table row) is brought to
the same cell texts, so that the merge compares like with like. The generic
normalisations live in :mod:`gene_records.ids` (missing values, NCBI ids,
PubMed ids); this module adds what is specific to interactions.tsv (strict
errors, ``;``-joined cells, formula-safe text) and the memos the hot loops
use: a whole-organism table repeats the same few values millions of times.

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


class TableNormaliser:
    """Memos over raw bytes for the whole-organism tables' hot loop.

    Every kept cell goes through one memo, so every kept byte is checked
    (UTF-8, accessions, evidence) the first time its value is seen. The five
    adjacent columns ``Detection.method`` .. ``Small-scale.evidence`` are one
    memo key: their combinations repeat even more than single values.
    """

    def __init__(self):
        self.acc = Cache(lambda b: norm_accession(utf8(b)).encode())
        self.ids = Cache(lambda b: norm_ids(utf8(b)).encode())
        self.name = Cache(lambda b: norm_name(utf8(b)).encode())
        self.mid = Cache(self._mid)

    @staticmethod
    def _mid(raw: bytes) -> bytes:
        methods, pubmed, organism, sources, evidence = utf8(raw).split("\t")
        return "\t".join(
            (norm_list(methods), norm_pubmed(pubmed), norm_text(organism), norm_list(sources), norm_evidence(evidence))
        ).encode()
