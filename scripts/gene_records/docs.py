"""Documentation generated from the declarations in :mod:`gene_records.tables`.

``docs/outputs.md`` is written whole from them, and every block of the README
between ``<!-- columns:NAME -->`` and ``<!-- /columns -->`` is the column table
of the declared table NAME, and every block between ``<!-- outputs:STAGE -->``
and ``<!-- /outputs -->`` the list of a stage's outputs, and every block between
``<!-- readers:NAME -->`` and ``<!-- /readers -->`` the one-line recipes that
read table NAME with its declared types in pandas, polars, DuckDB and R
(:func:`reader_lines`; ``tests/test_typed_outputs.py`` runs them). ``tests/test_tables.py`` fails when either is out
of date; regenerate both with::

    python -m gene_records.docs          # from scripts/, or: make docs
"""

from __future__ import annotations

import os
import re
import sys

from . import tables
from .tsv import Output, Table

BLOCK_RE = re.compile(r"(<!-- (columns|outputs|readers):(\w+) -->\n)(.*?)(<!-- /\2 -->)", re.S)
_STAGE_TITLES = {
    "parse": "Parsed records",
    "qc": "Protein QC",
    "interactions": "TF/target interactions",
    "expression": "Expression",
    "genes": "Genes and ortholog links",
    "report": "Report",
    "package": "Typed copies and the data package",
    "provenance": "Provenance",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def column_table(table: Table) -> str:
    """The Markdown column table of a declared table."""
    lines = ["| column | type | meaning |", "|---|---|---|"]
    for c in table.columns:
        required = "" if not c.required else " (never empty)"
        lines.append(f"| `{c.name}` | {c.type_text}{required} | {_cell(c.description)} |")
    if table.extra:
        t = table.extra_column.type_text if table.extra_column else "string"
        lines.append(f"| *then* | {t} | {_cell(table.extra)} |")
    return "\n".join(lines) + "\n"


def order_text(table: Table) -> str:
    if table.order:
        return table.order
    if table.sort_key:
        return "sorted by " + ", then ".join(f"`{k}`" for k in table.sort_key)
    return "in the order the step writes them"


def outputs_markdown() -> str:
    """The whole of ``docs/outputs.md``."""
    out = [
        "# Outputs: paths, columns and types",
        "",
        "Generated from `scripts/gene_records/tables.py` by `make docs`; do not edit by hand "
        "(`tests/test_tables.py` fails when this file and the declarations disagree).",
        "",
        "Every table is tab-separated UTF-8 with a header row, one line per row, no quoting; "
        "a missing value is an empty cell. Types: `string`, `integer`, `number`, `boolean` "
        "(`true`/`false`), `list of T` (items `;`-joined). Paths are relative to the working "
        "directory; `{batch}`, `{tf_uniprot}`, ... stand for one file per batch or protein.",
        "",
    ]
    for stage in tables.STAGES:
        outputs = [o for o in tables.OUTPUTS.values() if o.stage == stage]
        out += [f"## {_STAGE_TITLES[stage]}", ""]
        for o in outputs:
            out.append(f"### `{o.path}`")
            out.append("")
            if isinstance(o, Table):
                out.append(f"{o.description[0].upper()}{o.description[1:]}; {order_text(o)}. Declared as `{o.name}`.")
                out.append("")
                out.append(column_table(o))
            else:
                assert isinstance(o, Output)
                out.append(f"{o.format}: {o.description}. Declared as `{o.name}`.")
                out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def outputs_table(stage: str, targets_only: bool = False) -> str:
    """A Markdown table of a stage's declared outputs: path, what, columns."""
    if stage not in tables.STAGES:
        raise KeyError(f"<!-- outputs:{stage} -->: no stage {stage!r}")
    lines = ["| path | what | columns |", "|---|---|---|"]
    for o in tables.OUTPUTS.values():
        if o.stage != stage:
            continue
        if isinstance(o, Table):
            cols = ", ".join(o.header) + (", *then one column per …*" if o.extra else "")
            lines.append(f"| `{o.path}` | {_cell(o.description)} | `{cols}` |")
        else:
            lines.append(f"| `{o.path}` | {_cell(o.description)} ({o.format}) | |")
    return "\n".join(lines) + "\n"


# Declared type -> the reader's type (a list column stays text: split it on `;`).
PANDAS = {"string": '"string"', "integer": '"Int64"', "number": '"Float64"', "boolean": '"boolean"', "list": '"string"'}
POLARS = {"string": "pl.String", "integer": "pl.Int64", "number": "pl.Float64", "boolean": "pl.Boolean",
          "list": "pl.String"}
DUCKDB = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "list": "VARCHAR"}
READR = {"string": "c", "integer": "i", "number": "d", "boolean": "l", "list": "c"}


