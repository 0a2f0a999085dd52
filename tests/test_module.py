"""gene-records imported as a module of a larger workflow (tests/module/).

The importing workflow declares `module gene_records: ... prefix: "gr"`, uses
every rule as gene_records_*, and has its own rules consuming
gr/results/tables/records.tsv, the uniprot GMT and interactions.tsv. It runs
with its shipped config (tests/module/config.yaml: record paths relative to
the working directory, which must not get the prefix) in a temporary working
directory that holds only a copy of the bundled data (`resources`; a copy, so
that a test may touch a record): no config/config.yaml, so only the module's
`config:` is used.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import REPO, SNAKEMAKE, run_workflow

IMPORTER = REPO / "tests" / "module"
IMPORTER_CONFIG = IMPORTER / "config.yaml"

pytestmark = pytest.mark.slow


def run_importer(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [SNAKEMAKE, "-s", str(IMPORTER / "Snakefile"), "-d", str(workdir)]
    cmd += ["--configfile", str(IMPORTER_CONFIG), "--cores", "2", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "LC_ALL": "C.UTF-8"})


def workdir_with_resources(tmp_path_factory, name: str) -> Path:
    workdir = tmp_path_factory.mktemp(name)
    shutil.copytree(REPO / "resources", workdir / "resources")
    return workdir


@pytest.fixture(scope="module")
def module_run(tmp_path_factory) -> Path:
    """The importer run once on the bundled records."""
    workdir = workdir_with_resources(tmp_path_factory, "module_run")
    proc = run_importer(workdir)
    assert proc.returncode == 0, f"importing workflow failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return workdir


@pytest.fixture(scope="module")
def standalone_run(tmp_path_factory) -> Path:
    """gene-records on its own, with the importer's gene_records section as its config."""
    workdir = workdir_with_resources(tmp_path_factory, "standalone_run")
    config = workdir / "config.yaml"
    config.write_text(yaml.safe_dump(yaml.safe_load(IMPORTER_CONFIG.read_text())["gene_records"]))
    run_workflow(workdir, config=config)
    return workdir


def read_tsv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_importer_default_target_is_its_own(module_run):
    """The importer's `rule all` (declared before `use rule *`) stays the default
    target: its own rules ran, and gene-records' `all` did not replace it."""
    counts = {r["source"]: int(r["records"]) for r in read_tsv(module_run / "summary" / "records_per_source.tsv")}
    # resources/records: 60 GEISHA pages + the SOS2 seed; 22 TFLink pages + the
    # SOX4 and Sox14 seeds; the SOX2 seed is the only Genular page.
    assert counts == {"geisha": 61, "genular": 1, "tflink": 24}


def test_importer_wildcard_is_not_constrained_by_the_module(module_run):
    """select_source's {batch} is 'geisha': gene-records' batch=[0-9]+ stays in its rules."""
    rows = read_tsv(module_run / "summary" / "by_source" / "geisha.tsv")
    assert len(rows) == 61 and {r["source"] for r in rows} == {"geisha"}
    pax3 = [r for r in rows if r["symbol"] == "PAX3"]
    assert [r["record_id"] for r in pax3] == ["geisha-374127"]  # gene_id: '374127' in geisha/PAX3.md


def test_importer_consumes_regulons_and_interactions(module_run):
    sizes = {r["tf_uniprot"]: r for r in read_tsv(module_run / "summary" / "regulon_sizes.tsv")}
    # resources/tflink_downloads/targets_of_O00358.tsv (FOXE1): 641 rows, 641
    # distinct target accessions; the page lists the first 100 of them.
    assert sizes["O00358"]["gmt_targets"] == "641" and sizes["O00358"]["organism"] == "homo_sapiens"
    assert sizes["O00358"]["interaction_rows"] == "641"
    assert len(sizes) > 100


def test_no_config_file_of_the_module_is_needed(module_run):
    assert not (module_run / "config").exists()
    assert not (module_run / "results").exists(), "module outputs must all be under the prefix gr/"
    assert not (module_run / "benchmarks").exists()


def test_module_outputs_equal_a_standalone_run(module_run, standalone_run):
    """Under the prefix, every output is byte-identical to a standalone run's
    with the same config: relative record paths from the config are local(),
    so the prefix does not touch them. Provenance lists paths as each run sees
    them (gr/...), so it is checked separately."""
    ours = {p.relative_to(module_run / "gr" / "results") for p in (module_run / "gr" / "results").rglob("*") if p.is_file()}
    theirs = {p.relative_to(standalone_run / "results") for p in (standalone_run / "results").rglob("*") if p.is_file()}
    assert ours == theirs
    assert Path("tables/records.tsv") in ours
    different = [
        str(rel)
        for rel in sorted(ours)
        if rel.parts[0] != "provenance"
        and (module_run / "gr" / "results" / rel).read_bytes() != (standalone_run / "results" / rel).read_bytes()
    ]
    assert not different, f"module outputs differ from a standalone run: {different[:10]}"
    sox2 = [r for r in read_tsv(module_run / "gr" / "results" / "tables" / "records.tsv") if r["record_id"] == "genular-6657"]
    assert [r["source_file"] for r in sox2] == ["resources/records/seeds/000_a0f1117985c0478c.txt"]
    assert (module_run / "gr" / "logs" / "parse_records" / "0000.log").is_file()
    assert (module_run / "gr" / "benchmarks" / "parse_records" / "0000.tsv").is_file()


def test_provenance_names_the_prefixed_outputs(module_run):
    manifest = (module_run / "gr" / "results" / "provenance" / "manifest.tsv").read_text().splitlines()
    paths = [line.split("\t")[1] for line in manifest[1:] if line.split("\t")[0] == "output"]
    assert "gr/results/tables/records.tsv" in paths
    assert all(p.startswith("gr/") and (module_run / p).is_file() for p in paths), [
        p for p in paths if not (p.startswith("gr/") and (module_run / p).is_file())
    ][:5]


def test_rules_are_renamed_and_a_rerun_has_nothing_to_do(module_run):
    proc = run_importer(module_run, "--list-rules")
    assert proc.returncode == 0, proc.stderr[-2000:]
    listed = set(proc.stdout.split())
    assert {"gene_records_parse_records", "gene_records_collect_records", "count_records", "all"} <= listed
    assert "parse_records" not in listed
    proc = run_importer(module_run, "--dry-run")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_a_touched_record_reruns_nothing_under_the_prefix(module_run):
    """A record whose time stamp changed but not its bytes: the planning finds
    its sha256 in its batch's index under the prefix (gr/results/parsed/) and
    keeps the batch's listing, so nothing reruns (as in a standalone run,
    tests/test_incremental.py)."""
    record = sorted(p for p in (module_run / "resources" / "records").rglob("*") if p.is_file())[0]
    st = record.stat()
    os.utime(record, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    proc = run_importer(module_run, "--dry-run")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Nothing to be done" in proc.stdout + proc.stderr, proc.stdout[-3000:]
