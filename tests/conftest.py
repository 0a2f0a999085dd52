"""Shared fixtures: paths to the real records and one workflow run on them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
# GENE_RECORDS_TEST_SCRIPTS: run the tests against another copy of the library
# (tests/test_tables.py renames a declared column in a copy to show the
# consumers' tests catch it).
sys.path.insert(0, os.environ.get("GENE_RECORDS_TEST_SCRIPTS") or str(REPO / "scripts"))

RESOURCES = REPO / "resources"
RECORDS = RESOURCES / "records"
DOWNLOADS = RESOURCES / "tflink_downloads"
UNIPROT_ENTRIES = REPO / "tests" / "data" / "uniprot_entries.tsv"
SHARED_CORPUS = REPO.parent / "shared" / "corpus"
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))

SOX2 = RECORDS / "seeds" / "000_a0f1117985c0478c.txt"
SOX4 = RECORDS / "seeds" / "001_20f0534142b96b67.txt"
SOS2 = RECORDS / "seeds" / "002_784a9e1d06219bb2.txt"
SOX14 = RECORDS / "seeds" / "003_e4ce962d5fc5f482.txt"


def ci() -> bool:
    """True when the suite runs under CI (``CI`` is 1, true or yes, any case):
    a test whose set-up failed must then fail, not skip."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def all_record_files() -> list[Path]:
    return sorted(p for p in RECORDS.rglob("*") if p.is_file())


def write_config(workdir: Path, **overrides) -> Path:
    """A config for a run in ``workdir`` on the bundled data (absolute paths)."""
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    cfg["records"] = [str(RECORDS)]
    cfg["tflink_downloads"] = [str(DOWNLOADS)]
    cfg.update(overrides)
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def run_workflow(workdir: Path, *args: str, config: Path | None = None, check: bool = True, **overrides):
    """Run the workflow in ``workdir``; return the CompletedProcess."""
    workdir.mkdir(parents=True, exist_ok=True)
    if config is None:
        config = write_config(workdir, **overrides)
    cmd = [
        SNAKEMAKE,
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(workdir),
        "--configfile",
        str(config),
        "--cores",
        "2",
        *args,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "LC_ALL": "C.UTF-8"})
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


@pytest.fixture(scope="session")
def bundled_run(tmp_path_factory) -> Path:
    """One complete run of the workflow on the bundled data; tests read its results."""
    workdir = tmp_path_factory.mktemp("bundled_run")
    run_workflow(workdir)
    return workdir


def must_not_skip() -> bool:
    """A missing test tool must fail, not skip, under CI or as root (the set-up's user)."""
    return ci() or os.geteuid() == 0


@pytest.fixture(scope="session")
def corpus_run(tmp_path_factory) -> Path:
    """One complete run over the real corpus (SHARED_CORPUS: seeds, tflink, geisha and
    tflink_downloads; ``on_bad_record: skip``). Skipped where the corpus is absent, except
    under CI or as root."""
    if not SHARED_CORPUS.is_dir():
        if must_not_skip():
            pytest.fail(f"{SHARED_CORPUS} not present")
        pytest.skip(f"{SHARED_CORPUS} not present (only CI and developers have it)")
    workdir = tmp_path_factory.mktemp("corpus_run")
    run_workflow(
        workdir,
        records=[str(SHARED_CORPUS / sub) for sub in ("seeds", "tflink", "geisha")],
        tflink_downloads=[str(SHARED_CORPUS / "tflink_downloads")],
        on_bad_record="skip",
    )
    return workdir


def find_downstream_python() -> str:
    """The Python of the downstream tools' venv (decoupler, gseapy, polars, DuckDB,
    frictionless, pyarrow, pyfaidx, Biopython; tests/requirements-downstream.txt):
    ``GENE_RECORDS_DOWNSTREAM_PYTHON`` or ``REPO/.venv-downstream/bin/python``. Missing: the
    test fails under CI or as root (``make test`` sets the venv up), and is skipped otherwise."""
    path = os.environ.get("GENE_RECORDS_DOWNSTREAM_PYTHON") or str(REPO / ".venv-downstream" / "bin" / "python")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        message = f"the downstream venv's Python {path} is missing (pip install -r tests/requirements-downstream.txt)"
        if must_not_skip():
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def downstream_python() -> str:
    return find_downstream_python()


def run_downstream(python: str, code: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``code`` with the downstream venv's Python (its own packages only: no PYTHONPATH)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([python, "-c", code, *args], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise AssertionError(f"downstream script failed ({proc.returncode}):\n{proc.stderr[-5000:]}")
    return proc


@pytest.fixture
def copy_record(tmp_path):
    """Copy a real record into a temporary folder (optionally changing its bytes)."""

    def _copy(src: Path, name: str | None = None, data: bytes | None = None) -> Path:
        dst = tmp_path / "records" / (name or src.name)
        dst.parent.mkdir(parents=True, exist_ok=True)
        if data is None:
            shutil.copyfile(src, dst)
        else:
            dst.write_bytes(data)
        return dst

    return _copy
