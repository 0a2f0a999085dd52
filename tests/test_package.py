"""gene_records as a Python package: `pip install .` into a clean venv, a
wheel, and the `gene-records` command, whose steps give what the workflow's
rules give.

The checkout's files (as `git ls-files` lists them) are copied to a temporary
folder first, so building never writes into the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, SOX2

sys.path.insert(0, str(REPO / "scripts"))
from gene_records import __version__  # noqa: E402
from gene_records.console import STEPS  # noqa: E402

pytestmark = pytest.mark.slow

CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("source") / "gene-records"
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for rel in filter(None, files):
        if (REPO / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, src / rel)
    return src


@pytest.fixture(scope="module")
def clean_venv(source, tmp_path_factory) -> Path:
    """A new venv with nothing but `pip install <checkout>` (and its dependencies)."""
    venv = tmp_path_factory.mktemp("clean") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(source)], capture_output=True, text=True, env=CLEAN_ENV
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return venv


def test_version_is_the_package_version(clean_venv):
    proc = subprocess.run([str(clean_venv / "bin" / "gene-records"), "--version"], capture_output=True, text=True, env=CLEAN_ENV)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"gene-records {__version__}"


def test_clean_venv_has_no_workflow_or_test_tools(clean_venv):
    """The package needs only its own dependencies (no Snakemake, no pytest)."""
    for module in ("snakemake", "pytest", "pandas"):
        proc = subprocess.run([str(clean_venv / "bin" / "python"), "-c", f"import {module}"], capture_output=True, env=CLEAN_ENV)
        assert proc.returncode != 0, f"{module} is installed in the clean venv"


def test_cli_step_gives_the_workflows_json(clean_venv, bundled_run, tmp_path):
    """`gene-records parse-batch` (the parse part of parse_records) on a real
    record (the SOX2 Genular page) writes the same canonical JSON as the
    workflow's parse_records rule."""
    out = tmp_path / "cli"
    out.mkdir()
    cmd = [str(clean_venv / "bin" / "gene-records"), "parse-batch", "--records", str(SOX2)]
    cmd += ["--jsonl", "b.jsonl", "--index", "b.index.tsv", "--rejected", "b.rejected.tsv", "--log", "parse.log"]
    proc = subprocess.run(cmd, cwd=out, capture_output=True, text=True, env=CLEAN_ENV)
    assert proc.returncode == 0, proc.stderr
    lines = (out / "b.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    workflow_json = (bundled_run / "results" / "records" / "genular-6657.json").read_text(encoding="utf-8")
    assert json.loads(lines[0]) == json.loads(workflow_json)
    assert json.loads(lines[0])["symbol"] == "SOX2"
    assert (out / "b.rejected.tsv").read_text() == "source_file\treason\n"


def test_cli_bad_record_is_one_line(clean_venv, tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    cmd = [str(clean_venv / "bin" / "gene-records"), "parse-batch", "--records", str(bad)]
    cmd += ["--jsonl", "b.jsonl", "--index", "b.index.tsv", "--rejected", "b.rejected.tsv"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, env=CLEAN_ENV)
    # as under Snakemake: one line per bad file (naming it and the place), a
    # summary line, exit status 1, no traceback
    assert proc.returncode == 1
    assert f"{bad}: line 1: empty file" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) <= 3


def test_help_is_generated_from_the_signature(clean_venv):
    gr = str(clean_venv / "bin" / "gene-records")
    top = subprocess.run([gr, "--help"], capture_output=True, text=True, env=CLEAN_ENV)
    assert top.returncode == 0 and all(step in top.stdout for step in STEPS)
    check = subprocess.run([gr, "check-proteins", "--help"], capture_output=True, text=True, env=CLEAN_ENV)
    assert check.returncode == 0
    for option in ("--facts-parts", "--indexes", "--checks", "--fasta", "--proteins", "--mass-tolerance-da", "--log"):
        assert option in check.stdout, option
    assert "Check every protein sequence of the accepted records" in check.stdout  # the step's docstring
    missing = subprocess.run([gr, "check-proteins"], capture_output=True, text=True, env=CLEAN_ENV)
    assert missing.returncode == 2 and "required" in missing.stderr


def test_every_rule_script_has_a_subcommand():
    """scripts/<rule>.py and `gene-records <rule>` run the same step function."""
    for script in sorted((REPO / "scripts").glob("*.py")):
        text = script.read_text()
        imports = [line.split() for line in text.splitlines() if line.startswith("from gene_records.") and " import " in line]
        step = [(words[1], words[3]) for words in imports if words[1] != "gene_records.cli"]
        assert len(step) == 1, f"{script.name}: expected one step import"
        command = script.stem.replace("_", "-")
        assert STEPS.get(command) == step[0], f"gene-records {command} should run {step[0]}"


def test_a_wheel_builds(source, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        env=CLEAN_ENV,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel,) = tmp_path.glob("*.whl")
    assert wheel.name == f"gene_records-{__version__}-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()
    assert "gene_records/console.py" in names and "gene_records/parse.py" in names
    assert not [n for n in names if n.startswith(("scripts/", "rules/", "tests/"))]
    entry_points = zipfile.ZipFile(wheel).read(f"gene_records-{__version__}.dist-info/entry_points.txt").decode()
    assert "gene-records = gene_records.console:main" in entry_points
