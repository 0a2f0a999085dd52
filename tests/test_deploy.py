"""gene-records deployed the way pipelines are: a module from a git tag, and
through `snakedeploy deploy-workflow`, with the package pip-installed from the tag.

A throw-away git repository is built from this checkout's files (committed or
not, as `git ls-files` lists them), tagged v<version>, and its working tree is
removed: only .git is left, so nothing can be read from a clone on disk. A
fresh venv gets `pip install --no-deps git+file://<repo>@v<version>` (the
other packages come from the test venv through a .pth file), so the DAG
imports the package installed from the tag, not this checkout.

The consumer workflow imports `workflow/Snakefile` from
git+file://<repo>/workflow/Snakefile@<tag> with `prefix: "gr"` and has one rule
of its own; it runs on a few real records from ../shared/corpus, and every
output under gr/results equals a standalone run's.

Two Snakemake 9.27.1 bugs of git+file:// sources are worked around here
(README, "From a release tag"): a Snakefile at the root of the repository gets
its includes joined as "/rules/..." (hence workflow/Snakefile), and once a
`script:` rule's output exists every run stops with "TypeError: sequence item
1: expected str instance, LocalSourceFile found" unless the `code` rerun
trigger is off.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml
from conftest import REPO, SHARED_CORPUS, run_workflow

sys.path.insert(0, str(REPO / "scripts"))
from gene_records import __version__  # noqa: E402

pytestmark = pytest.mark.slow

TAG = f"v{__version__}"
# Snakemake 9.27.1, git+file:// modules: the `code` trigger crashes on script: rules.
GIT_FILE_TRIGGERS = ["--rerun-triggers", "mtime", "params", "input", "software-env"]


def few_records() -> list[Path]:
    if not SHARED_CORPUS.is_dir():
        pytest.skip(f"{SHARED_CORPUS} not present (only CI and developers have it)")
    # the four seeds (Genular SOX2, TFLink SOX4 and Sox14, GEISHA SOS2), a
    # GEISHA page and TFLink's TBP page (binding sites, extra keys)
    return [SHARED_CORPUS / "seeds", SHARED_CORPUS / "geisha" / "PAX3.md", SHARED_CORPUS / "tflink" / "p20226.md"]


def gene_records_config() -> dict:
    return {
        "records": [str(p) for p in few_records()],
        "tflink_downloads": [str(SHARED_CORPUS / "tflink_downloads")],
        "on_bad_record": "fail",
    }


def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env).stdout


@pytest.fixture(scope="module")
def tagged_repo(tmp_path_factory) -> Path:
    """This checkout's files in a new git repository, tagged, working tree removed."""
    repo = tmp_path_factory.mktemp("gene-records-release") / "gene-records"
    repo.mkdir()
    files = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO).split("\0")
    for rel in filter(None, files):
        src = REPO / rel
        if src.is_file():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, repo / rel)
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", f"gene-records {__version__}", cwd=repo)
    git("tag", TAG, cwd=repo)
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    assert [p.name for p in repo.iterdir()] == [".git"]
    return repo


