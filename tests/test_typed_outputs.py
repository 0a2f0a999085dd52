"""Typed, self-describing outputs (issue 14, items 4-6): results/datapackage.json
(Frictionless), the Parquet copies, the README's reader recipes (pandas, polars,
DuckDB), gene_records.load_table, and the FASTA headers read by Biopython and
pyfaidx. The downstream tools run in their own venv (conftest.find_downstream_python)."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest
from conftest import find_downstream_python

import gene_records
from gene_records import docs, tables
from gene_records.load import column_types, read_table
from gene_records.proteins import fasta_entry
from gene_records.tsv import read_tsv

pytestmark = pytest.mark.slow


@pytest.fixture(params=["bundled", "corpus"])
def run_dir(request) -> Path:
    return request.getfixturevalue("bundled_run" if request.param == "bundled" else "corpus_run")


def table_files(workdir: Path) -> list[tuple[str, Path]]:
    """(table name, file) of every declared table of a run, split files included
    (not the per-batch intermediates)."""
    out = []
    for t in tables.TABLES:
        # the per-batch and per-input intermediates, as the data package leaves them out
        if "{batch}" in t.path or t.path.startswith("results/parsed/"):
            continue
        if "{" in t.path:
            folder = workdir / Path(t.path).parent
            out += [(t.name, f) for f in sorted(folder.glob("*.tsv"))]
        else:
            out.append((t.name, workdir / t.path))
    return out


def downstream(script: str, *args: str) -> dict:
    """Run ``script`` in the downstream venv; it prints one JSON object."""
    proc = subprocess.run(
        [find_downstream_python(), "-c", textwrap.dedent(script), *args], capture_output=True, text=True, timeout=1800
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ data package


def test_datapackage_validates_with_frictionless(corpus_run):
    """Frictionless's Python API on the corpus run's package, row counts and all
    (its command line validates the bundled run's, below: each package once)."""
    run_dir = corpus_run
    package = json.loads((run_dir / "results" / "datapackage.json").read_text())
    names = {r["name"] for r in package["resources"]}
    files = table_files(run_dir)
    assert len(package["resources"]) == len(files) and len(files) > 1000  # one resource per table file
    assert {"interactions", "genes", "cell_expression_fold_change", "manifest"} <= names
    by_name = {r["name"]: r for r in package["resources"]}
    inter = by_name["interactions"]["schema"]
    assert inter["missingValues"] == [""] and inter["primaryKey"] == ["tf_uniprot", "target_uniprot"]
    pubmed = next(f for f in inter["fields"] if f["name"] == "pubmed_ids")
    assert (pubmed["type"], pubmed["delimiter"], pubmed["itemType"]) == ("list", ";", "string")
    wide = by_name["cell_expression_fold_change"]["schema"]["fields"]
    header = read_tsv(str(run_dir / tables.FOLD_CHANGE_MATRIX.path))[0]
    assert [f["name"] for f in wide] == header and wide[-1]["type"] == "number"
    report = downstream(
        """
        import json, sys
        from frictionless import Package
        report = Package(sys.argv[1]).validate()
        print(json.dumps({"valid": report.valid, "tasks": len(report.tasks),
                          "rows": sum((t.stats.get("rows") or 0) for t in report.tasks),
                          "errors": [e.message for e in report.flatten(["message"])][:5] if not report.valid else []}))
        """,
        str(run_dir / "results" / "datapackage.json"),
    )
    assert report["valid"], report["errors"]
    assert report["tasks"] == len(files)
    expected_rows = sum(len(read_tsv(str(f))[1]) for _, f in files)
    assert report["rows"] == expected_rows


def test_datapackage_cli_validates_bundled_run(bundled_run):
    proc = subprocess.run(
        [find_downstream_python(), "-m", "frictionless", "validate", "datapackage.json"],
        cwd=bundled_run / "results", capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:]


# ------------------------------------------------------------------ reader recipes

_READERS = """
import json, sys
from collections import defaultdict
import duckdb, pandas as pd, polars as pl
jobs = json.load(open(sys.argv[1]))
out = []
for job in jobs:
    lines, path = job["lines"], job["path"]
    for tool in ("pandas", "polars", "duckdb"):
        if tool == "duckdb":
            df = duckdb.sql(lines["duckdb"]).df()
        else:
            df = eval(lines[tool])
            if tool == "polars":
                df = df.to_pandas()
        cols = list(df.columns)
        cells = {c: ["" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v
                     for v in df[c].tolist()] for c in cols}
        dtypes = {c: str(df[c].dtype) for c in cols}
        out.append({"path": path, "tool": tool, "columns": cols, "rows": len(df), "dtypes": dtypes,
                    "cells": {c: [str(v) if not isinstance(v, bool) else str(v).lower() for v in vals]
                              for c, vals in cells.items()}})
print(json.dumps(out))
"""


def _text_of(value: str, col_type: str) -> str:
    """A cell as a reader gives it back, compared on its value."""
    if value == "" or col_type in ("string", "list"):
        return value
    if col_type == "boolean":
        return value
    return repr(float(value)) if col_type == "number" else str(int(value))


def duckdb_names(header: list[str]) -> list[str]:
    """DuckDB's column names ignore case: a name equal to an earlier one but for
    case gets ``_1`` (``_2``, ...), as the README says (insitu_matrix has both
    `Extraembryonic Mesoderm` and `extraembryonic mesoderm`)."""
    seen: dict[str, int] = {}
    out = []
    for name in header:
        n = seen.get(name.lower(), 0)
        seen[name.lower()] = n + 1
        out.append(name if n == 0 else f"{name}_{n}")
    return out


def test_reader_recipes_read_every_table_and_split_file(run_dir, tmp_path):
    """pandas, polars and DuckDB with the README's lines: every row back,
    identifiers text, no real value missing, numbers equal."""
    jobs, expected = [], {}
    for name, path in table_files(run_dir):
        if name in ("manifest", "versions"):
            continue  # written by write_provenance: read like the others, but large and not typed beyond this
        decl = tables.OUTPUTS[name]
        jobs.append({"path": str(path), "lines": docs.reader_lines(decl, str(path))})
        expected[str(path)] = (decl, *read_tsv(str(path)))
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    proc = subprocess.run([find_downstream_python(), "-c", _READERS, str(tmp_path / "jobs.json")],
                          capture_output=True, text=True, timeout=1800)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = json.loads(proc.stdout)
    assert len(results) == 3 * len(jobs)
    for res in results:
        decl, header, rows = expected[res["path"]]
        where = (res["tool"], res["path"])
        assert res["columns"] == (duckdb_names(header) if res["tool"] == "duckdb" else header), where
        assert res["rows"] == len(rows), where
        types = {c.name: c.type for c in column_types(decl, header)}
        for i, col in enumerate(header):
            got = res["cells"][res["columns"][i]]
            if types[col] in ("string", "list"):
                dtype = res["dtypes"][res["columns"][i]].lower()
                assert "int" not in dtype and "float" not in dtype, (where, col)
            for r, value in enumerate(rows):
                want = value[i]
                if types[col] == "number" and want:
                    assert float(got[r]) == float(want), (where, col, r)
                elif types[col] == "integer" and want:
                    assert int(float(got[r])) == int(want), (where, col, r)
                else:
                    assert got[r] == want, (where, col, r, got[r], want)


# ------------------------------------------------------------------ Parquet


def test_parquet_copies_read_back_equal_to_the_tsvs(run_dir):
    files = {t: run_dir / "results" / "parquet" / f"{t}.parquet" for t in tables.PARQUET_TABLES}
    assert all(f.is_file() for f in files.values())
    res = downstream(
        """
        import json, sys
        import pandas as pd, pyarrow.parquet as pq
        out = {}
        for path in sys.argv[1:]:
            t = pq.read_table(path)
            df = pd.read_parquet(path)
            out[path] = {"schema": {f.name: str(f.type) for f in t.schema}, "rows": t.num_rows,
                         "meta": pq.read_metadata(path).created_by, "pandas_rows": len(df),
                         "cells": {c: t.column(c).to_pylist() for c in t.column_names}}
        print(json.dumps(out))
        """,
        *map(str, files.values()),
    )
    arrow = {"string": "string", "integer": "int64", "number": "double", "boolean": "bool", "list": "list<element: string>"}
    for name, path in files.items():
        decl = tables.OUTPUTS[name]
        got = res[str(path)]
        header, rows = read_tsv(str(run_dir / decl.path))
        assert list(got["schema"]) == header
        assert got["schema"] == {c.name: arrow[c.type] for c in decl.columns}
        assert got["rows"] == got["pandas_rows"] == len(rows) and got["meta"].startswith("parquet-cpp-arrow")
        for i, col in enumerate(decl.columns):
            for r, row in enumerate(rows):
                value, cell = got["cells"][col.name][r], row[i]
                if col.type == "list":
                    assert ";".join(value) == cell, (name, col.name, r)
                elif cell == "":
                    assert value is None, (name, col.name, r)
                elif col.type == "number":
                    assert value == float(cell)
                elif col.type == "integer":
                    assert value == int(cell)
                elif col.type == "boolean":
                    assert value == (cell == "true")
                else:
                    assert value == cell, (name, col.name, r)


def test_parquet_switch_off_writes_no_copies():
    assert not [p for p in tables.targets(config={"parquet": False}) if p.endswith(".parquet")]
    assert len([p for p in tables.targets(config={"parquet": True}) if p.endswith(".parquet")]) == 4


# ------------------------------------------------------------------ typed loader


def test_load_table_reads_every_declared_table_with_declared_dtypes(run_dir):
    dtype = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean", "list": "object"}
    checked = 0
    for name, path in table_files(run_dir):
        decl = tables.OUTPUTS[name]
        df = read_table(str(path), name)
        header, rows = read_tsv(str(path))
        assert list(df.columns) == header and len(df) == len(rows), path
        for i, col in enumerate(column_types(decl, header)):
            assert str(df[col.name].dtype) == dtype[col.type], (path, col.name)
            values = df[col.name].tolist()
            for r, row in enumerate(rows):
                cell, value = row[i], values[r]
                if col.type == "list":
                    assert value == (cell.split(";") if cell else []), (path, col.name, r)
                elif cell == "":
                    assert value is None or str(value) == "<NA>", (path, col.name, r)
                elif col.type == "string":
                    assert value == cell, (path, col.name, r)  # 'null', 'NA' stay text
                elif col.type == "boolean":
                    assert value == (cell == "true")
                else:
                    assert value == float(cell)
        checked += 1
    assert checked > 1000
    # one line, by name and wildcard; lists kept as text on request
    results = str(run_dir / "results")
    tf = gene_records.load_table(results, "by_tf", tf_uniprot="Q06945", lists="text")
    assert str(tf["pubmed_ids"].dtype) == "string" and (tf["tf_uniprot"] == "Q06945").all()
    with pytest.raises(KeyError, match="no declared table"):
        gene_records.load_table(results, "nope")


# ------------------------------------------------------------------ FASTA


_FASTA = """
import json, sys
from Bio import SeqIO
from pyfaidx import Fasta
path = sys.argv[1]
bio = [(r.id, r.description, str(r.seq)) for r in SeqIO.parse(path, "fasta")]
fa = Fasta(path)
print(json.dumps({"bio": bio, "faidx": {k: str(fa[k]) for k in fa.keys()}}))
"""


def test_fasta_headers_read_by_biopython_and_pyfaidx(bundled_run, tmp_path):
    recs = [
        {"record_id": "genular-1", "symbol": "SOX2", "organism": "Homo sapiens",
         "protein": {"uniprot_accession": "P48431", "entry_name": "SOX2_HUMAN",
                     "name": "Transcription factor SOX-2", "sequence": "MYNMMETELK"}},
        {"record_id": "genular-2", "symbol": "Sox2", "organism": "Mus musculus",
         "protein": {"uniprot_accession": "A0A0B4J1F4", "entry_name": "A0A0B4J1F4_MOUSE", "sequence": "MKV"}},
        {"record_id": "genular-3", "symbol": "X Y", "protein": {"uniprot_accession": "P48431", "sequence": "MA"}},
        {"record_id": "genular-4", "protein": {"sequence": "MC"}},
    ]  # fmt: skip
    seen: set = set()
    path = tmp_path / "p.fasta"
    path.write_text("".join(fasta_entry(r, 60, seen) for r in recs))
    got = downstream(_FASTA, str(path))
    assert [b[0] for b in got["bio"]] == ["sp|P48431|SOX2_HUMAN", "tr|A0A0B4J1F4|A0A0B4J1F4_MOUSE", "genular-3", "genular-4"]
    assert got["bio"][0][1] == "sp|P48431|SOX2_HUMAN Transcription factor SOX-2 OS=Homo sapiens GN=SOX2"
    assert got["faidx"] == {b[0]: b[2] for b in got["bio"]}
    # the UniProt layout: db|ACCESSION|ENTRY_NAME description OS=... GN=...
    import re

    uniprot = re.compile(r"^(sp|tr)\|([A-Z0-9]+)\|(\w+) (.*?) ?OS=(.+?) GN=(\S+)$")
    assert uniprot.match(got["bio"][0][1]).groups() == (
        "sp", "P48431", "SOX2_HUMAN", "Transcription factor SOX-2", "Homo sapiens", "SOX2")  # fmt: skip
    # the run's FASTA
    real = downstream(_FASTA, str(bundled_run / "results" / "proteins" / "proteins.fasta"))
    assert [b[0] for b in real["bio"]] == ["genular-6657"] and list(real["faidx"]) == ["genular-6657"]
    assert real["bio"][0][1] == "genular-6657 SOX2_HUMAN Transcription factor SOX-2 OS=Homo sapiens GN=SOX2"
