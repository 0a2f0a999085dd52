"""The workflow on a real Slurm cluster with profiles/slurm.

tests/slurm/setup.sh installs Debian's slurm-wlm and munge (when missing) and
starts a private one-node cluster on localhost (its own slurm.conf, state and
ports under $GENE_RECORDS_SLURM_STATE; a machine's own Slurm and /etc/slurm
are never touched); the fixture stops at the end what that call started.
Where Slurm cannot start (not root, no apt-get, its ports taken) the Slurm
runs are skipped with the reason, except under CI=true, where they must run
and a failed set-up fails the test.

GENE_RECORDS_SLURM_TEST_CLUSTER=existing runs them on the machine's own
cluster instead (as configured for its clients: SLURM_CONF or /etc/slurm),
with GENE_RECORDS_SLURM_TEST_ARGS added to every snakemake command (e.g.
"--default-resources slurm_partition=short slurm_account=lab42"); the checks
that need the local test cluster (its controller's log, killing slurmstepd,
memory enforcement) are skipped there.

The profile checks and the 50,000-record submission count need no cluster.
"""

from __future__ import annotations

import math
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from conftest import REPO, SNAKEMAKE, ci, run_workflow, write_config

PROFILE = REPO / "profiles" / "slurm"
SETUP = REPO / "tests" / "slurm" / "setup.sh"
STOP = REPO / "tests" / "slurm" / "stop.sh"
STATE = Path(os.environ.get("GENE_RECORDS_SLURM_STATE", "/var/lib/gene-records-slurm"))
CI = ci()  # one reading of CI for the whole suite (tests/conftest.py)
EXISTING = os.environ.get("GENE_RECORDS_SLURM_TEST_CLUSTER", "").strip() == "existing"
EXTRA_ARGS = shlex.split(os.environ.get("GENE_RECORDS_SLURM_TEST_ARGS", ""))
# Records per batch in the Slurm run: the 87 bundled records make 16 batches,
# so the profile's grouping is exercised (16 parse jobs, one submission).
RUN_RECORDS_PER_BATCH = 10
SUBMITTED_RE = re.compile(r"submitted with SLURM jobid (\d+)")
# Snakemake names each submission's log folder by its rule (rule_<name>) or,
# for a group job, its group and rules (group_parse_batches_parse_records_...).
SUBMITTED_AS_RE = re.compile(r"submitted with SLURM jobid (\d+) \(log: .*/slurm_logs/((?:rule|group)_[^/]+)/")


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
    # each batch's map job (parse_records) is one component: one group job per 8 batches
    assert "parse_records" not in single
    submissions = groups + len(single)
    assert submissions == int(stats["total"]) - n_parse - 1 + groups
    assert submissions <= 300
    print(f"\n50,000 records: {n_parse} parse jobs in {groups} group jobs, {submissions} Slurm submissions in all")


# ---------------------------------------------------------------- a real run


def etc_slurm() -> list[tuple[str, int, int]]:
    """/etc/slurm as it is (a machine's own Slurm): name, size, mtime of each file."""
    root = Path("/etc/slurm")
    return [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()] if root.is_dir() else []


def node_cpus(env: dict) -> int:
    out = subprocess.run(["sinfo", "-h", "-o", "%c"], capture_output=True, text=True, check=True, env=env, timeout=60)
    return int(out.stdout.split()[0])