def reader_lines(table: Table, path: str | None = None) -> dict[str, str]:
    """One line per tool (``pandas``, ``polars``, ``duckdb``, ``r``) that reads a
    file of ``table`` (default: its declared path; a split table's wildcard
    becomes ``*`` for DuckDB and R's folder reads) with the declared types: only
    the empty cell is missing, nothing is quoted, identifiers stay text. A
    wide table's extra columns get the type of its ``extra_column``."""
    path = path or table.path
    wide = table.extra is not None
    extra = (table.extra_column.type if table.extra_column else "string") if wide else None
    cols = table.columns
    glob_path = re.sub(r"\{\w+\}", "*", path)

    dtypes = ", ".join(f'"{c.name}": {PANDAS[c.type]}' for c in cols)
    dtype = f"defaultdict(lambda: {PANDAS[extra]}, {{{dtypes}}})" if wide else f"{{{dtypes}}}"
    pandas = (f'pd.read_csv("{path}", sep="\\t", quoting=3, keep_default_na=False, na_values=[""], '
              f"dtype={dtype})")
    overrides = ", ".join(f'"{c.name}": {POLARS[c.type]}' for c in cols)
    polars = (f'pl.read_csv("{path}", separator="\\t", quote_char=None, infer_schema=False, '
              f"schema_overrides={{{overrides}}})")
    if wide and POLARS[extra] != "pl.String":
        names = ", ".join(f'"{c.name}"' for c in cols)
        polars += f".with_columns(pl.exclude({names}).cast({POLARS[extra]}))"
    options = "delim='\\t', header=true, quote='', escape='', nullstr=''"
    if wide:
        names = ", ".join(c.name for c in cols)
        casts = ", ".join(f"{c.name}::{DUCKDB[c.type]} AS {c.name}" for c in cols)
        duck = (f"SELECT {casts}, COLUMNS(* EXCLUDE ({names}))::{DUCKDB[extra]} "
                f"FROM read_csv('{glob_path}', {options}, all_varchar=true)")
    else:
        columns = ", ".join(f"'{c.name}': '{DUCKDB[c.type]}'" for c in cols)
        duck = f"SELECT * FROM read_csv('{glob_path}', {options}, auto_detect=false, columns={{{columns}}})"
    if wide:
        spec = ", ".join(f'{c.name} = "{READR[c.type]}"' for c in cols)
        col_types = f'cols({spec}, .default = "{READR[extra]}")'
    else:
        col_types = '"' + "".join(READR[c.type] for c in cols) + '"'
    r = f'readr::read_tsv("{path}", col_types = {col_types}, na = "", quote = "")'
    return {"pandas": pandas, "polars": polars, "duckdb": duck, "r": r}


def readers_block(table: Table) -> str:
    """The README block of :func:`reader_lines`."""
    lines = reader_lines(table)
    return (
        "```python\n"
        f"{lines['pandas']}  # pandas\n"
        f"{lines['polars']}  # polars\n"
        f"duckdb.sql(\"{lines['duckdb']}\")  # DuckDB\n"
        "```\n"
        "```r\n"
        f"{lines['r']}  # R (readr)\n"
        "```\n"
    )


def update_blocks(text: str) -> str:
    """``text`` with every ``<!-- columns:TABLE -->``, ``<!-- outputs:STAGE -->``
    and ``<!-- readers:TABLE -->`` block regenerated."""

    def block(m: re.Match) -> str:
        kind, name = m.group(2), m.group(3)
        if kind == "outputs":
            return m.group(1) + outputs_table(name) + m.group(5)
        decl = tables.OUTPUTS.get(name)
        if not isinstance(decl, Table):
            raise KeyError(f"<!-- {kind}:{name} -->: no declared table {name!r}")
        if kind == "readers":
            return m.group(1) + readers_block(decl) + m.group(5)
        return m.group(1) + column_table(decl) + m.group(5)

    return BLOCK_RE.sub(block, text)


def block_names(text: str) -> list[tuple[str, str]]:
    return [(m.group(2), m.group(3)) for m in BLOCK_RE.finditer(text)]


def main(repo: str) -> None:  # pragma: no cover - exercised by `make docs`
    with open(os.path.join(repo, "docs", "outputs.md"), "w", encoding="utf-8") as fh:
        fh.write(outputs_markdown())
    readme = os.path.join(repo, "README.md")
    with open(readme, encoding="utf-8") as fh:
        text = fh.read()
    with open(readme, "w", encoding="utf-8") as fh:
        fh.write(update_blocks(text))


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))
