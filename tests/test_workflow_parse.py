"""The parse stage end to end: contracts of its outputs and the bad-record modes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from conftest import REPO, SOS2, SOX2, SOX4, SOX14, all_record_files, run_workflow, write_config

from gene_records.tsv import read_tsv
from gene_records.parse import assign_batches, n_batches_for
from gene_records.tables import RECORDS as RECORDS_TABLE
from gene_records.records import parse_file

pytestmark = pytest.mark.slow


def test_bundled_run_writes_one_json_per_record(bundled_run):
    records = bundled_run / "results" / "records"
    expected = {parse_file(str(p))["record_id"] for p in all_record_files()}
    assert {p.stem for p in records.glob("*.json")} == expected
    sox2 = yaml.safe_load((records / "genular-6657.json").read_text())  # JSON is YAML
    assert sox2["ncbi_gene_id"] == "6657" and len(sox2["protein"]["sequence"]) == 317
    header, rows = read_tsv(records / "manifest.tsv")
    assert header == ["record_id", "json_file", "sha256"] and len(rows) == len(expected)


def test_bundled_records_table(bundled_run):
    header, rows = read_tsv(bundled_run / "results" / "tables" / "records.tsv")
    assert header == list(RECORDS_TABLE.header)
    assert len(rows) == 86
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    by_id = {r[0]: dict(zip(header, r)) for r in rows}
    sox2 = by_id["genular-6657"]
    assert sox2["source_file"] == str(SOX2)
    assert (sox2["symbol"], sox2["organism"], sox2["ensembl_gene_id"]) == ("SOX2", "Homo sapiens", "ENSG00000181449")
    import hashlib

    assert sox2["sha256"] == hashlib.sha256(SOX2.read_bytes()).hexdigest()
    assert by_id["tflink-Q06945"]["uniprot_accession"] == "Q06945"
    assert by_id["geisha-DLX6"]["ncbi_gene_id"] == ""
    counts = {}
    for r in rows:
        counts[r[1]] = counts.get(r[1], 0) + 1
    assert counts == {"genular": 1, "tflink": 24, "geisha": 61}


def test_bundled_annotation_tables(bundled_run):
    tables = bundled_run / "results" / "tables"
    header, rows = read_tsv(tables / "citations.tsv")
    assert header == ["record_id", "source", "pubmed_id", "doi", "title", "authors", "year"]
    assert len([r for r in rows if r[0] == "genular-6657"]) == 11
    header, rows = read_tsv(tables / "orthologs.tsv")
    assert header[:5] == ["record_id", "source", "symbol", "organism", "ortholog_species"]
    sos2 = [r for r in rows if r[0] == "geisha-423572"]
    assert len(sos2) == 4 and ["geisha-423572", "geisha", "SOS2", "Gallus gallus", "Human", "6655"] in [
        r[:6] for r in sos2
    ]
    header, rows = read_tsv(bundled_run / "results" / "qc" / "rejected_records.tsv")
    assert header == ["source_file", "reason"] and rows == []


def _small_set(tmp_path: Path, extra: dict[str, bytes] | None = None) -> Path:
    folder = tmp_path / "in"
    folder.mkdir(parents=True)
    for src in (SOX2, SOX4, SOS2, SOX14):
        shutil.copyfile(src, folder / src.name)
    for name, data in (extra or {}).items():
        (folder / name).write_bytes(data)
    return folder


def _results(workdir: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(workdir)): p.read_bytes()
        for p in sorted((workdir / "results").rglob("*"))
        if p.is_file() and "parsed" not in p.parts
    }


def test_skip_lists_the_bad_record_and_keeps_everything_else(tmp_path):
    folder = _small_set(tmp_path)
    run_workflow(tmp_path / "clean", records=[str(folder)])
    (folder / "zz_broken.md").write_bytes(SOS2.read_bytes()[:1500])
    run_workflow(tmp_path / "skip", records=[str(folder)], on_bad_record="skip")
    header, rows = read_tsv(tmp_path / "skip" / "results" / "qc" / "rejected_records.tsv")
    assert rows == [
        [str(folder / "zz_broken.md"), "line 1: front matter opened with '---' is never closed (truncated file?)"]
    ]
    a, b = _results(tmp_path / "clean"), _results(tmp_path / "skip")
    assert set(a) == set(b)
    # Every table, JSON, FASTA and split file is identical. What differs by
    # design: the rejects table, the report (it shows what was rejected) and
    # the provenance manifest (it lists every input file, the rejected one too).
    differ = ("qc/rejected_records.tsv", "provenance/manifest.tsv")
    for name in a:
        if not (name.endswith(differ) or name.startswith("results/report/")):
            assert a[name] == b[name], name
    assert b"zz_broken.md" in b["results/report/summary.html"] and b"zz_broken.md" not in a["results/report/summary.html"]


def test_fail_stops_with_one_line_and_no_traceback(tmp_path):
    broken = _small_set(tmp_path, {"bad.txt": b"\x00\x01binary"})
    proc = run_workflow(tmp_path / "wd", records=[str(broken)], check=False)
    assert proc.returncode != 0
    line = f"gene-records ERROR: {broken / 'bad.txt'}: line 1: binary data (NUL byte), not a text record"
    assert line in proc.stderr
    assert "Traceback" not in proc.stderr
    logs = list((tmp_path / "wd" / "logs" / "parse_records").glob("*.log"))
    assert any(f"{broken / 'bad.txt'}: line 1: binary data" in p.read_text() for p in logs)
    assert not (tmp_path / "wd" / "results" / "tables" / "records.tsv").exists()


def test_duplicate_record_id(tmp_path):
    folder = _small_set(tmp_path, {"zz_copy_of_sox4.md": SOX4.read_bytes()})
    proc = run_workflow(tmp_path / "fail", records=[str(folder)], check=False)
    assert proc.returncode != 0
    assert "duplicate record_id 'tflink-Q06945'" in proc.stderr and "Traceback" not in proc.stderr
    run_workflow(tmp_path / "skip", records=[str(folder)], on_bad_record="skip")
    _, rows = read_tsv(tmp_path / "skip" / "results" / "qc" / "rejected_records.tsv")
    assert rows == [[str(folder / "zz_copy_of_sox4.md"), f"duplicate record_id 'tflink-Q06945': already given by {folder / SOX4.name}"]]
    _, recs = read_tsv(tmp_path / "skip" / "results" / "tables" / "records.tsv")
    assert [r[2] for r in recs if r[0] == "tflink-Q06945"] == [str(folder / SOX4.name)]


def test_unknown_config_key_is_named(tmp_path):
    cfg = write_config(tmp_path, recordz=["x"])
    proc = run_workflow(tmp_path, "-n", config=cfg, check=False)
    assert proc.returncode != 0
    assert "recordz" in proc.stdout + proc.stderr


def test_empty_record_list_is_valid(tmp_path):
    run_workflow(tmp_path, records=[], tflink_downloads=[])
    header, rows = read_tsv(tmp_path / "results" / "tables" / "records.tsv")
    assert header == list(RECORDS_TABLE.header) and rows == []


def test_missing_records_path_is_a_clear_error(tmp_path):
    proc = run_workflow(tmp_path, "-n", records=[str(tmp_path / "nope")], check=False)
    assert proc.returncode != 0
    assert "is neither a file nor a folder" in proc.stdout + proc.stderr


def test_hidden_files_are_skipped(tmp_path):
    folder = _small_set(tmp_path, {".hidden.md": b"garbage"})
    (folder / ".git").mkdir()
    (folder / ".git" / "x.md").write_bytes(b"garbage")
    run_workflow(tmp_path / "wd", records=[str(folder)])
    _, rows = read_tsv(tmp_path / "wd" / "results" / "tables" / "records.tsv")
    assert len(rows) == 4


def test_batches_are_stable_when_records_are_added():
    files = [f"records/r{i:05d}.md" for i in range(1000)]
    before = assign_batches(files, 100)
    after = assign_batches(files + ["records/new.md"], 100)
    assert n_batches_for(1000, 100) == n_batches_for(1001, 100) == 16
    changed = [b for b in after if after[b] != before.get(b)]
    assert len(changed) == 1 and "records/new.md" in after[changed[0]]
    assert sum(len(v) for v in before.values()) == 1000
    assert max(len(v) for v in before.values()) < 200


def test_config_file_keys_are_all_in_the_schema():
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    schema = yaml.safe_load((REPO / "config" / "config.schema.yaml").read_text())
    assert schema["additionalProperties"] is False
    assert set(cfg) <= set(schema["properties"])
