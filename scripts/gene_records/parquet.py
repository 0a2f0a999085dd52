"""Typed Parquet copies of the large long tables (config ``parquet: true``).

Each copy has the declared columns with Arrow types from the declarations:
``string`` -> ``string``, ``integer`` -> ``int64``, ``number`` -> ``float64``,
``boolean`` -> ``bool``, ``list`` -> ``list<string>`` (its ``;``-separated
items; an empty cell is the empty list ``[]``, as :func:`gene_records.load_table`
gives it). An empty cell of any other type is null. Rows stay in the TSV's order.

The TSV is read in batches of :data:`BATCH_ROWS` rows and each batch written as
one row group, so memory does not grow with the table. The bytes depend only on
the TSV and the pyarrow version: fixed row groups, zstd level 3, no page index,
and no key-value metadata that varies (``created_by`` is pyarrow's fixed
``parquet-cpp-arrow version X``; the schema's metadata holds the table name only).

How it is read. The TSV's body is cut into blocks of whole lines
(:data:`BLOCK_BYTES`), each parsed by ``pyarrow.csv`` as text and typed with
``pyarrow.compute`` (a row group's columns are one contiguous array each, as the
writer needs for the same pages). That is the fast path, and it gives exactly
the values of the reference, :func:`copy_cell_by_cell` (Python's ``int``,
``float``, ``str.split``, one cell at a time): it only takes cells in the
canonical forms the workflow writes (:mod:`gene_records.io`), on which the
two agree. Anything else -- a carriage return, a number Python reads but in
another form (`` 5``, ``1_000``, ``0x10``), a boolean that is not
``true``/``false``, invalid UTF-8, a row of the wrong width -- sends the whole
file to the reference, which then writes the same bytes, or fails with the
same error, as it always did.
"""

from __future__ import annotations

import gzip
import logging

from . import tables
from .io import AtomicWriter, open_regular
from .tsv import BOOLEAN, INTEGER, LIST, LIST_SEPARATOR, NUMBER, Table

log = logging.getLogger("gene_records")

BATCH_ROWS = 65536
BLOCK_BYTES = 1 << 20
WRITER_OPTIONS = dict(
    compression="zstd",
    compression_level=3,
    use_dictionary=True,
    write_statistics=True,
    write_page_index=False,
    data_page_version="2.0",
    version="2.6",
)
# The cells the fast path types itself (anything else: the reference path).
# These are the forms gene_records.io.format_cell writes (str(int), repr(float),
# "inf"), on which pyarrow's parsers and Python's int()/float() agree exactly.
INTEGER_FORM = r"^-?[0-9]+$"
NUMBER_FORM = r"^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$|^-?inf$"


def arrow_schema(table: Table):
    """The Arrow schema of a declared (not wide) table."""
    import pyarrow as pa

    types = {INTEGER: pa.int64(), NUMBER: pa.float64(), BOOLEAN: pa.bool_(), LIST: pa.list_(pa.string())}
    fields = [
        pa.field(c.name, types.get(c.type, pa.string()), nullable=not c.required and c.type != LIST)
        for c in table.columns
    ]
    return pa.schema(fields, metadata={"gene_records.table": table.name})


class Unusual(Exception):
    """A cell or a line the fast path leaves to the reference path."""


