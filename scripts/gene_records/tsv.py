"""Declared tables: the :class:`Table` type, its writer and its checked streaming reader.

Every table the workflow writes is declared once, in :mod:`gene_records.tables`,
as a :class:`Table` (path, columns with types, sort key, description). Producers
write through :meth:`Table.write` / :meth:`Table.writer`; consumers read through
:meth:`Table.read`, which checks the header against the declaration and every
row's width, and fails with one line naming the file and the difference.

The file format is the one :func:`gene_records.io.write_tsv` writes: UTF-8, LF,
a header row, tab-separated, no quoting, one line per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

from .errors import RecordError
from .io import AtomicWriter, open_text, tsv_line, write_tsv

# Column types. ``list`` cells hold ``;``-joined items of ``items`` type.
STRING, INTEGER, NUMBER, BOOLEAN, LIST = "string", "integer", "number", "boolean", "list"
TYPES = (STRING, INTEGER, NUMBER, BOOLEAN, LIST)
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Column:
    """One declared column: its name, type and meaning.

    ``required``: never empty in a valid table. ``items``: the item type of a
    ``list`` column (its cells are ``;``-joined).
    """

    name: str
    type: str = STRING
    description: str = ""
    required: bool = False
    items: str | None = None

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"column {self.name!r}: unknown type {self.type!r}")
        if (self.type == LIST) != (self.items is not None):
            raise ValueError(f"column {self.name!r}: `items` goes with type list, and only with it")

    @property
    def type_text(self) -> str:
        """The type as the docs show it (``list of integer``)."""
        return f"list of {self.items}" if self.type == LIST else self.type


@dataclass(frozen=True)
class Output:
    """A file or folder the workflow writes that is not a declared table
    (FASTA, GMT, JSON, HTML, a folder of split tables)."""

    name: str
    path: str
    format: str
    description: str
    stage: str
    target: bool = True  # listed in the default target (rule all)
    switch: str = ""  # a boolean config key: written (and a target) only when it is true


@dataclass(frozen=True)
class Table:
    """A declared TSV table.

    ``path`` is the output path (with ``{wildcard}`` parts for tables written
    once per batch or per protein); ``sort_key`` the columns rows are sorted by
    (documentation: producers sort); ``extra`` describes the columns that
    follow the declared ones in a wide table (one per gene, location, ...),
    ``None`` for a table with exactly the declared columns. ``unique``: no two
    rows share their ``sort_key`` values (the data package's primary key).
    """

    name: str
    path: str
    columns: tuple[Column, ...]
    description: str
    stage: str
    sort_key: tuple[str, ...] = ()
    extra: str | None = None
    extra_column: Column | None = None
    target: bool = True
    format: str = "tsv"
    order: str = ""  # the row order in words, where ``sort_key`` alone does not say it
    unique: bool = False
    _index: dict = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: a column is declared twice")
        for key in self.sort_key:
            if key not in names:
                raise ValueError(f"table {self.name}: sort key {key!r} is not a column")
        if self.unique and not self.sort_key:
            raise ValueError(f"table {self.name}: `unique` needs a sort key")
        object.__setattr__(self, "_index", {n: i for i, n in enumerate(names)})

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def index(self, name: str) -> int:
        """The position of a declared column (KeyError names the table)."""
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"table {self.name} declares no column {name!r}") from None

    def column(self, name: str) -> Column:
        return self.columns[self.index(name)]

    # ------------------------------------------------------------ writing

    def write(self, path: str, rows: Iterable[Sequence], extra: Sequence[str] = ()) -> int:
        """Write the header (declared columns, then ``extra`` names of a wide
        table) and ``rows`` atomically; return the number of rows."""
        header = self._full_header(extra)
        return write_tsv(path, header, self._checked(rows, len(header)))

    def _checked(self, rows: Iterable[Sequence], width: int) -> Iterator[Sequence]:
        for row in rows:
            if len(row) != width:
                raise ValueError(f"table {self.name}: a row of {len(row)} cells, the header has {width}: {row!r:.200}")
            yield row

    def writer(self, path: str, extra: Sequence[str] = ()) -> "TableWriter":
        """A context manager for streaming writes: ``w.row(cells)`` /
        ``w.line(text)``; the header is written first, the file renamed into
        place on success."""
        return TableWriter(path, self._full_header(extra))

    def header_line(self, extra: Sequence[str] = ()) -> str:
        return tsv_line(self._full_header(extra))

    def _full_header(self, extra: Sequence[str]) -> list[str]:
        if extra and self.extra is None:
            raise ValueError(f"table {self.name} has no extra columns")
        return [*self.header, *extra]

    # ------------------------------------------------------------ reading

    def check_header(self, path: str, header: Sequence[str]) -> None:
        """Raise :class:`RecordError` (one line: file, line 1, the difference)
        unless ``header`` is the declared one (a prefix of it for a wide table)."""
        problem = header_difference(self.header, header, wide=self.extra is not None)
        if problem:
            raise RecordError(path, "line 1", f"header does not match the {self.name} declaration ({self.path}): {problem}")

    def read(self, path: str) -> "TableReader":
        """Open ``path`` for streaming reads; the header is checked at once."""
        return TableReader(self, path)

    def rows(self, path: str) -> list[list[str]]:
        """All rows of a (small) table."""
        with self.read(path) as reader:
            return list(reader)


def header_difference(expected: Sequence[str], found: Sequence[str], wide: bool = False) -> str:
    """Empty when ``found`` is ``expected`` (or starts with it, ``wide``);
    otherwise a short text naming the first difference."""
    found = list(found)
    for i, name in enumerate(expected):
        if i >= len(found):
            return f"column {i + 1} {name!r} is missing (the header has {len(found)} columns)"
        if found[i] != name:
            if name in found:
                return f"column {i + 1} is {found[i]!r}, expected {name!r} (found at column {found.index(name) + 1})"
            return f"column {i + 1} is {found[i]!r}, expected {name!r}"
    if not wide and len(found) > len(expected):
        return f"unexpected column {len(expected) + 1} {found[len(expected)]!r}"
    return ""


class TableWriter:
    """Streaming writer of a declared table (see :meth:`Table.writer`)."""

    def __init__(self, path: str, header: Sequence[str]):
        self._atomic = AtomicWriter(path)
        self._header = header
        self.fh = None
        self.n = 0

    def __enter__(self) -> "TableWriter":
        self.fh = self._atomic.__enter__()
        self.fh.write(tsv_line(self._header))
        return self

    def row(self, cells: Sequence) -> None:
        self.fh.write(tsv_line(cells))
        self.n += 1

    def line(self, text: str) -> None:
        """A row already formatted (``tsv_line``), for hot loops."""
        self.fh.write(text)
        self.n += 1

    def __exit__(self, exc_type, exc, tb):
        return self._atomic.__exit__(exc_type, exc, tb)


class TableReader:
    """Checked streaming reader: iterate for rows (lists of cells).

    ``reader.header`` is the file's header, ``reader.extra`` the names of a wide
    table's extra columns, ``reader.col(name)`` a declared column's position.
    A row with another number of fields than the header raises
    :class:`RecordError` naming the file and line.
    """

    def __init__(self, table: Table, path: str):
        self.table = table
        self.path = path
        try:
            self._fh = open_text(path)
        except OSError as exc:
            raise RecordError(path, "", f"cannot read the table ({exc.strerror})") from None
        try:
            first = self._fh.readline()
            if not first:
                raise RecordError(path, "line 1", f"empty file: no header of the {table.name} declaration ({table.path})")
            self.header = first.rstrip("\n").split("\t")
            table.check_header(path, self.header)
        except BaseException:
            self._fh.close()
            raise
        self.extra = self.header[len(table.columns):]
        self.line_no = 1

    def col(self, name: str) -> int:
        return self.table.index(name)

    def __iter__(self) -> Iterator[list[str]]:
        width = len(self.header)
        for line in self._fh:
            self.line_no += 1
            if line == "\n":
                continue
            cells = line.rstrip("\n").split("\t")
            if len(cells) != width:
                raise RecordError(
                    self.path, f"line {self.line_no}", f"{len(cells)} fields, the header has {width}"
                )
            yield cells

    def leading(self, n: int) -> Iterator[list[str]]:
        """Rows cut after their first ``n`` cells (the rest is the last item),
        for hot loops over wide tables; the width is still checked."""
        tabs = len(self.header) - 1
        for line in self._fh:
            self.line_no += 1
            if line.count("\t") != tabs:
                if line == "\n":
                    continue
                raise RecordError(
                    self.path, f"line {self.line_no}", f"{line.count(chr(9)) + 1} fields, the header has {tabs + 1}"
                )
            yield line.rstrip("\n").split("\t", n)

    def dicts(self) -> Iterator[dict[str, str]]:
        header = self.header
        for cells in self:
            yield dict(zip(header, cells))

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "TableReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_tsv(path: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of any TSV in this format, declared or not (tests,
    ad-hoc checks); steps read declared tables through :meth:`Table.read`."""
    with open_text(path) as fh:
        first = fh.readline()
        header = first.rstrip("\n").split("\t") if first else []
        rows = [line.rstrip("\n").split("\t") for line in fh if line != "\n"]
    return header, rows


def read_tsv_dicts(path: str) -> list[dict]:
    header, rows = read_tsv(path)
    return [dict(zip(header, row)) for row in rows]
