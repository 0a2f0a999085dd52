"""Identifier normalisation shared by every parser and table."""

from __future__ import annotations

import re
import urllib.parse

# UniProtKB accession, as documented by UniProt (6 or 10 characters).
UNIPROT_RE = re.compile(
    r"^(?:[OPQ][0-9][A-Z0-9]{3}[0-9]|[A-NR-Z][0-9](?:[A-Z][A-Z0-9]{2}[0-9]){1,2})(?:-[0-9]+)?$"
)
# What may become a file name: letters, digits, '.', '_', '-', not starting
# with '.' or '-', at most 64 characters.
SAFE_ID_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
# Windows device names are not portable file names, whatever the extension.
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | {
    f"LPT{i}" for i in range(1, 10)
}
MISSING = {"", "-", "NA", "N/A", "na", "n/a", "None", "null", "NULL"}


def missing_to_empty(value) -> str:
    """``-``, ``NA`` and empty become ``''``; anything else is stripped text.

    ``Na`` (a real gene name) is kept: only the exact spellings above are missing.
    """
    if value is None:
        return ""
    text = str(value).strip()
    return "" if text in MISSING else text


def split_ids(value, seps: str = ";,") -> list[str]:
    """Split a field holding several ids (``100532731,648`` or ``1;2``), de-duplicated, in their order.

    For parsed records, which keep the page's order (``ncbi_gene_ids`` of a
    TFLink entry, a gene's ids). Tables that merge ids from several inputs
    use :func:`sorted_ids` (numeric order) instead.
    """
    text = missing_to_empty(value)
    if not text:
        return []
    parts = re.split("[" + re.escape(seps) + "]", text)
    out = []
    for p in parts:
        p = missing_to_empty(p)
        if p and p not in out:
            out.append(p)
    return out


def id_sort_key(item: str) -> tuple:
    """Numbers in numeric order (``648`` before ``100532731``), then anything else in text order."""
    return (0, int(item), item) if item.isdigit() else (1, 0, item)


def sorted_ids(value, seps: str = ";,") -> list[str]:
    """The ids of :func:`split_ids`, numerically sorted: ``100532731,648`` -> ``['648', '100532731']``.

    For interactions.tsv, whose NCBI id cells are the union of several inputs
    and must not depend on their order. Missing values (:data:`MISSING`) drop out.
    """
    return sorted(set(split_ids(value, seps)), key=id_sort_key)


def split_list(value, sep: str) -> list[str]:
    """Split a ``sep``-joined text list into stripped, non-empty items (order kept)."""
    text = "" if value is None else str(value)
    return [p.strip() for p in text.split(sep) if p.strip()]


_PMID_RE = re.compile(r"(\d+)\s*(?:\[uid\])?")
# The interactions step's (strict) token: ``[uid]`` in any letter case.
_PMID_STRICT_RE = re.compile(r"(\d+)(?:\[uid\])?", re.IGNORECASE)


def _pubmed_parts(value) -> list[str]:
    """The candidate ids of a PubMed cell in any TFLink spelling (empty parts dropped)."""
    text = missing_to_empty(value)
    if not text:
        return []
    if "term=" in text:
        text = text.split("term=", 1)[1]
    if "%" in text or "+" in text:
        text = urllib.parse.unquote_plus(text)
    return [p for p in re.split(r"\s+OR\s+|[,;\s]+", text) if p]


def _pubmed_sorted(ids: set[str]) -> list[str]:
    return sorted(ids, key=lambda s: (len(s), s))


def parse_pubmed_ids(value) -> list[str]:
    """PubMed ids from any of the TFLink spellings, de-duplicated, numerically sorted (lenient).

    Accepts ``29087512%5Buid%5D+OR+24435928%5Buid%5D`` (pages),
    ``https://www.ncbi.nlm.nih.gov/pubmed/?term=...`` (tfs_of downloads) and
    ``21177256,29087512`` (targets_of downloads). A part that is not an id
    is dropped: the parsers keep what a page states and never fail on it.
    The interactions step uses :func:`parse_pubmed_ids_strict`.
    """
    ids = set()
    for part in _pubmed_parts(value):
        m = _PMID_RE.fullmatch(part)
        if m:
            ids.add(m.group(1).lstrip("0") or "0")
    return _pubmed_sorted(ids)


def parse_pubmed_ids_strict(value) -> list[str]:
    """The ids of :func:`parse_pubmed_ids`, but a part that is not a PubMed id is an error (strict).

    Raises :class:`ValueError` (``'PMC123' is not a PubMed id``) instead of
    dropping it: the interactions step rejects such a row (or fails the step)
    rather than silently losing a reference. ``[uid]`` may be in any letter case.
    """
    ids = set()
    for part in _pubmed_parts(value):
        m = _PMID_STRICT_RE.fullmatch(part)
        if not m:
            raise ValueError(f"{part[:40]!r} is not a PubMed id")
        ids.add(m.group(1).lstrip("0") or "0")
    return _pubmed_sorted(ids)


def is_uniprot(acc: str) -> bool:
    return bool(UNIPROT_RE.match(acc or ""))


def is_canonical_uniprot(acc: str) -> bool:
    """A UniProtKB accession without an isoform suffix (``P04637``, not
    ``P04637-2``), the whole text: the ids that name an entry page (the
    report's links to UniProt and TFLink)."""
    return bool(acc) and "-" not in acc and UNIPROT_RE.fullmatch(acc) is not None


def safe_id(text: str) -> bool:
    """True when ``text`` can be used as a file name on any system."""
    if not text or not SAFE_ID_RE.match(text):
        return False
    return text.split(".")[0].upper() not in _RESERVED


def slug(text: str) -> str:
    """A filesystem-safe form of a symbol (for ids of records without a numeric id)."""
    s = re.sub(r"[^A-Za-z0-9_.-]+", "_", text.strip()).strip("._-")
    return s[:64]


def normalise_cell_ontology_id(raw: str) -> str:
    """``CL0000101`` -> ``CL:0000101``; ``CL:0000101`` and other forms kept as they are."""
    m = re.fullmatch(r"([A-Za-z]+)[:_]?(\d+)", raw.strip())
    if not m:
        return raw.strip()
    return f"{m.group(1).upper()}:{m.group(2)}"


_HTML_ID_RE = re.compile(r">\s*([^<>]+?)\s*</a>", re.IGNORECASE)


def strip_link(value: str) -> str:
    """``<a href="/protein/q96a72">Q96A72</a>`` -> ``Q96A72``; plain ids unchanged."""
    text = str(value).strip()
    m = _HTML_ID_RE.search(text)
    if m:
        return m.group(1)
    return re.sub(r"<[^>]*>", "", text).strip()