@pytest.fixture(scope="module")
def slurm_cluster():
    """The private one-node cluster of tests/slurm/setup.sh (or, with
    GENE_RECORDS_SLURM_TEST_CLUSTER=existing, the machine's own); stops what
    this call started. Yields the environment for Slurm's clients."""
    if EXISTING:
        try:
            cpus = node_cpus(dict(os.environ))
        except (OSError, subprocess.SubprocessError) as exc:
            pytest.fail(f"GENE_RECORDS_SLURM_TEST_CLUSTER=existing but sinfo does not answer: {exc}")
        yield {"cpus": cpus, "env": dict(os.environ), "local": False}
        return
    etc_before = etc_slurm()
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
    # The private configuration; $STATE/bin/srun passes it on inside jobs
    # (the jobstep plugin drops SLURM_* variables before srun).
    env = {**os.environ, "SLURM_CONF": str(STATE / "slurm.conf"), "PATH": f"{STATE / 'bin'}:{os.environ['PATH']}"}
    # jobs import gene_records from this checkout first (Snakemake appends
    # scripts/ to sys.path, after any installed copy of the package)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO / "scripts"), os.environ.get("PYTHONPATH", "")) if p)
    yield {"cpus": node_cpus(env), "env": env, "local": True, "etc_before": etc_before}
    if started:
        subprocess.run([str(STOP), *started], capture_output=True, text=True, timeout=120)


def slurm_command(cluster: dict, workdir: Path, config: Path, *extra: str) -> list[str]:
    cmd = ["timeout", "-s", "INT", "-k", "60", "1200", SNAKEMAKE, "-s", str(REPO / "Snakefile")]
    cmd += ["-d", str(workdir), "--configfile", str(config), "--profile", str(PROFILE)]
    # --cores: a grouped job asks for its members' CPUs, at most this many;
    # more than the node has and it stays PENDING for ever.
    cmd += ["--cores", str(cluster["cpus"]), "--slurm-init-seconds-before-status-checks", "2"]
    return cmd + EXTRA_ARGS + list(extra)


def ctld_offset(cluster: dict) -> int:
    return (STATE / "slurmctld.log").stat().st_size if cluster["local"] else 0


def ctld_since(cluster: dict, offset: int) -> str:
    """slurmctld's log lines since ``offset`` (job ids restart with a new
    controller: read only this run's lines); empty on an existing cluster."""
    if not cluster["local"]:
        return ""
    with open(STATE / "slurmctld.log", "rb") as fh:
        fh.seek(offset)
        return fh.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def slurm_run(slurm_cluster, tmp_path_factory):
    """The workflow run through Slurm with profiles/slurm; returns facts about it."""
    workdir = tmp_path_factory.mktemp("slurm_run")
    config = write_config(workdir, records_per_batch=RUN_RECORDS_PER_BATCH)
    cmd = slurm_command(slurm_cluster, workdir, config)
    offset = ctld_offset(slurm_cluster)
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**slurm_cluster["env"], "LC_ALL": "C.UTF-8"})
    wall = time.monotonic() - start
    log = proc.stdout + proc.stderr
    if proc.returncode == 124:
        pytest.fail(f"the Slurm run hung and was interrupted after 20 minutes:\n{log[-4000:]}")
    assert proc.returncode == 0, f"the Slurm run failed ({proc.returncode}):\n{log[-6000:]}"
    job_ids = SUBMITTED_RE.findall(log)
    run_id = re.search(r"SLURM run ID: ([0-9a-f-]+)", log)
    print(f"\nSlurm run: {len(job_ids)} submissions (job ids {', '.join(job_ids)}), {wall:.0f} s wall time")
    ctld = ctld_since(slurm_cluster, offset)
    return {
        "workdir": workdir, "config": config, "log": log, "ctld": ctld, "job_ids": job_ids, "run_id": run_id,
        "env": slurm_cluster["env"], "wall": wall,
    }


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
    # each batch's map job (one component) is grouped
    expected = int(stats["total"]) - 1 - 16 + math.ceil(16 / int(components["parse_batches"]))
    assert len(job_ids) == expected, f"expected {expected} submissions (16 batches' jobs grouped), got {job_ids}"
    assert len(set(job_ids)) == len(job_ids)
    assert "localrule parse_records" not in log and "localrule collect_records" not in log
    ctld = slurm_run["ctld"]
    for job_id in job_ids if ctld else ():  # the test cluster's controller log
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
        env=slurm_run["env"],
    ).stdout.split()
    assert sorted(queue) == sorted(f"{j}|COMPLETED" for j in job_ids)


