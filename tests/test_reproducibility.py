"""Determinism, minimal reruns, provenance and interrupted runs (on copies of the bundled data)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DOWNLOADS, RECORDS, REPO, SNAKEMAKE, SOX2, run_workflow, write_config

pytestmark = pytest.mark.slow

PER_BATCH = 10  # 86 bundled records -> 16 batches


def tree(workdir: Path, skip=("parsed", "partials")) -> dict[str, bytes]:
    base = workdir / "results"
    return {
        str(p.relative_to(base)): p.read_bytes()
        for p in sorted(base.rglob("*"))
        if p.is_file() and not any(s in p.relative_to(base).parts for s in skip)
    }


def planned(workdir: Path, config: Path, snakefile: Path = REPO / "Snakefile") -> dict[str, int]:
    """The jobs a dry run would run, by rule (empty when nothing is to be done)."""
    proc = subprocess.run(
        [SNAKEMAKE, "-s", str(snakefile), "-d", str(workdir), "--configfile", str(config), "--cores", "2", "-n"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    if "Nothing to be done" in out:
        return {}
    stats = out.split("Job stats:", 1)[1]
    jobs = {}
    for line in stats.splitlines()[3:]:
        m = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not m:
            break
        jobs[m.group(1)] = int(m.group(2))
    jobs.pop("total", None)
    jobs.pop("all", None)
    return jobs


@pytest.fixture
def data_copy(tmp_path) -> Path:
    dst = tmp_path / "records"
    shutil.copytree(RECORDS, dst)
    return dst


def test_two_clean_runs_and_two_batch_sizes_give_identical_results(tmp_path, data_copy, bundled_run):
    cfg_a = write_config(tmp_path, records=[str(data_copy)])
    run_workflow(tmp_path / "a", config=cfg_a)
    run_workflow(tmp_path / "b", config=cfg_a)
    a, b = tree(tmp_path / "a", skip=()), tree(tmp_path / "b", skip=())
    assert a.keys() == b.keys() and len(a) > 90
    # the typed copies and the data package too (Parquet: no timestamp, fixed writer options)
    parquet = ("interactions", "cell_expression", "insitu_expression", "genes")
    typed = {"datapackage.json", *(f"parquet/{t}.parquet" for t in parquet)}
    assert typed <= a.keys()
    assert [k for k in a if a[k] != b[k]] == []
    # another batch size: every aggregate identical (the per-batch files, parsed
    # and partial, and the manifest that lists them differ by construction)
    cfg_c = tmp_path / "c.yaml"
    cfg_c.write_text(write_config(tmp_path, records=[str(data_copy)], records_per_batch=7).read_text())
    run_workflow(tmp_path / "c", config=cfg_c)
    assert len(list((tmp_path / "c" / "results" / "parsed").glob("*.jsonl"))) > 8
    a, c = tree(tmp_path / "a"), tree(tmp_path / "c")
    a.pop("provenance/manifest.tsv"), c.pop("provenance/manifest.tsv")
    assert "records/manifest.tsv" in a and "tables/records.tsv" in a
    assert a.keys() == c.keys()
    assert [k for k in a if a[k] != c[k]] == []


def test_a_library_change_reruns_the_rules_that_use_it(tmp_path, data_copy):
    wf = tmp_path / "workflow"
    wf.mkdir()
    for part in ("Snakefile", "workflow", "rules", "scripts", "config", "profiles", "envs"):
        src = REPO / part
        (shutil.copytree if src.is_dir() else shutil.copyfile)(src, wf / part)
    shutil.rmtree(wf / "scripts" / "gene_records" / "__pycache__", ignore_errors=True)
    wd = tmp_path / "wd"
    cfg = write_config(tmp_path, records=[str(data_copy)], records_per_batch=PER_BATCH)
    subprocess.run(
        [SNAKEMAKE, "-s", str(wf / "Snakefile"), "-d", str(wd), "--configfile", str(cfg), "--cores", "2"],
        check=True,
        capture_output=True,
    )
    assert planned(wd, cfg, wf / "Snakefile") == {}
    # a module of the interactions package: its steps, not the map that imports another module of it
    split = wf / "scripts" / "gene_records" / "interactions" / "split.py"
    split.write_text(split.read_text() + "\n# a change\n")
    jobs = planned(wd, cfg, wf / "Snakefile")
    assert "split_interactions" in jobs and "parse_records" not in jobs and "merge_interactions" not in jobs, jobs
    lib = wf / "scripts" / "gene_records" / "annotations.py"
    lib.write_text(lib.read_text() + "\n# a change\n")
    jobs = planned(wd, cfg, wf / "Snakefile")
    # the map step (whose annotation part changed) in every batch, and the reduces after it;
    # not the steps that do not import it and are not downstream of the map
    assert "tabulate_annotations" in jobs and jobs.get("parse_records", 0) > 8
    assert "normalise_downloads" not in jobs
    core = wf / "scripts" / "gene_records" / "genular.py"
    core.write_text(core.read_text() + "\n# a change\n")
    jobs = planned(wd, cfg, wf / "Snakefile")
    assert jobs.get("parse_records", 0) > 8  # every batch: the parser changed


def test_provenance_manifest_and_verify(bundled_run, tmp_path):
    from gene_records.tsv import read_tsv

    header, rows = read_tsv(bundled_run / "results" / "provenance" / "manifest.tsv")
    assert header == ["kind", "path", "sha256", "size", "rows"]
    inputs = [r for r in rows if r[0] == "input"]
    outputs = {r[1]: r for r in rows if r[0] == "output"}
    assert str(SOX2) in [r[1] for r in inputs]
    assert outputs["results/tables/records.tsv"][4] == "86"
    assert not any(p.startswith("/") for p in outputs)
    _, versions = read_tsv(bundled_run / "results" / "provenance" / "versions.tsv")
    assert ["snakemake", "9.27.1"] in versions
    verify = [sys.executable, str(REPO / "scripts" / "verify_provenance.py"), "manifest=results/provenance/manifest.tsv"]
    ok = subprocess.run(verify, cwd=bundled_run, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "0 problem(s)" in ok.stderr

    # a modified output is reported (on a copy of the run)
    wd = tmp_path / "copy"
    shutil.copytree(bundled_run / "results", wd / "results")
    (wd / "results" / "tables" / "citations.tsv").write_text("tampered\n")
    bad = subprocess.run(verify, cwd=wd, capture_output=True, text=True)
    assert bad.returncode == 1
    assert "output results/tables/citations.tsv: modified after the run" in bad.stderr


def test_manifest_lists_every_input_and_output(bundled_run):
    """Completeness: every file under results/ (but the provenance folder), every
    record file and every download is in the manifest, with its real sha256."""
    import hashlib

    from gene_records.tsv import read_tsv

    _, rows = read_tsv(bundled_run / "results" / "provenance" / "manifest.tsv")
    listed = {(r[0], r[1]): r[2] for r in rows}
    results = bundled_run / "results"
    outputs = {
        str(p.relative_to(bundled_run))
        for p in results.rglob("*")
        if p.is_file() and "provenance" not in p.relative_to(results).parts and not p.name.startswith(".")
    }
    assert {path for kind, path in listed if kind == "output"} == outputs
    inputs = {str(p) for p in RECORDS.rglob("*") if p.is_file()} | {
        str(p) for p in DOWNLOADS.rglob("*") if p.is_file()
    }
    assert {path for kind, path in listed if kind == "input"} == inputs
    assert [k for k, v in listed.items() if k[0] == "config"] == [("config", "config")]
    for (kind, path), sha in listed.items():
        if kind != "config":
            full = Path(path) if kind == "input" else bundled_run / path
            assert hashlib.sha256(full.read_bytes()).hexdigest() == sha, path


def test_verify_reports_changed_and_missing_inputs_and_outputs(tmp_path, data_copy):
    wd = tmp_path / "wd"
    run_workflow(wd, config=write_config(tmp_path, records=[str(data_copy)]))
    verify = [sys.executable, str(REPO / "scripts" / "verify_provenance.py"), "manifest=results/provenance/manifest.tsv"]
    ok = subprocess.run(verify, cwd=wd, capture_output=True, text=True)
    assert ok.returncode == 0 and "0 problem(s)" in ok.stderr, ok.stderr
    files = sorted(p for p in data_copy.rglob("*") if p.is_file())
    changed, removed = files[0], files[1]
    changed.write_bytes(changed.read_bytes() + b"\n")
    removed.unlink()
    (wd / "results" / "tables" / "genes.tsv").unlink()
    bad = subprocess.run(verify, cwd=wd, capture_output=True, text=True)
    assert bad.returncode == 1
    assert f"input {changed}: changed since the run: its outputs are stale" in bad.stderr
    assert f"input {removed}: missing" in bad.stderr
    assert "output results/tables/genes.tsv: missing" in bad.stderr
    assert "3 problem(s)" in bad.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_interrupted_run_restarts_to_identical_outputs(tmp_path, data_copy, sig, bundled_run):
    wd = tmp_path / "wd"
    wd.mkdir()
    cfg = write_config(tmp_path, records=[str(data_copy)], records_per_batch=PER_BATCH)
    cmd = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-d", str(wd), "--configfile", str(cfg), "--cores", "1"]
    # SIGINT as a terminal delivers it: not ignored, even when pytest itself was
    # started in the background of a script (which ignores SIGINT for its children)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    parsed = wd / "results" / "parsed"
    deadline = time.time() + 120
    while time.time() < deadline and not list(parsed.glob("*.index.tsv")):
        time.sleep(0.05)
    assert list(parsed.glob("*.index.tsv")), "no batch finished in time"
    os.killpg(proc.pid, sig)  # the whole process group, as a node failure would
    proc.wait(timeout=120)
    assert not (wd / "results" / "provenance" / "manifest.tsv").exists(), "the run finished before the kill"
    if sig == signal.SIGKILL:  # a killed snakemake cannot release its lock: the documented --unlock
        run_workflow(wd, "--unlock", config=cfg)
    run_workflow(wd, config=cfg)
    clean = tmp_path / "clean"
    run_workflow(clean, config=cfg)
    a, b = tree(wd, skip=()), tree(clean, skip=())
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []
    leftovers = [p for p in (wd / "results").rglob(".*.tmp")]
    assert leftovers == []
