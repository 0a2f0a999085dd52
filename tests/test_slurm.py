"""The workflow on a real Slurm cluster with profiles/slurm.

tests/slurm/setup.sh installs Debian's slurm-wlm and munge (when missing) and
starts a one-node cluster on localhost; the fixture stops at the end what that
call started. Where Slurm cannot start (not root, no apt-get) the Slurm run is
skipped with the reason, except under CI=true, where it must run and a failed
set-up fails the test.

The profile checks and the 50,000-record submission count need no cluster.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from conftest import REPO, SNAKEMAKE, run_workflow, write_config

PROFILE = REPO / "profiles" / "slurm"
SETUP = REPO / "tests" / "slurm" / "setup.sh"
STOP = REPO / "tests" / "slurm" / "stop.sh"
STATE = Path(os.environ.get("GENE_RECORDS_SLURM_STATE", "/var/lib/gene-records-slurm"))
CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
# Records per batch in the Slurm run: the 87 bundled records make 16 batches,
# so the profile's grouping is exercised (16 parse jobs, one submission).
RUN_RECORDS_PER_BATCH = 10
SUBMITTED_RE = re.compile(r"submitted with SLURM jobid (\d+)")


def profile() -> dict:
    return yaml.safe_load((PROFILE / "config.yaml").read_text())


def files_under(root: Path) -> dict[Path, bytes]:
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- the profile


def workflow_rules(tmp_path: Path) -> set[str]:
    proc = run_workflow(tmp_path / "list", "--list-rules")
    return set(proc.stdout.split())


def rule_memory_is_literal() -> dict[str, bool]:
    """``{rule: True}`` where the rule asks for ``mem_mb=scaled(<number>)``,
    False where its memory comes from the config (e.g. a sort buffer)."""
    found = {}
    for path in sorted((REPO / "rules").glob("*.smk")):
        blocks = re.split(r"^rule (\w+):\n", path.read_text(), flags=re.M)
        for name, body in zip(blocks[1::2], blocks[2::2]):
            m = re.search(r"mem_mb=scaled\(([^)]*)\)", body)
            if m:
                found[name] = m.group(1).strip().isdigit()
    return found


def test_profile_names_only_existing_rules_and_covers_every_job_rule(tmp_path):
    rules = workflow_rules(tmp_path)
    assert {"parse_records", "collect_records", "all"} <= rules
    prof = profile()
    for key in ("set-resources", "set-threads"):
        unknown = set(prof[key]) - rules
        assert not unknown, f"profiles/slurm {key} names rules that do not exist: {sorted(unknown)}"
    jobs = rules - {"all"}
    missing = sorted(r for r in jobs if "runtime" not in prof["set-resources"].get(r, {}))
    assert not missing, (
        f"profiles/slurm set-resources lacks runtime (and mem_mb) for {missing}: measure them "
        "(benchmark: files of a large run) and add them"
    )
    assert set(prof["set-threads"]) == jobs, "every job rule gets its threads in profiles/slurm set-threads"
    literal = rule_memory_is_literal()
    assert literal.get("parse_records") is True
    for rule in sorted(jobs):
        given = "mem_mb" in prof["set-resources"][rule]
        if literal.get(rule, True):
            assert given, f"profiles/slurm: measure and set mem_mb of {rule}"
        else:
            assert not given, f"{rule} takes its memory from the config: profiles/slurm must not override it"


def test_profile_resources_grow_with_each_attempt():
    """A retried job asks for more: every per-rule value is `N * attempt`."""
    prof = profile()
    assert prof["retries"] >= 1
    for rule, res in prof["set-resources"].items():
        for name, value in res.items():
            assert re.fullmatch(r"\d+ \* attempt", str(value)), f"{rule}: {name}={value!r} does not grow with attempt"


def test_profile_has_no_site_specific_settings():
    text = (PROFILE / "config.yaml").read_text()
    body = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    for word in ("partition", "account", "qos", "reservation", "clusters"):
        assert word not in body, f"profiles/slurm must not set a {word}: that is the user's own profile"


def test_profile_polls_squeue_and_groups_existing_groups():
    prof = profile()
    assert prof["executor"] == "slurm"
    assert prof["slurm-status-command"] == "squeue"
    assert prof["latency-wait"] >= 30
    groups = set(re.findall(r"^    group:\n        \"(\w+)\"", "".join(p.read_text() for p in (REPO / "rules").glob("*.smk")), re.M))
    assert "parse_batches" in groups
    for entry in prof["group-components"]:
        name, n = entry.split("=")
        assert name in groups and int(n) > 1, entry


@pytest.mark.slow
def test_50000_records_make_few_slurm_submissions(tmp_path):
    """A dry run with the profile on 50,000 (empty) record files: the number of
    Slurm submissions (group jobs plus ungrouped jobs) is a few dozen, not
    thousands."""
    records = tmp_path / "records"
    for i in range(50):
        d = records / f"{i:02d}"
        d.mkdir(parents=True)
        for j in range(1000):
            (d / f"r{j:04d}.md").touch()
    workdir = tmp_path / "wd"
    proc = run_workflow(workdir, "--dry-run", "--profile", str(PROFILE), records=[str(records)])
    out = proc.stdout
    stats = dict(re.findall(r"^(\w+)\s+(\d+)$", out.split("Job stats:", 1)[1].split("\n\n", 1)[0], re.M))
    n_parse = int(stats["parse_records"])
    assert n_parse == 32  # 50,000 / 2,000 per batch -> 32 hash buckets
    groups = len(re.findall(r"\] Group job parse_batches ", out))
    single = [r for r in re.findall(r"^rule (\w+):$", out, re.M) if r != "all"]
    components = dict(e.split("=") for e in profile()["group-components"])
    assert groups == math.ceil(n_parse / int(components["parse_batches"]))
    assert "parse_records" not in single
    submissions = groups + len(single)
    assert submissions == int(stats["total"]) - n_parse - 1 + groups
    assert submissions <= 300
    print(f"\n50,000 records: {n_parse} parse jobs in {groups} group jobs, {submissions} Slurm submissions in all")


# ---------------------------------------------------------------- a real run


@pytest.fixture(scope="module")
def slurm_cluster():
    """The one-node cluster of tests/slurm/setup.sh; stops what this call started."""
    try:
        proc = subprocess.run([str(SETUP)], capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        pytest.fail("tests/slurm/setup.sh did not finish within 15 minutes")
    message = f"tests/slurm/setup.sh exited {proc.returncode}: {proc.stderr.strip()[-2000:]}"
    if proc.returncode == 77 and not CI:
        pytest.skip(f"Slurm cannot run on this machine ({message})")
    if proc.returncode != 0:
        pytest.fail(f"the Slurm test cluster did not start: {message}")
    started = proc.stdout.strip().splitlines()[-1].removeprefix("started:").split()
    cpus = int(subprocess.run(["sinfo", "-h", "-o", "%c"], capture_output=True, text=True, check=True).stdout.split()[0])
    yield {"cpus": cpus}
    if started:
        subprocess.run([str(STOP), *started], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def slurm_run(slurm_cluster, tmp_path_factory):
    """The workflow run through Slurm with profiles/slurm; returns facts about it."""
    workdir = tmp_path_factory.mktemp("slurm_run")
    config = write_config(workdir, records_per_batch=RUN_RECORDS_PER_BATCH)
    cmd = ["timeout", "-s", "INT", "-k", "60", "1200", SNAKEMAKE, "-s", str(REPO / "Snakefile")]
    cmd += ["-d", str(workdir), "--configfile", str(config), "--profile", str(PROFILE)]
    # --cores: a grouped job asks for its members' CPUs, at most this many;
    # more than the node has and it stays PENDING for ever.
    cmd += ["--cores", str(slurm_cluster["cpus"]), "--slurm-init-seconds-before-status-checks", "2"]
    ctld_log = STATE / "slurmctld.log"
    ctld_offset = ctld_log.stat().st_size  # job ids restart with a new controller: read only this run's lines
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "LC_ALL": "C.UTF-8"})
    wall = time.monotonic() - start
    log = proc.stdout + proc.stderr
    if proc.returncode == 124:
        pytest.fail(f"the Slurm run hung and was interrupted after 20 minutes:\n{log[-4000:]}")
    assert proc.returncode == 0, f"the Slurm run failed ({proc.returncode}):\n{log[-6000:]}"
    job_ids = SUBMITTED_RE.findall(log)
    run_id = re.search(r"SLURM run ID: ([0-9a-f-]+)", log)
    print(f"\nSlurm run: {len(job_ids)} submissions (job ids {', '.join(job_ids)}), {wall:.0f} s wall time")
    with open(ctld_log, "rb") as fh:
        fh.seek(ctld_offset)
        ctld = fh.read().decode("utf-8", "replace")
    return {"workdir": workdir, "config": config, "log": log, "ctld": ctld, "job_ids": job_ids, "run_id": run_id}


@pytest.mark.slow
def test_slurm_results_equal_a_local_run(slurm_run, tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    shutil.copy(slurm_run["config"], local / "config.yaml")
    run_workflow(local, config=local / "config.yaml")
    ours, theirs = files_under(slurm_run["workdir"] / "results"), files_under(local / "results")
    assert Path("tables/records.tsv") in theirs and Path("parsed/batch_0015.jsonl") in theirs
    assert sorted(ours) == sorted(theirs)
    different = [str(p) for p in sorted(ours) if ours[p] != theirs[p]]
    assert not different, f"results of the Slurm run differ from a local run: {different[:10]}"


@pytest.mark.slow
def test_jobs_went_through_slurm(slurm_run):
    log, job_ids = slurm_run["log"], slurm_run["job_ids"]
    stats = dict(re.findall(r"^(\w+)\s+(\d+)$", log.split("Job stats:", 1)[1].split("\n\n", 1)[0], re.M))
    assert int(stats["parse_records"]) == 16
    components = dict(e.split("=") for e in profile()["group-components"])
    expected = int(stats["total"]) - 1 - 16 + math.ceil(16 / int(components["parse_batches"]))
    assert len(job_ids) == expected, f"expected {expected} submissions (16 parse jobs grouped), got {job_ids}"
    assert len(set(job_ids)) == len(job_ids)
    assert "localrule parse_records" not in log and "localrule collect_records" not in log
    ctld = slurm_run["ctld"]
    for job_id in job_ids:
        # the main scheduler logs "sched: Allocate JobId=N", the backfill one
        # "sched/backfill: _start_job: Started JobId=N": either started it
        assert re.search(rf"(Allocate|Started) JobId={job_id} ", ctld), f"slurmctld never ran job {job_id}"
        assert f"_job_complete: JobId={job_id} WEXITSTATUS 0" in ctld, f"job {job_id} did not end with 0"
    # The jobs carry the run's id as their name; squeue still lists them (MinJobAge=600).
    assert slurm_run["run_id"], "no 'SLURM run ID' in the snakemake log"
    queue = subprocess.run(
        ["squeue", "--states=all", "-h", "-o", "%i|%T", "--name", slurm_run["run_id"].group(1)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert sorted(queue) == sorted(f"{j}|COMPLETED" for j in job_ids)