def test_test_cluster_never_touches_etc_slurm(slurm_cluster):
    if not slurm_cluster["local"]:
        pytest.skip("the machine's own cluster: nothing was set up")
    assert etc_slurm() == slurm_cluster["etc_before"]
    conf = STATE / "slurm.conf"
    assert "SlurmctldPort=" in conf.read_text() and "/etc/slurm" not in conf.read_text()


def test_setup_skips_with_one_line_when_its_ports_are_taken(slurm_cluster, tmp_path):
    """A second test cluster (another state folder) finds the ports taken, as
    on a machine whose own Slurm uses them: exit 77 and one reason."""
    if not slurm_cluster["local"]:
        pytest.skip("the machine's own cluster: nothing was set up")
    env = {**os.environ, "GENE_RECORDS_SLURM_STATE": str(tmp_path / "state")}
    env["GENE_RECORDS_SLURM_PORTS"] = (STATE / "slurm.conf").read_text().split("SlurmctldPort=")[1].split()[0] + " 16999"
    proc = subprocess.run([str(SETUP)], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 77, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "is in use by another program" in lines[0], lines
    assert not (tmp_path / "state" / "started").exists() or not any((tmp_path / "state" / "started").iterdir())


# ---------------------------------------------------------------- faults

# What the fault run does to its jobs, and what the profile must make of it
# (retries: 2, resources `N * attempt`):
# - the first parse group job is cancelled (scancel) once it runs: retried;
# - collect_records asks for 100 MB (its job peaks at ~150 MB here): Slurm
#   kills it over its memory; retried with 200 MB;
# - tabulate_annotations asks for 1 minute and its slurmstepd is killed once
#   it runs: the job is lost (the controller still thinks it runs) until its
#   time limit ends it (TIMEOUT); retried with 2 minutes.
FAULT_MEM_MB = 100
FAULT_RUNTIME_MIN = 1


def fault_resources() -> list[str]:
    """profiles/slurm's set-resources (a command-line --set-resources
    replaces the profile's list) with the two tight values."""
    out = []
    for rule, res in profile()["set-resources"].items():
        res = dict(res)
        if rule == "collect_records":
            res["mem_mb"] = f"{FAULT_MEM_MB} * attempt"
        if rule == "tabulate_annotations":
            res["runtime"] = f"{FAULT_RUNTIME_MIN} * attempt"
        out += [f"{rule}:{key}={str(value).replace(' ', '')}" for key, value in res.items()]
    return out


def slurmstepd_of(job_id: str) -> int | None:
    """The pid of the batch step's slurmstepd of a job on this machine."""
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "cmdline").read_bytes().startswith(f"slurmstepd: [{job_id}.batch]".encode()):
                    return int(d.name)
            except OSError:
                continue
    return None


def job_table(env: dict, job_ids: list[str]) -> dict[str, dict]:
    out = subprocess.run(
        ["squeue", "--states=all", "-h", "-o", "%i|%T|%m|%l", "--jobs", ",".join(job_ids)],
        capture_output=True, text=True, check=True, env=env,
    ).stdout.split()
    rows = [line.split("|") for line in out]
    return {r[0]: {"state": r[1], "mem": r[2], "time": r[3]} for r in rows}