@pytest.fixture(scope="module")
def tag_python(tagged_repo, tmp_path_factory) -> Path:
    """A venv's python with gene-records pip-installed from the tag (its other
    packages: those of the test venv, through a .pth file)."""
    venv = tmp_path_factory.mktemp("tag-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True
    ).stdout.strip()
    (Path(purelib) / "zz_test_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", f"git+file://{tagged_repo}@{TAG}"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    where = subprocess.run(
        [str(python), "-c", "import gene_records; print(gene_records.__file__, gene_records.__version__)"],
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    ).stdout.split()
    assert where == [str(Path(purelib) / "gene_records" / "__init__.py"), __version__], where
    return python


def run_consumer(python: Path, workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["LC_ALL"] = "C.UTF-8"
    cmd = [str(python), "-m", "snakemake", "-d", str(workdir), "--cores", "2", *GIT_FILE_TRIGGERS, *args]
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, env=env)


CONSUMER = """\
configfile: "config.yaml"


rule all:
    default_target: True
    input:
        "summary/records_per_source.tsv",
        # gene-records' provenance step needs every output of the module
        "gr/results/provenance/manifest.tsv",


module gene_records:
    snakefile:
        "git+file://{repo}/workflow/Snakefile@{tag}"
    config:
        config["gene_records"]
    prefix:
        "gr"


use rule * from gene_records as gene_records_*


# The consumer's own rule, downstream of gene-records.
rule count_records:
    input:
        "gr/results/tables/records.tsv",
    output:
        "summary/records_per_source.tsv",
    shell:
        "cut -f2 {{input}} | tail -n +2 | LC_ALL=C sort | uniq -c > {{output}}"
"""


@pytest.fixture(scope="module")
def consumer_run(tagged_repo, tag_python, tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("consumer")
    (workdir / "Snakefile").write_text(CONSUMER.format(repo=tagged_repo, tag=TAG))
    (workdir / "config.yaml").write_text(yaml.safe_dump({"gene_records": gene_records_config()}))
    proc = run_consumer(tag_python, workdir)
    assert proc.returncode == 0, f"consumer failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    return workdir


@pytest.fixture(scope="module")
def standalone_run(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("standalone")
    config = workdir / "config.yaml"
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    cfg.update(gene_records_config())
    config.write_text(yaml.safe_dump(cfg))
    run_workflow(workdir, config=config)
    return workdir


# The report's versions table names the git commit of the code that ran: this
# checkout's for the standalone run, the throw-away repository's tag for the
# module (checked on its own in test_library_came_from_the_tag_...).
COMMIT = re.compile(rb"(gene-records git commit(?:</td><td>| \| ))[0-9a-f]{40}(?:-dirty)?")


def results(root: Path) -> dict[Path, bytes]:
    """Every output file but provenance (it names paths as each run sees them),
    with the commit in the report masked."""
    return {
        p.relative_to(root): COMMIT.sub(rb"\1<commit>", p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).parts[0] != "provenance"
    }


def test_module_from_a_tag_equals_a_standalone_run(consumer_run, standalone_run):
    ours, theirs = results(consumer_run / "gr" / "results"), results(standalone_run / "results")
    assert Path("tables/records.tsv") in ours and Path("tables/interactions.tsv") in ours
    assert sorted(ours) == sorted(theirs)
    different = [str(p) for p in ours if ours[p] != theirs[p]]
    assert not different, f"outputs differ from a standalone run: {different}"


def test_consumer_rule_read_the_module_output(consumer_run):
    lines = (consumer_run / "summary" / "records_per_source.tsv").read_text().splitlines()
    counts = {source: int(n) for n, source in (line.split() for line in lines)}
    # seeds: SOX2 (Genular), SOX4 + Sox14 (TFLink), SOS2 (GEISHA); + PAX3, TBP
    assert counts == {"geisha": 2, "genular": 1, "tflink": 3}


def test_library_came_from_the_tag_and_no_url_became_a_path(consumer_run, tagged_repo):
    """The jobs ran the package installed from the tag (copied to .snakemake,
    see rules/common.smk); no `code` input turned into a path like gr/git+file:..."""
    lib = consumer_run / ".snakemake" / f"gene_records-{__version__}" / "gene_records"
    assert (lib / "cli.py").is_file() and (lib / "parse.py").is_file()
    assert not list(consumer_run.rglob("git+file*")), list(consumer_run.rglob("git+file*"))
    versions = (consumer_run / "gr" / "results" / "provenance" / "versions.tsv").read_text()
    assert f"gene-records\t{__version__}\n" in versions
    commit = git("rev-parse", f"{TAG}^{{commit}}", cwd=tagged_repo).strip()
    assert f"gene-records git commit\t{commit}\n" in versions  # pip's record of the tag (PEP 610)


def test_rerun_from_the_tag_has_nothing_to_do(consumer_run, tag_python):
    proc = run_consumer(tag_python, consumer_run, "--dry-run")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_snakedeploy_deploy_workflow(tagged_repo, tag_python, standalone_run, tmp_path):
    """`snakedeploy deploy-workflow` (0.17.1) with a local repository: it copies
    config/ and profiles/ and writes workflow/Snakefile. Its local provider
    ignores --tag and names the module's Snakefile by a relative path
    ("workflow/Snakefile", which resolves to workflow/workflow/Snakefile); it
    takes no file:// or git+file:// URL. So the deployment is made from a clone
    at the tag, and the module line is replaced by what its github()/gitlab()
    providers write, with the git+file:// source of the tag."""
    clone = tmp_path / "gene-records"
    git("clone", "-q", "--branch", TAG, str(tagged_repo), str(clone), cwd=tmp_path)
    dest = tmp_path / "deployed"
    snakedeploy = Path(sys.executable).with_name("snakedeploy")
    proc = subprocess.run(
        [str(snakedeploy), "deploy-workflow", str(clone), str(dest), "--tag", TAG, "--name", "gene_records"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (dest / "config" / "config.yaml").read_bytes() == (REPO / "config" / "config.yaml").read_bytes()
    assert (dest / "profiles" / "default" / "config.yaml").is_file()
    snakefile = dest / "workflow" / "Snakefile"
    text = snakefile.read_text()
    assert "module gene_records:" in text and "use rule * from gene_records" in text
    text, n = re.subn(r"(snakefile:\s*\n\s*)\S.*\n", rf'\1"git+file://{tagged_repo}/workflow/Snakefile@{TAG}"\n', text)
    assert n == 1, text
    snakefile.write_text(text)
    shutil.rmtree(clone)
    config = dest / "config" / "config.yaml"
    cfg = yaml.safe_load(config.read_text())
    cfg.update(gene_records_config())
    config.write_text(yaml.safe_dump(cfg))
    # The deployed workflow's default target is gene-records' `all` (the module's first rule).
    run = run_consumer(tag_python, dest)
    assert run.returncode == 0, f"deployed workflow failed:\n{run.stdout[-3000:]}\n{run.stderr[-6000:]}"
    ours, theirs = results(dest / "results"), results(standalone_run / "results")
    assert sorted(ours) == sorted(theirs)
    assert not [str(p) for p in ours if ours[p] != theirs[p]]
