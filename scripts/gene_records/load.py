"""Typed loading of the workflow's tables into pandas, for notebooks and Python pipelines.

One call reads any declared table of a results folder with the declared types::

    import gene_records
    df = gene_records.load_table("results", "interactions")
    tf = gene_records.load_table("results", "by_tf", tf_uniprot="Q06945")

Types (from :mod:`gene_records.tables`): ``string`` -> pandas ``string``,
``integer`` -> ``Int64``, ``number`` -> ``Float64``, ``boolean`` -> ``boolean``
(``true``/``false``), ``list`` -> a Python list of its ``;``-separated items
(``lists="text"`` keeps the cell text as ``string``). Only the empty cell is
missing (``<NA>``; an empty list cell is ``[]``): no text such as ``NA`` or
``null`` is taken for missing, and nothing is quoted. The extra columns of a
wide table get the type of its ``extra_column``.
"""

from __future__ import annotations

import csv
import os

from . import tables
from .tsv import BOOLEAN, INTEGER, LIST, LIST_SEPARATOR, NUMBER, Column, Table

PANDAS_DTYPES = {"string": "string", INTEGER: "Int64", NUMBER: "Float64", BOOLEAN: "boolean", LIST: "string"}


def table_path(results: str, name: str, **wildcards: str) -> str:
    """The file of declared table ``name`` under the folder ``results``
    (``results/...`` paths are taken relative to it; wildcards by keyword)."""
    decl = _declared(name)
    rel = decl.path.split("/", 1)[1] if decl.path.startswith("results/") else decl.path
    try:
        rel = rel.format(**wildcards)
    except KeyError as exc:
        raise TypeError(f"table {name} ({decl.path}) needs {exc.args[0]}=...") from None
    return os.path.join(results, rel)


def load_table(results: str, name: str, lists: str = "split", **wildcards: str):
    """Read the declared table ``name`` of the results folder ``results`` into
    a pandas DataFrame with its declared dtypes (see the module docstring).
    ``lists``: ``"split"`` (Python lists) or ``"text"`` (the ``;``-joined text).
    Split files take their wildcard: ``load_table("results", "by_tf", tf_uniprot="Q06945")``."""
    return read_table(table_path(results, name, **wildcards), name, lists=lists)


def read_table(path: str, name: str, lists: str = "split"):
    """Read the file ``path`` as the declared table ``name`` (header checked)."""
    import pandas as pd

    if lists not in ("split", "text"):
        raise ValueError("lists must be 'split' or 'text'")
    decl = _declared(name)
    with decl.read(path) as reader:
        header = list(reader.header)
    columns = column_types(decl, header)
    df = pd.read_csv(
        path,
        sep="\t",
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        quoting=csv.QUOTE_NONE,
        encoding="utf-8",
        compression="infer",
    )
    for col in columns:
        df[col.name] = convert(df[col.name], col, lists)
    return df


def column_types(decl: Table, header: list[str]) -> list[Column]:
    """The columns of a file of ``decl``: the declared ones, then the extra
    columns of a wide table typed as its ``extra_column``."""
    extra = header[len(decl.columns):]
    template = decl.extra_column or Column("<extra>")
    return [*decl.columns, *(Column(n, template.type, template.description, items=template.items) for n in extra)]


def convert(series, col: Column, lists: str = "split"):
    """A column of text cells (missing = NA) as its declared type."""
    import pandas as pd

    if col.type == INTEGER:
        return pd.array([None if pd.isna(v) else int(v) for v in series], dtype="Int64")
    if col.type == NUMBER:
        return pd.array([None if pd.isna(v) else float(v) for v in series], dtype="Float64")
    if col.type == BOOLEAN:
        values = {"true": True, "false": False}
        return pd.array([None if pd.isna(v) else values[v] for v in series], dtype="boolean")
    if col.type == LIST and lists == "split":
        return pd.Series([[] if pd.isna(v) else v.split(LIST_SEPARATOR) for v in series], index=series.index,
                         dtype=object)
    return series.astype("string")


def _declared(name: str) -> Table:
    decl = tables.OUTPUTS.get(name)
    if not isinstance(decl, Table):
        known = ", ".join(t.name for t in tables.TABLES)
        raise KeyError(f"no declared table {name!r} (tables: {known})")
    return decl
