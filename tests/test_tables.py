"""The table contracts: every output declared once (gene_records.tables), the
checked reader and writer (gene_records.tsv), the docs generated from the
declarations, and the record JSON Schema."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from conftest import REPO, SHARED_CORPUS, all_record_files

from gene_records import docs, tables
from gene_records.errors import RecordError
from gene_records.records import RECORD_SCHEMA, SCHEMA_VERSION, parse_file
from gene_records.tsv import LIST, STRING, Column, Table, read_tsv

# The contract as downstream pipelines see it, restated here on purpose: a
# change to a declaration must change this test too (a test that imported
# the declarations could not catch a change to them).
CONTRACT = {
    "records": "record_id source source_file symbol name organism ncbi_gene_id ensembl_gene_id uniprot_accession sha256",
    "rejected_records": "source_file reason",
    "record_manifest": "record_id json_file sha256",
    "orthologs": "record_id source symbol organism ortholog_species ortholog_ncbi_gene_id ortholog_ensembl_gene_id "
    "ortholog_uniprot ortholog_mod_id",
    "citations": "record_id source pubmed_id doi title authors year",
    "protein_checks": "record_id uniprot_accession stated_length computed_length stated_mass_da computed_mass_da "
    "mass_delta_da mass_delta_ppm mass_tolerance_da stated_crc64 computed_crc64 status reason",
    "proteins": "record_id source symbol organism uniprot_accession entry_name protein_name length mass_da crc64 status",
    "interactions": "tf_uniprot target_uniprot tf_ncbi_gene_id target_ncbi_gene_id tf_name target_name "
    "detection_methods pubmed_ids organism source_databases small_scale_evidence origins",
    "split_index": "uniprot name role n_interactions path",
    "regulons_index": "organism slug pairs gmt_pairs uniprot_sets symbol_sets renamed_sets "
    "gmt_pairs_without_target_symbol network_pairs symbol_network_rows network_pairs_without_target_symbol "
    "uniprot_gmt symbols_gmt uniprot_network symbols_network",
    "missing_downloads": "record_id field file_name",
    "rejected_interactions": "file where scope reason",
    "interaction_conflicts": "tf_uniprot target_uniprot field merged_value other_values",
    "interactions_summary": "metric value",
    "cell_expression": "record_id symbol ncbi_gene_id cell_ontology_id cell_name obsolete fold_change "
    "cell_significance_index",
    "cell_expression_fold_change": "cell_ontology_id cell_name",
    "cell_expression_csi": "cell_ontology_id cell_name",
    "insitu_expression": "record_id symbol species stage hh_stage location image_url source",
    "insitu_matrix": "record_id symbol",
    "genes": "organism ncbi_gene_id symbols record_ids sources cell_types cell_types_positive_fc tfs targets "
    "insitu_images insitu_stages protein_qc ortholog_links",
    "ortholog_links": "record_id source symbol organism ortholog_species linked_record_id linked_source "
    "linked_symbol linked_organism join_type join_ids",
    "manifest": "kind path sha256 size rows",
    "versions": "component version",
}


def test_contract_of_every_final_table():
    declared = {t.name: " ".join(t.header) for t in tables.TABLES if t.target}
    assert declared == CONTRACT


def test_every_output_of_a_run_is_declared(bundled_run):
    """Every file the workflow wrote matches a declared path (pattern)."""
    import re

    patterns = []
    for o in tables.OUTPUTS.values():
        rx = re.escape(o.path)
        rx = re.sub(r"\\\{\w+\\\}", "[^/]+", rx)
        patterns.append(re.compile(rx + ("(/.*)?" if o.format == "directory" else "") + "$"))
    results = bundled_run / "results"
    undeclared = [
        str(p.relative_to(bundled_run))
        for p in results.rglob("*")
        if p.is_file() and not any(rx.match(str(p.relative_to(bundled_run))) for rx in patterns)
    ]
    assert undeclared == []


def test_every_declared_table_of_a_run_reads_through_its_declaration(bundled_run):
    """Each declared table of the bundled run passes the checked reader, and
    `required` columns are never empty."""
    checked = 0
    for t in tables.TABLES:
        if "{" in t.path:
            continue
        path = bundled_run / t.path
        assert path.is_file(), t.path
        with t.read(str(path)) as reader:
            required = [reader.col(c.name) for c in t.columns if c.required]
            for cells in reader:
                assert all(cells[i] for i in required), (t.path, cells)
        checked += 1
    # and the split files, through their own declarations
    for t, folder in ((tables.BY_TF, "by_tf"), (tables.BY_TARGET, "by_target")):
        files = sorted((bundled_run / "results/tf_targets" / folder).glob("*.tsv"))
        assert files
        for f in files:
            assert t.rows(str(f))
    # the per-organism networks (regulon_network: source, target, weight, ...)
    networks = sorted((bundled_run / "results/tf_targets/regulons").glob("*.tsv"))
    assert len(networks) == 14
    for f in networks:
        with tables.REGULON_NETWORK.read(str(f)) as reader:
            required = [reader.col(c.name) for c in tables.REGULON_NETWORK.columns if c.required]
            rows = list(reader)
        assert rows and all(cells[i] for cells in rows for i in required), f
    assert checked >= 25


def test_types_of_a_run(bundled_run):
    """Integer, number and boolean cells of the bundled run parse as their type."""
    parse = {"integer": int, "number": float, "boolean": {"true": True, "false": False}.__getitem__}
    for t in tables.TABLES:
        if "{" in t.path:
            continue
        with t.read(str(bundled_run / t.path)) as reader:
            typed = [(reader.col(c.name), parse[c.type]) for c in t.columns if c.type in parse]
            for cells in reader:
                for i, conv in typed:
                    if cells[i]:
                        conv(cells[i])


# ------------------------------------------------------------------ reader and writer

T = Table(
    "demo",
    "results/demo.tsv",
    (Column("a", STRING, "a", required=True), Column("b", LIST, "b", items=STRING), Column("c")),
    "a demo table",
    "parse",
    sort_key=("a",),
)


def test_a_row_of_the_wrong_width_is_a_programming_error(tmp_path):
    path = tmp_path / "demo.tsv"
    with pytest.raises(ValueError, match="table demo: a row of 2 cells, the header has 3"):
        T.write(str(path), [["x", "1", ""], ["y", "2"]])
    assert not path.exists() and not list(tmp_path.iterdir())  # nothing half-written


def test_write_and_read_back(tmp_path):
    path = str(tmp_path / "demo.tsv")
    assert T.write(path, [["x", "1;2", "=SUM(A1)"], ["y", "", "tab\there"]]) == 2
    assert Path(path).read_text() == "a\tb\tc\nx\t1;2\t'=SUM(A1)\ny\t\ttab here\n"
    assert T.rows(path) == [["x", "1;2", "'=SUM(A1)"], ["y", "", "tab here"]]
    with T.writer(path) as w:
        w.row(["z", "3", ""])
    with T.read(path) as r:
        assert r.col("c") == 2 and list(r.dicts()) == [{"a": "z", "b": "3", "c": ""}]


@pytest.mark.parametrize(
    "header, message",
    [
        ("a\tb", "column 3 'c' is missing (the header has 2 columns)"),
        ("a\tc\tb", "column 2 is 'c', expected 'b' (found at column 3)"),
        ("a\tB\tc", "column 2 is 'B', expected 'b'"),
        ("a\tb\tc\td", "unexpected column 4 'd'"),
        ("", "column 1 is '', expected 'a'"),
    ],
)
def test_header_differences_are_one_line_errors(tmp_path, header, message):
    path = tmp_path / "t.tsv"
    path.write_text(header + "\n")
    with pytest.raises(RecordError) as exc:
        T.read(str(path))
    text = str(exc.value)
    assert "\n" not in text
    assert text == f"{path}: line 1: header does not match the demo declaration (results/demo.tsv): {message}"


def test_empty_file_is_a_one_line_error(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_bytes(b"")
    with pytest.raises(RecordError, match=r"t.tsv: line 1: empty file: no header of the demo declaration \(results/demo.tsv\)$"):
        T.read(str(path))


def test_row_width_is_checked(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("a\tb\tc\nx\ty\tz\nshort\n")
    with pytest.raises(RecordError, match=r"t.tsv: line 3: 1 fields, the header has 3"):
        T.rows(str(path))
    with pytest.raises(RecordError, match=r"t.tsv: line 3: 1 fields, the header has 3"):
        with T.read(str(path)) as r:
            list(r.leading(1))


def test_wide_table_keeps_its_extra_columns(tmp_path):
    path = str(tmp_path / "m.tsv")
    tables.INSITU_MATRIX.write(path, [["geisha-1", "SOS2", "4;5", ""]], extra=["Heart", "-Somite"])
    with tables.INSITU_MATRIX.read(path) as r:
        assert r.extra == ["Heart", "'-Somite"]
        assert list(r) == [["geisha-1", "SOS2", "4;5", ""]]
    with pytest.raises(ValueError):
        tables.RECORDS.write(path, [], extra=["x"])


def test_renamed_column_fails_the_consumer_not_silently(tmp_path, monkeypatch):
    """A file written under the old declaration, read by a consumer after a
    column was renamed in the declaration: a one-line error naming the file
    and the difference, not a silent wrong column."""
    from gene_records import interaction_counts

    path = str(tmp_path / "interactions.tsv")
    tables.INTERACTIONS.write(path, [["Q06945", "P48431", "6659", "6657", "SOX4", "SOX2", "", "", "", "", "", "page:x"]])
    renamed = dataclasses.replace(
        tables.INTERACTIONS,
        columns=tuple(
            dataclasses.replace(c, name="regulator_name") if c.name == "tf_name" else c
            for c in tables.INTERACTIONS.columns
        ),
    )
    monkeypatch.setattr(interaction_counts, "INTERACTIONS", renamed)
    with pytest.raises(RecordError, match=r"line 1: header does not match the interactions declaration .*column 5 is 'tf_name', expected 'regulator_name'"):
        interaction_counts.count_interactions(path, {}, {})


def test_renaming_a_declared_column_fails_the_consumer_tests(tmp_path):
    """Rename one column in the declarations (in a copy of the library) and run
    the consumers' tests against it: they fail, naming the column."""
    lib = tmp_path / "scripts"
    import shutil

    shutil.copytree(REPO / "scripts", lib, ignore=shutil.ignore_patterns("__pycache__"))
    decl = lib / "gene_records" / "tables.py"
    text = decl.read_text()
    old = 'C("tf_name", STRING, "gene/protein name of the TF'
    assert text.count(old) == 1
    decl.write_text(text.replace(old, 'C("regulator_name", STRING, "gene/protein name of the TF'))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
         str(REPO / "tests" / "test_genes.py"), "-k", "count_interactions"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "GENE_RECORDS_TEST_SCRIPTS": str(lib)},
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "expected 'regulator_name'" in proc.stdout