def tsv_to_parquet(table: Table, tsv: str, parquet: str, batch_rows: int = BATCH_ROWS) -> int:
    """Write the typed copy of ``tsv`` (a file of ``table``) to ``parquet``,
    atomically; return the number of rows."""
    import pyarrow as pa

    with table.read(tsv):  # the header is checked (same errors as ever), then closed
        pass
    try:
        n = copy_columnar(table, tsv, parquet, batch_rows)
    except (Unusual, pa.ArrowException) as exc:
        log.info("%s: %s; typing it cell by cell", tsv, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        n = copy_cell_by_cell(table, tsv, parquet, batch_rows)
    log.info("%s: %d rows -> %s", tsv, n, parquet)
    return n


# ------------------------------------------------------------ the fast path


def body_blocks(path: str, block_bytes: int = BLOCK_BYTES):
    """The bytes after the header line of a plain or gzipped file, in blocks
    of whole lines (the last one may lack its newline). :class:`Unusual` on a
    carriage return (the reference reads ``\\r`` as a line end of its own)."""
    raw = open_regular(path)
    try:
        magic = raw.read(2)
        raw.seek(0)
        fh = gzip.GzipFile(fileobj=raw, mode="rb") if magic == b"\x1f\x8b" else raw
        with fh:
            fh.readline()
            rest = b""
            while True:
                data = fh.read(block_bytes)
                if b"\r" in data:
                    raise Unusual("a carriage return")
                if not data:
                    if rest:
                        yield rest
                    return
                data = rest + data
                cut = data.rfind(b"\n") + 1
                rest = data[cut:]
                if cut:
                    yield data[:cut]
    finally:
        raw.close()


def text_batches(table: Table, path: str, block_bytes: int = BLOCK_BYTES):
    """The body of ``path`` as Arrow tables of text cells, one per block."""
    import pyarrow as pa
    import pyarrow.csv as csv

    names = list(table.header)
    parse = csv.ParseOptions(
        delimiter="\t", quote_char=False, double_quote=False, escape_char=False,
        newlines_in_values=False, ignore_empty_lines=True,
    )
    convert = csv.ConvertOptions(
        column_types={n: pa.string() for n in names}, strings_can_be_null=False,
        quoted_strings_can_be_null=False, null_values=[], check_utf8=True,
    )
    for block in body_blocks(path, block_bytes):
        if not block.strip(b"\n"):
            continue  # blank lines only: no rows (pyarrow calls such input an empty file)
        read = csv.ReadOptions(column_names=names, use_threads=False, block_size=len(block) + 1)  # one block
        yield csv.read_csv(pa.py_buffer(block), read_options=read, parse_options=parse, convert_options=convert)


def typed_column(text, col_type: str):
    """One column of text cells (a contiguous ``string`` array) as the
    reference types it; :class:`Unusual` on a cell outside the canonical forms."""
    import pyarrow as pa
    import pyarrow.compute as pc

    empty = pc.equal(text, "")
    has_empty = pc.any(empty).as_py() or False
    if col_type == LIST:
        parts = pc.split_pattern(text, LIST_SEPARATOR)
        if not has_empty:
            return parts
        # an empty cell is [] (split gives [""]): drop its one item, length 0
        lengths = pc.if_else(empty, 0, pc.list_value_length(parts)).cast(pa.int32())
        offsets = pa.concat_arrays([pa.array([0], pa.int32()), pc.cumulative_sum(lengths)])
        kept = pc.invert(pc.take(empty, pc.list_parent_indices(parts)))
        return pa.ListArray.from_arrays(offsets, pc.filter(parts.flatten(), kept))
    valued = pc.if_else(empty, pa.scalar(None, pa.string()), text) if has_empty else text
    if col_type in (INTEGER, NUMBER):
        form = INTEGER_FORM if col_type == INTEGER else NUMBER_FORM
        if not _all(pc.match_substring_regex(valued, form)):
            raise Unusual(f"a {col_type} cell in another form than gene_records writes")
        return pc.cast(valued, pa.int64() if col_type == INTEGER else pa.float64())
    if col_type == BOOLEAN:
        if not _all(pc.is_in(text, pa.array(["true", "false", ""]))):
            raise Unusual("a boolean cell other than true/false")
        return pc.equal(valued, "true")
    return valued


def _all(flags) -> bool:
    """True unless a (non-null) flag is false."""
    import pyarrow.compute as pc

    return pc.all(flags).as_py() is not False


def copy_columnar(
    table: Table, tsv: str, parquet: str, batch_rows: int = BATCH_ROWS, block_bytes: int = BLOCK_BYTES
) -> int:
    """The fast path of :func:`tsv_to_parquet` (see the module docstring)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(table)
    col_types = [c.type for c in table.columns]
    n = 0
    with AtomicWriter(parquet, "wb") as fh:
        with pq.ParquetWriter(fh, schema, **WRITER_OPTIONS) as writer:

            def write(text) -> None:
                text = text.combine_chunks()
                arrays = [typed_column(text.column(i).chunk(0), t) if text.num_rows else
                          pa.array([], type=f.type) for i, (t, f) in enumerate(zip(col_types, schema))]
                writer.write_table(pa.Table.from_arrays(arrays, schema=schema), row_group_size=batch_rows)

            pending, held = [], 0
            for batch in text_batches(table, tsv, block_bytes):
                pending.append(batch)
                held += batch.num_rows
                while held >= batch_rows:
                    rows = pa.concat_tables(pending)
                    write(rows.slice(0, batch_rows))
                    pending, held = [rows.slice(batch_rows)], held - batch_rows
                    n += batch_rows
            if held or n == 0:
                write(pa.concat_tables(pending) if pending else
                      pa.table({c: pa.array([], pa.string()) for c in table.header}))
                n += held
    return n


# ------------------------------------------------------- the reference path


def _converter(col_type: str):
    if col_type == INTEGER:
        return lambda v: int(v) if v else None
    if col_type == NUMBER:
        return lambda v: float(v) if v else None
    if col_type == BOOLEAN:
        return lambda v: {"true": True, "false": False}[v] if v else None
    if col_type == LIST:
        return lambda v: v.split(LIST_SEPARATOR) if v else []
    return lambda v: v if v else None


def copy_cell_by_cell(table: Table, tsv: str, parquet: str, batch_rows: int = BATCH_ROWS) -> int:
    """The reference: the checked reader (:meth:`Table.read`), every cell
    typed in Python. The fast path writes the same bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(table)
    converters = [_converter(c.type) for c in table.columns]
    n = 0
    with AtomicWriter(parquet, "wb") as fh, table.read(tsv) as reader:
        with pq.ParquetWriter(fh, schema, **WRITER_OPTIONS) as writer:
            columns: list[list] = [[] for _ in converters]

            def flush() -> None:
                arrays = [pa.array(values, type=f.type) for values, f in zip(columns, schema)]
                writer.write_table(pa.Table.from_arrays(arrays, schema=schema), row_group_size=batch_rows)
                for values in columns:
                    values.clear()

            for cells in reader:
                for values, conv, cell in zip(columns, converters, cells):
                    values.append(conv(cell))
                n += 1
                if n % batch_rows == 0:
                    flush()
            if n == 0 or n % batch_rows:
                flush()
    return n


def write_parquet(
    interactions: str,
    cell_expression: str,
    insitu_expression: str,
    genes: str,
    interactions_parquet: str,
    cell_expression_parquet: str,
    insitu_expression_parquet: str,
    genes_parquet: str,
) -> None:
    """Typed Parquet copies of interactions.tsv, cell_expression.tsv,
    insitu_expression.tsv and genes.tsv (see the module docstring)."""
    pairs = {
        "interactions": (interactions, interactions_parquet),
        "cell_expression": (cell_expression, cell_expression_parquet),
        "insitu_expression": (insitu_expression, insitu_expression_parquet),
        "genes": (genes, genes_parquet),
    }
    assert tuple(pairs) == tables.PARQUET_TABLES
    for name, (tsv, parquet) in pairs.items():
        tsv_to_parquet(tables.OUTPUTS[name], tsv, parquet)
