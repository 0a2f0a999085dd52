"""Documentation generated from the declarations in :mod:`gene_records.tables`.

``docs/outputs.md`` is written whole from them, and every block of the README
between ``<!-- columns:NAME -->`` and ``<!-- /columns -->`` is the column table
of the declared table NAME, and every block between ``<!-- outputs:STAGE -->``
and ``<!-- /outputs -->`` the list of a stage's outputs. ``tests/test_tables.py`` fails when either is out
of date; regenerate both with::

    python -m gene_records.docs          # from scripts/, or: make docs
"""

from __future__ import annotations

import os
import re
import sys

from . import tables
from .tsv import Output, Table

BLOCK_RE = re.compile(r"(<!-- (columns|outputs):(\w+) -->\n)(.*?)(<!-- /\2 -->)", re.S)
_STAGE_TITLES = {
    "parse": "Parsed records",
    "qc": "Protein QC",
    "interactions": "TF/target interactions",
    "expression": "Expression",
    "genes": "Genes and ortholog links",
    "report": "Report",
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


def update_blocks(text: str) -> str:
    """``text`` with every ``<!-- columns:TABLE -->`` and ``<!-- outputs:STAGE -->``
    block regenerated."""

    def block(m: re.Match) -> str:
        kind, name = m.group(2), m.group(3)
        if kind == "outputs":
            return m.group(1) + outputs_table(name) + m.group(5)
        decl = tables.OUTPUTS.get(name)
        if not isinstance(decl, Table):
            raise KeyError(f"<!-- columns:{name} -->: no declared table {name!r}")
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
