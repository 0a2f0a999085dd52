"""The report's document model and the links out to the portals.

A page is a list of :class:`Section` objects, each a list of blocks
(:class:`Para`, :class:`Facts`, :class:`Table`, :class:`Plot`,
:class:`Heading`, :class:`Pre`) that :mod:`.render` turns into HTML and
Markdown. Cells are plain values or :class:`Link` objects, built only by the
link functions here and only from identifiers that match their pattern.
The escaping helpers (:func:`fmt`, :func:`md_escape`, :func:`html_cell`,
:func:`md_cell`) are the one place text from records becomes markup.
"""

from __future__ import annotations

import math
import posixpath
import re
from dataclasses import dataclass, field
from html import escape
from urllib.parse import quote

from ..ids import is_canonical_uniprot

# ------------------------------------------------------------------ document model


@dataclass(frozen=True)
class Link:
    """A link out: ``url`` is built by the link functions below from a checked id."""

    text: str
    url: str


@dataclass
class Para:
    parts: list  # str | Link


@dataclass
class Facts:
    items: list  # (label, value cell)


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list]
    total: int
    full: str = ""  # the file that holds every row
    order: str = ""  # how the shown rows were chosen

    def note(self) -> str:
        if self.total <= len(self.rows):
            return ""
        where = f"; every row is in {self.full}" if self.full else ""
        how = f" ({self.order})" if self.order else ""
        return f"Showing {len(self.rows):,} of {self.total:,} rows{how}{where}."


@dataclass
class Plot:
    name: str  # file name under plots/
    svg: str
    caption: str


@dataclass
class Heading:
    text: str
    anchor: str = ""


@dataclass
class Pre:
    text: str


@dataclass
class Section:
    anchor: str
    title: str
    blocks: list = field(default_factory=list)


# ------------------------------------------------------------------ links out

NCBI_GENE_RE = re.compile(r"[1-9][0-9]{0,11}")
ENSEMBL_GENE_RE = re.compile(r"ENS[A-Z]{0,6}G[0-9]{11}(?:\.[0-9]+)?")


def uniprot_link(acc: str) -> Link | None:
    acc = (acc or "").strip()
    if not is_canonical_uniprot(acc):
        return None
    return Link(acc, f"https://www.uniprot.org/uniprotkb/{quote(acc)}/entry")


def tflink_link(acc: str) -> Link | None:
    acc = (acc or "").strip()
    if not is_canonical_uniprot(acc):
        return None
    return Link(f"TFLink {acc}", f"https://tflink.net/protein/{quote(acc.lower())}/")


def ncbi_link(gene_id: str) -> Link | None:
    gene_id = (gene_id or "").strip()
    if not NCBI_GENE_RE.fullmatch(gene_id):
        return None
    return Link(gene_id, f"https://www.ncbi.nlm.nih.gov/gene/{gene_id}")


def geisha_link(gene_id: str) -> Link | None:
    gene_id = (gene_id or "").strip()
    if not NCBI_GENE_RE.fullmatch(gene_id):
        return None
    return Link(f"GEISHA {gene_id}", f"https://geisha.arizona.edu/geisha/search.jsp?gene={gene_id}")


def ensembl_link(gene_id: str) -> Link | None:
    gene_id = (gene_id or "").strip()
    if not ENSEMBL_GENE_RE.fullmatch(gene_id):
        return None
    return Link(gene_id, f"https://www.ensembl.org/id/{quote(gene_id)}")


def id_links(values: str, make) -> list:
    """``a;b`` -> links (or the plain text of an id that is not well-formed)."""
    out = []
    for v in (values or "").split(";"):
        v = v.strip()
        if v:
            out.append(make(v) or v)
    return out


# ------------------------------------------------------------------ escaping

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&$])")


def md_escape(text) -> str:
    """Markdown text that renders as exactly ``text``: every character that
    Markdown or HTML could read as syntax is backslash-escaped (CommonMark
    allows it before any ASCII punctuation), line breaks become spaces."""
    s = " ".join(str(text).split()) if text is not None else ""
    s = _MD_SPECIAL.sub(r"\\\1", s)
    if s[:1] in "-=" and s:
        s = "\\" + s
    return s


def is_number(cell) -> bool:
    """A numeric cell (right-aligned by the renderers); booleans are not."""
    return isinstance(cell, (int, float)) and not isinstance(cell, bool)


def fmt(cell) -> str:
    """Plain text of a cell: thousands separators for integers, fixed decimals."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, int):
        return f"{cell:,}"
    if isinstance(cell, float):
        if not math.isfinite(cell):
            return ""
        return f"{cell:,.2f}"
    return str(cell)


_RESULT_PATH_RE = re.compile(r"^results/[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")


def result_link(path: str, page_dir: str = "results/report") -> Link | str:
    """A relative link from the page to a file the run wrote (``results/...``),
    so the page opens it from the results folder; anything that is not a plain
    path under ``results/`` stays text (no scheme, no ``..``)."""
    if not _RESULT_PATH_RE.match(path) or ".." in path.split("/"):
        return path
    return Link(path, posixpath.relpath(path, page_dir))


def html_cell(cell) -> str:
    if isinstance(cell, Link):
        return f'<a href="{escape(cell.url, quote=True)}">{escape(cell.text)}</a>'
    if isinstance(cell, (list, tuple)):
        return ", ".join(html_cell(c) for c in cell)
    return escape(fmt(cell))


def md_cell(cell) -> str:
    if isinstance(cell, Link):
        return f"[{md_escape(cell.text)}](<{cell.url}>)"
    if isinstance(cell, (list, tuple)):
        return ", ".join(md_cell(c) for c in cell)
    return md_escape(fmt(cell))
