"""``results/datapackage.json``: a Frictionless Data Package describing every table of a run.

One tabular resource per table file (each split file of ``tf_targets/by_tf/``
and ``by_target/`` is a resource of its own, named ``by_tf-<accession>``), with
a Table Schema generated from :mod:`gene_records.tables`:

- field types: ``string``, ``integer``, ``number``, ``boolean`` (``true`` /
  ``false``) and ``list`` (Frictionless' list type: ``delimiter: ";"``,
  ``itemType`` the declared item type);
- ``missingValues: [""]``: only the empty cell is missing (never ``NA`` or
  ``null``);
- ``constraints.required`` on the columns declared required;
- ``primaryKey``: the sort key of the tables declared ``unique``;
- the dialect: tab-separated, header row, no quoting (``quoteChar`` is NUL,
  a character no cell holds: Frictionless needs one).

A wide table's extra columns are read from its header and typed by its
``extra_column``. Paths are relative to the folder of ``datapackage.json``. The
provenance tables (written after this file) are described from their
declarations. The intermediates (per batch: ``results/parsed/``,
``results/partials/``; the interactions' per-input partials in ``results/parsed/``)
are left out: they depend on the batch size and the inputs' layout. Same tables, same bytes.
"""

from __future__ import annotations

import glob
import json
import os
import re

from . import __version__, tables
from .io import AtomicWriter
from .tsv import BOOLEAN, LIST, LIST_SEPARATOR, Column, Table

_NAME_RE = re.compile(r"[^-a-z0-9._]")
# The tables are not quoted; Frictionless (Python csv) needs one quote character:
# NUL, which no cell holds, so a cell starting with `"` is read as it is.
NO_QUOTE = "\0"


def field(col: Column, describe: bool = True) -> dict:
    """The Table Schema field of a declared column."""
    out: dict = {"name": col.name, "type": col.type}
    if col.description and describe:
        out["description"] = col.description
    if col.type == BOOLEAN:
        out["trueValues"], out["falseValues"] = ["true"], ["false"]
    if col.type == LIST:
        out["delimiter"], out["itemType"] = LIST_SEPARATOR, col.items
    if col.required:
        out["constraints"] = {"required": True}
    return out


def table_schema(table: Table, header: list[str] | None = None, describe: bool = True) -> dict:
    """The Table Schema of a file of ``table`` (``header``: its header, for a
    wide table's extra columns; ``describe``: with the columns' descriptions)."""
    fields = [field(c, describe) for c in table.columns]
    if table.extra is not None and header is not None:
        template = table.extra_column or Column("<extra>")
        for name in header[len(table.columns):]:
            fields.append(field(Column(name, template.type, template.description, items=template.items), describe))
    schema: dict = {"fields": fields, "missingValues": [""]}
    if table.unique:
        schema["primaryKey"] = list(table.sort_key)
    return schema


def resource(table: Table, path: str, base: str, name: str, split: bool = False) -> dict:
    """The resource of one file of ``table``; a split file's (``split``)
    schema leaves the column descriptions to the table's docs, to keep the
    package small with thousands of them."""
    header = None
    if table.extra is not None:
        with table.read(path) as reader:
            header = list(reader.header)
    return {
        "name": name,
        "type": "table",
        "path": os.path.relpath(path, base).replace(os.sep, "/"),
        "scheme": "file",
        "format": "tsv",
        "mediatype": "text/tab-separated-values",
        "encoding": "utf-8",
        "description": table.description,
        "dialect": {"header": True, "delimiter": "\t", "quoteChar": NO_QUOTE},
        "schema": table_schema(table, header, describe=not split),
    }


def _resource_name(text: str) -> str:
    return _NAME_RE.sub("_", text.lower())


def split_resources(table: Table, files: list[str], base: str) -> list[dict]:
    """The resources of the split files of ``table`` (thousands of them), in
    the order of ``files``: :func:`resource` of each. The files of one folder
    differ only in name and path: unless the table is wide (a header of its
    own per file), one resource is made and copied (sharing its schema), and
    the paths are the folder's relative path and the file name."""
    out: list[dict] = []
    folders: dict[str, str] = {}
    for f in files:
        folder, name = os.path.split(f)
        stem = name.rsplit(".", 1)[0]
        rname = _resource_name(f"{table.name}-{stem}")
        if not out or table.extra is not None:
            out.append(resource(table, f, base, rname, split=True))
            continue
        if folder not in folders:
            folders[folder] = os.path.relpath(folder, base).replace(os.sep, "/")
        rel = folders[folder]
        out.append(dict(out[0], name=rname, path=name if rel == "." else f"{rel}/{name}"))
    return out


def describe(results: str) -> dict:
    """The data package of the results folder ``results`` (the folder that
    holds ``tables/``, ``qc/``, ...)."""
    parent = os.path.dirname(os.path.normpath(results))
    resources = []
    for table in tables.TABLES:
        if "{batch}" in table.path or table.path.startswith("results/parsed/"):
            continue
        path = os.path.join(parent, *table.path.split("/")) if parent else table.path
        if "{" in table.path:
            folder, pattern = os.path.split(path)
            files = sorted(glob.glob(os.path.join(glob.escape(folder), re.sub(r"\{\w+\}", "*", pattern))))
            resources += split_resources(table, files, results)
        elif os.path.exists(path) or table.stage == "provenance":
            resources.append(resource(table, path, results, table.name))
    names = [r["name"] for r in resources]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})[0]
        raise ValueError(f"two resources of the data package would be named {dup!r}")
    return {
        "name": "gene-records-results",
        "title": "gene-records results",
        "description": "Tables written by the gene-records workflow; types, missing values and keys from "
        "scripts/gene_records/tables.py (docs/outputs.md).",
        "version": __version__,
        "resources": resources,
    }


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _head(r: dict) -> str:
    return f'{{"name":{_dumps(r["name"])},"type":{_dumps(r["type"])},"path":{_dumps(r["path"])}'


def resource_lines(resources: list[dict]):
    """Each resource as compact JSON (one line). Resources that differ only in
    name and path (the split files': :func:`split_resources`) share the text
    after the path: it is made once, from the first of them."""
    tails: dict[int, tuple[dict, str]] = {}
    for r in resources:
        rest = {k: v for k, v in r.items() if k not in ("name", "path")}
        known = tails.get(id(r.get("schema")))
        if known and known[0] == rest and list(rest) == list(known[0]) and list(r)[:3] == ["name", "type", "path"]:
            yield _head(r) + known[1]
            continue
        text = _dumps(r)
        head = _head(r) if list(r)[:3] == ["name", "type", "path"] else None
        if head and text.startswith(head):
            tails[id(r.get("schema"))] = (rest, text[len(head):])
        yield text


def write_datapackage(outputs: list[str], datapackage: str) -> None:
    """Write ``datapackage.json`` describing every table of the results
    folder it is in (see the module docstring). ``outputs`` (the final
    targets) is only there so this step runs after them."""
    del outputs
    package = describe(os.path.dirname(datapackage) or ".")
    resources = package.pop("resources")
    head = json.dumps(package, indent=1, ensure_ascii=False)[:-2]  # without the closing "\n}"
    lines = ",\n".join(resource_lines(resources))
    with AtomicWriter(datapackage) as fh:
        fh.write(f'{head},\n "resources": [\n{lines}\n ]\n}}\n')  # one resource per line