# ------------------------------------------------------------------ docs


def test_docs_outputs_md_is_generated_from_the_declarations():
    assert (REPO / "docs" / "outputs.md").read_text() == docs.outputs_markdown(), "run `make docs`"


def test_readme_column_tables_are_generated_from_the_declarations():
    text = (REPO / "README.md").read_text()
    assert docs.update_blocks(text) == text, "run `make docs`"
    names = docs.block_names(text)
    assert ("columns", "interactions") in names and ("outputs", "parse") in names
    # "Reading the outputs": the reader recipes of the long tables, generated too
    for name in ("interactions", "genes", "cell_expression", "insitu_expression", "cell_expression_fold_change"):
        assert ("readers", name) in names, name
    assert ("outputs", "package") in names
    # every final table is documented in the README, as a column table or in a stage's list
    stages = {n for k, n in names if k == "outputs"}
    tables_shown = {n for k, n in names if k == "columns"}
    for t in tables.TABLES:
        if t.target:
            assert t.name in tables_shown or t.stage in stages, t.name


def test_every_declared_output_is_in_docs():
    text = docs.outputs_markdown()
    for o in tables.OUTPUTS.values():
        assert f"### `{o.path}`" in text


def test_rule_all_is_the_declared_targets():
    smk = (REPO / "workflow" / "Snakefile").read_text()
    assert "ALL_TARGETS" in smk and '"results/' not in smk
    for path in (REPO / "rules").glob("*.smk"):
        assert '"results/' not in path.read_text(), f"{path.name}: output paths come from declared()"


