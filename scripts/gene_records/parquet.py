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
"""

from __future__ import annotations

import logging

from . import tables
from .io import AtomicWriter
from .tsv import BOOLEAN, INTEGER, LIST, LIST_SEPARATOR, NUMBER, Table

log = logging.getLogger("gene_records")

BATCH_ROWS = 65536
WRITER_OPTIONS = dict(
    compression="zstd",
    compression_level=3,
    use_dictionary=True,
    write_statistics=True,
    write_page_index=False,
    data_page_version="2.0",
    version="2.6",
)


def arrow_schema(table: Table):
    """The Arrow schema of a declared (not wide) table."""
    import pyarrow as pa

    types = {INTEGER: pa.int64(), NUMBER: pa.float64(), BOOLEAN: pa.bool_(), LIST: pa.list_(pa.string())}
    fields = [
        pa.field(c.name, types.get(c.type, pa.string()), nullable=not c.required and c.type != LIST)
        for c in table.columns
    ]
    return pa.schema(fields, metadata={"gene_records.table": table.name})


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


def tsv_to_parquet(table: Table, tsv: str, parquet: str, batch_rows: int = BATCH_ROWS) -> int:
    """Write the typed copy of ``tsv`` (a file of ``table``) to ``parquet``,
    atomically; return the number of rows."""
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
    log.info("%s: %d rows -> %s", tsv, n, parquet)
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