@pytest.mark.slow
def test_cancelled_lost_and_over_limit_jobs_are_retried_with_more(slurm_cluster, slurm_run, tmp_path):
    if not slurm_cluster["local"]:
        pytest.skip("needs the local test cluster: kills a job's slurmstepd and relies on its memory enforcement")
    env = {**slurm_cluster["env"], "LC_ALL": "C.UTF-8"}
    workdir = tmp_path / "faults"
    workdir.mkdir()
    shutil.copy(slurm_run["config"], workdir / "config.yaml")
    cmd = slurm_command(slurm_cluster, workdir, workdir / "config.yaml", "--set-resources", *fault_resources())
    log_path = tmp_path / "faults.log"
    start = time.monotonic()
    done: dict[str, str] = {}
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        while proc.poll() is None:
            ours = dict(SUBMITTED_AS_RE.findall(log_path.read_text()))
            running = subprocess.run(
                ["squeue", "-h", "-t", "RUNNING", "-o", "%i"], capture_output=True, text=True, env=env
            ).stdout.split()
            for job_id in running:
                if job_id not in ours:
                    continue
                rule = ours[job_id]
                if "cancelled" not in done and rule.startswith("group_parse_batches_"):
                    subprocess.run(["scancel", job_id], env=env, check=True)
                    done["cancelled"] = job_id
                elif "lost" not in done and rule == "rule_tabulate_annotations":
                    pid = slurmstepd_of(job_id)
                    if pid:
                        os.kill(pid, signal.SIGKILL)
                        done["lost"] = job_id
            if time.monotonic() - start > 1500:
                os.kill(proc.pid, signal.SIGINT)
                proc.wait(timeout=120)
                pytest.fail("the fault run did not end within 25 minutes")
            time.sleep(0.2)
    wall = time.monotonic() - start
    text = log_path.read_text()
    assert proc.returncode == 0, f"the fault run failed ({proc.returncode}):\n{text[-6000:]}"
    assert "Traceback" not in text
    assert set(done) == {"cancelled", "lost"}, f"faults not injected: {done}"

    job_ids = SUBMITTED_RE.findall(text)
    jobs = job_table(env, job_ids)
    names = dict(SUBMITTED_AS_RE.findall(text))
    assert sorted(names) == sorted(job_ids), "a submission whose log folder was not recognised"
    by_rule: dict[str, list[dict]] = {}
    for job_id in sorted(jobs, key=int):
        by_rule.setdefault(names[job_id].removeprefix("rule_"), []).append({"id": job_id, **jobs[job_id]})
    summary = {rule: [(j["id"], j["state"], j["mem"], j["time"]) for j in js] for rule, js in by_rule.items()}
    print(f"\nfault run: {wall:.0f} s, {len(job_ids)} submissions; {done}; jobs by rule: {summary}")
    # the cancelled job was cancelled and its group ran again
    assert jobs[done["cancelled"]]["state"] == "CANCELLED"
    # (a group job is named by its group and its rules: group_parse_batches_parse_records)
    groups = [rule for rule in by_rule if rule.startswith("group_parse_batches_")]
    assert groups, summary
    assert all(by_rule[rule][-1]["state"] == "COMPLETED" for rule in groups), summary
    # collect_records: killed over 100 MB, then done with 200 MB
    collect = by_rule["collect_records"]
    assert [j["mem"] for j in collect] == [f"{FAULT_MEM_MB}M", f"{2 * FAULT_MEM_MB}M"], collect
    assert collect[0]["state"] in ("OUT_OF_MEMORY", "FAILED") and collect[1]["state"] == "COMPLETED", collect
    with open(STATE / "slurmd.log", encoding="utf-8", errors="replace") as fh:
        assert f"StepId={collect[0]['id']}.batch exceeded memory limit" in fh.read()
    # tabulate_annotations: lost, ended by its 1-minute limit, done with 2 minutes
    tab = by_rule["tabulate_annotations"]
    assert tab[0]["id"] == done["lost"] and tab[0]["state"] == "TIMEOUT", tab
    assert [j["time"] for j in tab] == ["1:00", "2:00"] and tab[1]["state"] == "COMPLETED", tab
    assert text.count("Trying to restart job") >= 3
    # and the results are those of the undisturbed run, byte for byte
    ours, theirs = files_under(workdir / "results"), files_under(slurm_run["workdir"] / "results")
    assert sorted(ours) == sorted(theirs)
    different = [str(p) for p in sorted(ours) if ours[p] != theirs[p]]
    assert not different, f"results after the faults differ from the undisturbed run: {different[:10]}"