# ------------------------------------------------------------------ record JSON Schema


def _validator():
    schema = json.loads(Path(RECORD_SCHEMA).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema_version"] == {"const": SCHEMA_VERSION}
    return jsonschema.Draft202012Validator(schema)


def _corpus_files() -> list[Path]:
    files = list(all_record_files())
    if SHARED_CORPUS.is_dir():
        for sub in ("seeds", "tflink", "geisha"):
            files += sorted(p for p in (SHARED_CORPUS / sub).rglob("*") if p.is_file())
    return files


def test_every_real_record_validates_against_the_schema():
    v = _validator()
    files = _corpus_files()
    assert len(files) >= 86
    n = 0
    for path in files:
        rec = json.loads(json.dumps(parse_file(str(path))))
        errors = [f"{list(e.path)}: {e.message}" for e in v.iter_errors(rec)]
        assert errors == [], path
        n += 1
    assert n == len(files)


def test_schema_rejects_what_the_layout_does_not_allow():
    v = _validator()
    rec = json.loads(json.dumps(parse_file(str(sorted(p for p in all_record_files() if "tflink" in str(p))[0]))))
    assert not list(v.iter_errors(rec))
    bad = json.loads(json.dumps(rec))
    bad["tfs"][0]["pubmed_ids"] = ["PMID:1"]
    assert any("does not match" in e.message for e in v.iter_errors(bad))
    bad = dict(rec, unexpected=1)
    assert any("unexpected" in e.message for e in v.iter_errors(bad))
    bad = dict(rec)
    del bad["tfs"]
    assert any("'tfs' is a required property" in e.message for e in v.iter_errors(bad))
    bad = dict(rec, schema_version=2)
    assert list(v.iter_errors(bad))
