"""Scale benchmark: the whole workflow on N generated records, on 2 cores, measured.

    .venv/bin/python benchmarks/scale.py --n 1000 20000 50000 150000 --workdir /tmp/scale \\
        --hide-slurm-client [--repeat 3] [--check-identical]

Every timed phase is run K times (--repeat K, default 3); the tables give the
median, the JSON keeps every value with its minimum and maximum. For each N it

1. generates N realistic records (benchmarks/generate_records.py: the bundled
   real Genular, TFLink and GEISHA records templated with fresh ids, in thirds),
   cached in WORKDIR/records_N and reused by later runs;
2. dry run, K times, each in a fresh working folder (every job pending: the DAG
   that a user waits for before anything runs); counts its jobs;
3. whole run, K times, each in a fresh working folder (WORKDIR/run_N removed
   and made again; config: records=[WORKDIR/records_N],
   tflink_downloads=[resources/tflink_downloads], defaults otherwise; the
   default profile profiles/default is loaded by Snakemake itself), with every
   step call recorded (GENE_RECORDS_RECORD_CALLS); wall time and peak RSS (the
   largest single process: getrusage(RUSAGE_CHILDREN) of a wrapper process
   around the command) and the seconds per rule (the rules' benchmark files);
4. no-op rerun (nothing to do), K times, in the last whole run's folder;
5. in-process replay (--skip-replay skips it), K times: the step calls
   recorded by the last whole run replayed in one process without Snakemake,
   each time in a fresh folder holding only what planning wrote and the
   calls read (the parse batches' listings under .snakemake/) (the in-process
   reference: wall time and peak RSS); every replay's results/ is compared
   byte for byte with the run's;
6. three changes, K times each, in that folder, which is up to date before
   every timed rerun:
   * changed: one Genular record's description line gets " (edited)";
   * added:   a new Genular record file (a copy of an existing one given a
              new gene id and symbol: a new record, not a duplicate);
   * removed: one (other) Genular record file moved out of the records folder;
   each time: apply the change, time the rerun (wall, peak RSS, jobs, jobs
   and seconds per rule from the benchmark files written since), put the
   records back, then rerun untimed (logs_N/<kind>_<k>_restore.log) to get
   back to the clean state;
7. with --check-identical (once, untimed, after the change phases): all three
   changes at once (the added record with yet another gene id), a rerun in
   the working folder, then a whole run of the same records in a fresh
   folder (WORKDIR/check_N); every file of the two results/ folders is
   compared (provenance and manifests included; the differing paths are
   reported), then the records are put back;
8. bare parse floor, K times: one process reading every record and parsing
   it with gene_records.records.parse_file, nothing written.

The records folder is left exactly as it was (bytes, names, file and folder
time stamps), also after an interruption: before a change is made, what
undoes it is written beside the folder (WORKDIR/records_N.saved/ holds the
original of the edited or removed file, WORKDIR/records_N.journal.json the
added file and the folders' time stamps), and the next start puts it back
before anything else.

It first times `snakemake --version` (the start-up every Snakemake command
pays on this machine). It then prints, ready to paste into the README, a
Markdown table of the figures (medians; the job counts of the change reruns
in brackets), one of the goals of issue 16 ("regeneration whose cost follows
the change"; GOALS below):

* changed / added / removed record rerun <= 8 s up to 20,000 records and
  <= 12 s up to 50,000; above 50,000 no more than 1.5x the figure at 20,000
  (the ratio is shown when 20,000 was measured in the same invocation);
* whole run <= 2x the bare parse floor at 20,000 to 50,000, <= 3x at every N;
* dry run and no-op rerun <= 5 s up to 50,000;
* peak RSS <= 2 GB (the largest over every Snakemake command: whole runs,
  dry runs, no-op and change reruns, the untimed ones included);
* and, kept from before, whole run <= 1.5x the in-process replay;

and a table of the seconds (and jobs) per rule at the largest N: whole run,
changed, added, removed (medians over the repeats; a rule without a benchmark
file shows its jobs only). Rule names come from Snakemake's job stats and the
benchmark folders, never from this file. Everything is written (with the raw
figures as JSON) to WORKDIR/scale_results.{md,json}. Each N's Snakemake logs
stay in WORKDIR/logs_N; its working folders are removed (--keep keeps them);
the generated records are kept for the next run (--drop-records removes them).

--hide-slurm-client puts a stub `scontrol` first on PATH: the Slurm executor
plugin (requirements-slurm.txt; `make test` installs it, `make run` does not)
runs `scontrol show config` whenever Snakemake starts, which takes ~9 s to fail
when the Slurm client is installed but no controller answers (as after
tests/slurm/stop.sh). With the option the figures are those of a machine
without Slurm. benchmarks/startup.py measures that start-up cost itself.

Run one benchmark at a time: the figures assume an otherwise idle machine (the
load average before each command is printed and kept in the JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "scripts"))

from generate_records import genular, generate  # noqa: E402

PYTHON = sys.executable
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
DOWNLOADS = REPO / "resources" / "tflink_downloads"

# Set by --hide-slurm-client (PATH with a stub `scontrol` first).
EXTRA_ENV: dict[str, str] = {}

CHANGES = ("changed", "added", "removed")

# The goals of issue 16 (and the earlier in-process one). Limits that hold up
# to a size are (largest N, limit) pairs, the first that covers N applies.
GOALS = {
    # rerun after one changed / added / removed record (s)
    "change_s": ((20_000, 8.0), (50_000, 12.0)),
    # above change_ratio_from records: the figure / the figure at change_ratio_base
    "change_ratio": 1.5,
    "change_ratio_base": 20_000,
    "change_ratio_from": 50_001,
    # whole run / bare parse floor: at every N, and within floor_tight_range
    "vs_floor": 3.0,
    "vs_floor_tight": 2.0,
    "vs_floor_tight_range": (20_000, 50_000),
    # dry run and no-op rerun (s), up to the size given
    "dry_run_s": ((50_000, 5.0),),
    "noop_s": ((50_000, 5.0),),
    "peak_rss_mb": 2048.0,
    # earlier goal: whole run / in-process replay
    "vs_inprocess": 1.5,
}


def goal_up_to(steps, n: int):
    """The limit of the first (largest N, limit) pair that covers ``n``, else None."""
    for top, limit in steps:
        if n <= top:
            return limit
    return None


def vs_floor_goal(n: int) -> float:
    lo, hi = GOALS["vs_floor_tight_range"]
    return GOALS["vs_floor_tight"] if lo <= n <= hi else GOALS["vs_floor"]


# A wrapper process: runs the command, then reports its wall time and the peak
# RSS of the largest process among its descendants (RUSAGE_CHILDREN covers
# every child and grandchild that was waited for, i.e. Snakemake and its jobs).
_MEASURE = """
import json, resource, subprocess, sys, time
out, log = sys.argv[1], sys.argv[2]
t = time.perf_counter()
with open(log, "w") as fh:
    rc = subprocess.call(sys.argv[3:], stdout=fh, stderr=subprocess.STDOUT)
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(out, "w") as fh:
    json.dump({"rc": rc, "wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "peak_rss_mb": ru.ru_maxrss / 1024}, fh)
"""

_REPLAY = """
import sys
sys.path.insert(0, {scripts!r})
from gene_records.cli import replay_calls
n = replay_calls({calls!r})
print("replayed", n, "step calls")
"""

_FLOOR = """
import sys
sys.path.insert(0, {scripts!r})
from gene_records.parse import discover
from gene_records.records import parse_file
n = 0
for path in discover([{records!r}]):
    parse_file(path)
    n += 1
print("parsed", n, "records")
"""


def measure(cmd: list[str], log: Path, cwd: Path | None = None, env: dict | None = None) -> dict:
    """Run ``cmd`` through the wrapper; return rc, wall_s, cpu_s (user +
    system of every process), peak_rss_mb and load (the 1-minute load average
    before the start: above the 2 cores' 2.0, other work was competing)."""
    out = log.with_suffix(".json")
    load = os.getloadavg()[0]
    # In a session of its own, so that an interrupted benchmark (Ctrl-C or a
    # kill) stops Snakemake and its jobs too before the records are put back.
    proc = subprocess.Popen(
        [PYTHON, "-c", _MEASURE, str(out), str(log), *cmd],
        cwd=cwd,
        env={**os.environ, "LC_ALL": "C.UTF-8", **EXTRA_ENV, **(env or {})},
        start_new_session=True,
    )
    try:
        rc = proc.wait()
    except BaseException:
        stop_group(proc)
        raise
    if rc != 0:
        raise subprocess.CalledProcessError(rc, proc.args)
    result = json.loads(out.read_text())
    result["load"] = load
    out.unlink()
    print(
        f"  {log.stem:18s} wall {result['wall_s']:7.1f} s  cpu {result['cpu_s']:7.1f} s  "
        f"peak RSS {result['peak_rss_mb']:6.0f} MB  (load before: {load:.1f})",
        flush=True,
    )
    return result


def stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM to the wrapper's process group (Snakemake stops its jobs), SIGKILL after 60 s."""
    for sig, wait in ((signal.SIGTERM, 60), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def require_ok(result: dict, what: str, log: Path) -> None:
    if result["rc"] != 0:
        tail = log.read_text(errors="replace")[-4000:]
        raise SystemExit(f"{what} failed (exit {result['rc']}); see {log}\n{tail}")


def job_count(log: Path) -> int | None:
    """The 'total N' line of Snakemake's job stats (None when nothing ran)."""
    m = re.search(r"^total\s+(\d+)\s*$", log.read_text(errors="replace"), re.MULTILINE)
    return int(m.group(1)) if m else None


def stats(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "values": values}


# ---- the records folder: generated once, changed, always put back --------


class RecordsGuard:
    """Changes to WORKDIR/records_N that can always be undone.

    Before a change, what undoes it is on disk beside the folder:
    records_N.saved/<rel> holds the original of an edited or removed file
    (moved back by :meth:`restore`), records_N.journal.json the added files
    (deleted) and the original time stamps of the folders whose entries
    change (set back). :meth:`restore` runs before anything else on every
    start, so an interrupted benchmark leaves nothing behind for long."""

    def __init__(self, records: Path):
        self.records = records
        self.saved = records.with_name(records.name + ".saved")
        self.journal = records.with_name(records.name + ".journal.json")
        self.legacy = records.with_name(records.name + ".edited")  # older versions of this file

    def _load(self) -> dict:
        if self.journal.exists():
            return json.loads(self.journal.read_text())
        return {"added": [], "dirs": {}}

    def _save(self, j: dict) -> None:
        tmp = self.journal.with_suffix(".tmp")
        tmp.write_text(json.dumps(j))
        os.replace(tmp, self.journal)

    def _note_dir(self, j: dict, folder: Path) -> None:
        rel = str(folder.relative_to(self.records))
        if rel not in j["dirs"]:
            st = folder.stat()
            j["dirs"][rel] = [st.st_atime_ns, st.st_mtime_ns]

    def _keep_original(self, path: Path, move: bool) -> None:
        """The original of ``path`` into records_N.saved/ (moved, or copied
        with its time stamps through a temporary name: a half-written copy is
        never taken for the original)."""
        rel = path.relative_to(self.records)
        dest = self.saved / rel
        if dest.exists():
            raise SystemExit(f"{dest} exists: an earlier change to {rel} was not undone")
        dest.parent.mkdir(parents=True, exist_ok=True)
        if move:
            os.replace(path, dest)
        else:
            tmp = dest.with_name(dest.name + ".partial")
            shutil.copy2(path, tmp)
            os.replace(tmp, dest)

    def edit(self, path: Path) -> None:
        """Append " (edited)" to the record's description (a content change a curator would make)."""
        original = path.read_bytes()
        j = self._load()
        self._note_dir(j, path.parent)  # moving the original back renames into it
        self._save(j)
        self._keep_original(path, move=False)
        edited, n = re.subn(rb"\nDescription: ([^\n]*)", rb"\nDescription: \1 (edited)", original, count=1)
        path.write_bytes(edited if n else original + b"\n")

    def remove(self, path: Path) -> None:
        j = self._load()
        self._note_dir(j, path.parent)
        self._save(j)
        self._keep_original(path, move=True)

    def add(self, template: Path, index: int) -> Path:
        """A new Genular record beside ``template``: its bytes with gene id
        900,000,000 + ``index`` and symbol GEN<index> (generate_records.genular:
        ``index`` >= N is an id no generated record has)."""
        path = template.with_name(f"genular_{index:06d}.txt")
        if path.exists():
            raise SystemExit(f"{path} exists already")
        data = genular(template.read_bytes(), index)
        j = self._load()
        self._note_dir(j, path.parent)
        j["added"].append(str(path.relative_to(self.records)))
        self._save(j)
        path.write_bytes(data)
        return path

    def restore(self) -> bool:
        """Undo every change; True when there was something to undo."""
        undone = False
        if self.legacy.exists():
            rel, _, data = self.legacy.read_bytes().partition(b"\n")
            (self.records / rel.decode()).write_bytes(data)
            self.legacy.unlink()
            undone = True
        j = self._load() if self.journal.exists() else None
        if j:
            for rel in j["added"]:
                (self.records / rel).unlink(missing_ok=True)
            undone = True
        if self.saved.exists():
            for p in sorted(self.saved.rglob("*")):
                if p.is_file():
                    if p.name.endswith(".partial"):
                        p.unlink()  # the original was never changed
                        continue
                    os.replace(p, self.records / p.relative_to(self.saved))
            shutil.rmtree(self.saved)
            undone = True
        if j:
            for rel, (atime, mtime) in j["dirs"].items():
                folder = self.records / rel
                if folder.is_dir():
                    os.utime(folder, ns=(atime, mtime))
            self.journal.unlink()
        return undone


def records_for(workdir: Path, n: int) -> Path:
    """WORKDIR/records_N, generated once (a sibling marker says it is complete).
    Changes left by an interrupted benchmark are undone first."""
    folder = workdir / f"records_{n}"
    done = workdir / f"records_{n}.done"
    if RecordsGuard(folder).restore():
        print(f"  put back the records changed by an interrupted run in {folder}", flush=True)
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        t = time.perf_counter()
        paths = generate(folder, n)
        done.write_text(f"{len(paths)}\n")
        print(f"  generated {len(paths)} records in {time.perf_counter() - t:.1f} s", flush=True)
    return folder


def snakemake_cmd(run_dir: Path, extra: list[str]) -> list[str]:
    return [
        SNAKEMAKE,
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(run_dir),
        "--configfile",
        str(run_dir / "config.yaml"),
        "--cores",
        "2",
        *extra,
    ]


def write_config(run_dir: Path, records: Path, overrides: dict) -> None:
    import yaml

    cfg = {"records": [str(records)], "tflink_downloads": [str(DOWNLOADS)], **overrides}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))


def fresh_dir(run_dir: Path, records: Path, overrides: dict) -> None:
    """An empty working folder holding only config.yaml."""
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    write_config(run_dir, records, overrides)


def tree_files(root: Path) -> dict[str, Path]:
    """Files under ``root`` by relative path, without the markers Snakemake
    puts in directory() outputs (.snakemake_timestamp)."""
    return {
        str(p.relative_to(root)): p
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".snakemake_timestamp"
    }


def compare_results(a: Path, b: Path) -> list[str]:
    """Relative paths that differ between two results/ folders (missing on either side included)."""
    fa, fb = tree_files(a), tree_files(b)
    diff = sorted(set(fa) ^ set(fb))
    for rel in sorted(set(fa) & set(fb)):
        pa, pb = fa[rel], fb[rel]
        if pa.stat().st_size != pb.stat().st_size or pa.read_bytes() != pb.read_bytes():
            diff.append(rel)
    return sorted(diff)


def genular_records(records: Path) -> list[Path]:
    paths = sorted((records / "genular").rglob("*.txt"))
    if len(paths) < 2:
        raise SystemExit(f"{records} holds fewer than 2 Genular records: use a larger N")
    return paths


def apply_change(kind: str, guard: RecordsGuard, n: int, extra_id: int = 0) -> None:
    """One change of ``kind`` to the records (undone by guard.restore()):
    changed: the first Genular record's description; added: a copy of that
    record with gene id 900,000,000 + N + extra_id; removed: the second
    Genular record moved out."""
    paths = genular_records(guard.records)
    if kind == "changed":
        guard.edit(paths[0])
    elif kind == "added":
        guard.add(paths[0], n + extra_id)
    elif kind == "removed":
        guard.remove(paths[1])
    else:
        raise ValueError(kind)


def batch_counts(n: int, records_per_batch: int | None) -> dict | None:
    """The number of parse batches at N, N + 1 and N - 1 records, when the
    workflow's library says (gene_records.parse.n_batches_for; None if it
    no longer exists): a change of it reshuffles every batch."""
    try:
        import yaml
        from gene_records.parse import n_batches_for

        per = records_per_batch or yaml.safe_load((REPO / "config" / "config.yaml").read_text())["records_per_batch"]
        return {"records_per_batch": per, "n": n_batches_for(n, per), "added": n_batches_for(n + 1, per), "removed": n_batches_for(n - 1, per)}
    except Exception:  # noqa: BLE001 - informative only
        return None


# ---- one N ----------------------------------------------------------------


def bench_one(n: int, workdir: Path, args) -> dict:
    print(f"N = {n}", flush=True)
    K = args.repeat
    records = records_for(workdir, n)
    guard = RecordsGuard(records)
    run_dir = workdir / f"run_{n}"
    replay_dir = workdir / f"replay_{n}"
    check_dir = workdir / f"check_{n}"
    logs = workdir / f"logs_{n}"
    for d in (run_dir, replay_dir, check_dir, logs):
        shutil.rmtree(d, ignore_errors=True)
    logs.mkdir(parents=True)
    overrides = {}
    if args.records_per_batch:
        overrides["records_per_batch"] = args.records_per_batch
    extra = ["--scheduler", args.scheduler] if args.scheduler else []
    r: dict = {"n": n, "repeat": K, "phases": {}, "stats": {}}
    batches = batch_counts(n, args.records_per_batch)
    if batches:
        r["batches"] = batches
        for kind in ("added", "removed"):
            if batches[kind] != batches["n"]:
                print(f"  note: one {kind} record changes the number of parse batches from {batches['n']} to {batches[kind]} (every batch reruns)", flush=True)

    def timed(key: str, phase: str, values: list[dict]) -> None:
        r["phases"][phase] = values
        r["stats"][key] = stats([v["wall_s"] for v in values])
        r[key] = r["stats"][key]["median"]

    # dry runs, each in a fresh folder
    runs = []
    for k in range(1, K + 1):
        fresh_dir(run_dir, records, overrides)
        log = logs / f"dryrun_{k}.log"
        res = measure(snakemake_cmd(run_dir, ["--dry-run", *extra]), log)
        require_ok(res, "dry run", log)
        runs.append(res)
    timed("dry_run_s", "dry run", runs)
    r["dry_run_rss_mb"] = max(v["peak_rss_mb"] for v in runs)
    r["jobs"] = job_count(logs / "dryrun_1.log")
    r["rules"] = rule_counts(logs / "dryrun_1.log")
    print(f"           {r['jobs']} jobs", flush=True)

    # whole runs, each in a fresh folder; the last one's folder stays
    runs, per_rule = [], []
    calls = logs / "calls.jsonl"
    for k in range(1, K + 1):
        fresh_dir(run_dir, records, overrides)
        calls.unlink(missing_ok=True)
        log = logs / f"run_{k}.log"
        res = measure(snakemake_cmd(run_dir, extra), log, env={"GENE_RECORDS_RECORD_CALLS": str(calls)})
        require_ok(res, "workflow run", log)
        runs.append(res)
        per_rule.append(rule_seconds(run_dir / "benchmarks"))
    timed("wall_s", "workflow run", runs)
    r["peak_rss_mb"] = max(v["peak_rss_mb"] for v in runs)
    r["rule_seconds"] = median_rules(per_rule)

    runs = []
    for k in range(1, K + 1):
        log = logs / f"noop_{k}.log"
        res = measure(snakemake_cmd(run_dir, extra), log)
        require_ok(res, "no-op rerun", log)
        runs.append(res)
    timed("noop_s", "no-op rerun", runs)
    r["noop_jobs"] = [job_count(logs / f"noop_{k}.log") or 0 for k in range(1, K + 1)]
    print(f"           {fmt_jobs(r['noop_jobs'])} jobs", flush=True)

    if not args.skip_replay:
        runs, diffs = [], []
        for k in range(1, K + 1):
            shutil.rmtree(replay_dir, ignore_errors=True)
            replay_dir.mkdir(parents=True)
            copy_planning_inputs(calls, run_dir, replay_dir)
            log = logs / f"replay_{k}.log"
            res = measure([PYTHON, "-c", _REPLAY.format(scripts=str(REPO / "scripts"), calls=str(calls))], log, cwd=replay_dir)
            require_ok(res, "in-process replay", log)
            runs.append(res)
            diffs.append(compare_results(run_dir / "results", replay_dir / "results"))
        timed("inprocess_s", "in-process replay", runs)
        r["inprocess_rss_mb"] = max(v["peak_rss_mb"] for v in runs)
        diff = sorted({p for d in diffs for p in d})
        r["replay_identical"] = not diff
        r["replay_differs"] = diff[:200]
        print(
            "           "
            + ("results byte-identical to the Snakemake run" if not diff else f"{len(diff)} files differ: {diff[:5]}"),
            flush=True,
        )
        if not args.keep:
            shutil.rmtree(replay_dir, ignore_errors=True)

    # one changed / added / removed record, K times each, from a clean state
    change_rss = []
    for kind in CHANGES:
        runs, per_rule, jobs = [], [], []
        for k in range(1, K + 1):
            log = logs / f"{kind}_{k}.log"
            try:
                apply_change(kind, guard, n)
                since = time.time()
                res = measure(snakemake_cmd(run_dir, extra), log)
                require_ok(res, f"one-{kind}-record rerun", log)
                per_rule.append(rule_seconds(run_dir / "benchmarks", since))
            finally:
                guard.restore()
            runs.append(res)
            jobs.append(job_count(log) or 0)
            r[f"{kind}_rules"] = rule_counts(log)
            print(f"           {jobs[-1]} jobs", flush=True)
            rlog = logs / f"{kind}_{k}_restore.log"
            res = measure(snakemake_cmd(run_dir, extra), rlog)
            require_ok(res, f"rerun after putting the {kind} record back (untimed)", rlog)
            change_rss.append(res["peak_rss_mb"])
        timed(f"{kind}_s", f"one-{kind}-record rerun", runs)
        r[f"{kind}_jobs"] = jobs
        r[f"{kind}_rule_seconds"] = median_rules(per_rule)
        change_rss += [v["peak_rss_mb"] for v in runs]
    r["max_rss_mb"] = max([r["peak_rss_mb"], r["dry_run_rss_mb"], *change_rss, *[v["peak_rss_mb"] for v in r["phases"]["no-op rerun"]]])

    if args.check_identical:
        try:
            for kind in CHANGES:
                apply_change(kind, guard, n, extra_id=1)
            log = logs / "check_rerun.log"
            res = measure(snakemake_cmd(run_dir, extra), log)
            require_ok(res, "rerun with all three changes (check)", log)
            r["check_rerun"] = res
            r["check_jobs"] = job_count(log) or 0
            print(f"           {r['check_jobs']} jobs", flush=True)
            fresh_dir(check_dir, records, overrides)
            log = logs / "check_full.log"
            res = measure(snakemake_cmd(check_dir, extra), log)
            require_ok(res, "whole run with all three changes (check)", log)
            r["check_full"] = res
        finally:
            guard.restore()
        r["max_rss_mb"] = max(r["max_rss_mb"], r["check_rerun"]["peak_rss_mb"], r["check_full"]["peak_rss_mb"])
        diff = compare_results(run_dir / "results", check_dir / "results")
        r["check_identical"] = not diff
        r["check_differs"] = diff[:200]
        r["check_n_differ"] = len(diff)
        print(
            "           "
            + ("rerun's results byte-identical to a whole run" if not diff else f"{len(diff)} files differ from a whole run: {diff[:20]}"),
            flush=True,
        )
        if args.keep:  # leave the kept folder up to date with the records
            log = logs / "check_restore.log"
            require_ok(measure(snakemake_cmd(run_dir, extra), log), "rerun after the check (untimed)", log)
        else:
            shutil.rmtree(check_dir, ignore_errors=True)

    if not args.skip_floor:
        runs = []
        for k in range(1, K + 1):
            log = logs / f"floor_{k}.log"
            res = measure([PYTHON, "-c", _FLOOR.format(scripts=str(REPO / "scripts"), records=str(records))], log)
            require_ok(res, "parse floor", log)
            runs.append(res)
        timed("floor_s", "parse floor", runs)
        r["floor_rss_mb"] = max(v["peak_rss_mb"] for v in runs)

    if not args.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return r


def copy_planning_inputs(calls: Path, run_dir: Path, replay_dir: Path) -> int:
    """Copy into the replay folder the inputs that planning, not a step,
    wrote: the relative paths under .snakemake/ that the recorded calls name
    (the parse batches' listings). Returns how many."""

    def strings(v):
        if isinstance(v, str):
            yield v
        elif isinstance(v, (list, tuple)):
            for x in v:
                yield from strings(x)
        elif isinstance(v, dict):
            for x in v.values():
                yield from strings(x)

    wanted = set()
    with open(calls, encoding="utf-8") as fh:
        for line in fh:
            wanted.update(s for s in strings(json.loads(line)["kwargs"]) if s.startswith(".snakemake/"))
    copied = 0
    for rel in sorted(wanted):
        src = run_dir / rel
        if src.is_file():
            (replay_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, replay_dir / rel)
            copied += 1
    return copied


def rule_seconds(bench_dir: Path, since: float = 0.0) -> dict[str, float]:
    """Wall seconds per rule (summed over its jobs) from the benchmark files
    of the rules that have one, counting only files written after ``since``."""
    out: dict[str, float] = {}
    for f in sorted(bench_dir.glob("*/*.tsv")):
        if f.stat().st_mtime < since:
            continue
        lines = f.read_text().splitlines()
        if len(lines) >= 2:
            out[f.parent.name] = out.get(f.parent.name, 0.0) + float(lines[-1].split("\t")[0])
    return out


def median_rules(runs: list[dict[str, float]]) -> dict[str, float]:
    """Per rule, the median over the repeats (0 s in a repeat where it did not run)."""
    rules = sorted({rule for run in runs for rule in run})
    return {rule: statistics.median([run.get(rule, 0.0) for run in runs]) for rule in rules}


def rule_counts(log: Path) -> dict[str, int]:
    """Snakemake's job stats in a log: {rule: count} ({} when nothing ran)."""
    text = log.read_text(errors="replace")
    m = re.search(r"Job stats:\n(.*?)^total", text, re.MULTILINE | re.DOTALL)
    out = {}
    if m:
        for line in m.group(1).splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                out[parts[0]] = int(parts[1])
    return out


# ---- tables ---------------------------------------------------------------


def fmt(v, spec=".1f") -> str:
    return "–" if v is None else format(v, spec)


def fmt_jobs(jobs) -> str:
    if not jobs:
        return "–"
    lo, hi = min(jobs), max(jobs)
    return str(lo) if lo == hi else f"{lo}–{hi}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def ok(v, goal) -> str:
    if v is None:
        return "–"
    if goal is None:
        return ""
    return "yes" if v <= goal else "**no**"


def verdict(v, goal, spec=".1f", suffix="") -> str:
    """``value verdict`` (no verdict where no goal applies at this N)."""
    if v is None:
        return "–"
    return f"{format(v, spec)}{suffix} {ok(v, goal)}".rstrip()


def tables(results: list[dict]) -> str:
    K = results[0]["repeat"]
    lines = [
        f"Medians of {K} (peak RSS: the largest of the {K} whole runs); [jobs] of the rerun.",
        "",
        "| N | jobs | whole run (s) | peak RSS (MB) | dry run (s) | no-op rerun (s) | 1 changed record (s) [jobs] | "
        "1 added record (s) [jobs] | 1 removed record (s) [jobs] | in-process (s) | parse floor (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['n']:,} | {r['jobs']} | {fmt(r['wall_s'])} | {fmt(r['peak_rss_mb'], '.0f')} | "
            f"{fmt(r['dry_run_s'])} | {fmt(r['noop_s'])} | "
            + " | ".join(f"{fmt(r.get(f'{kind}_s'))} [{fmt_jobs(r.get(f'{kind}_jobs'))}]" for kind in CHANGES)
            + f" | {fmt(r.get('inprocess_s'))} | {fmt(r.get('floor_s'))} |"
        )

    base_n = GOALS["change_ratio_base"]
    base = next((r for r in results if r["n"] == base_n), None)
    cs = GOALS["change_s"]
    change_goal = ", ".join(f"≤ {lim:g} s up to {top:,}" for top, lim in cs)
    lo, hi = GOALS["vs_floor_tight_range"]
    lines += [
        "",
        f"Goals (issue 16): a changed / added / removed record {change_goal}, and above "
        f"{GOALS['change_ratio_from'] - 1:,} ≤ {GOALS['change_ratio']:g}x the figure at {base_n:,} (shown as \"(1.2x {base_n // 1000}k)\" when {base_n:,} was measured too); "
        f"whole run ≤ {GOALS['vs_floor_tight']:g}x the parse floor at {lo:,}–{hi:,}, ≤ {GOALS['vs_floor']:g}x at every N; "
        f"dry run and no-op ≤ {GOALS['dry_run_s'][0][1]:g} s up to {GOALS['dry_run_s'][0][0]:,}; peak RSS ≤ 2 GB "
        f"(every whole run, dry run, no-op and change rerun); earlier goal: whole run ≤ {GOALS['vs_inprocess']:g}x in-process. "
        "No verdict where no goal applies at that N.",
        "",
        "| N | changed (s) | added (s) | removed (s) | whole / floor | dry run (s) | no-op (s) | peak RSS (MB) | "
        "whole / in-process | replay identical | rerun = whole run |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|:---:|",
    ]
    for r in results:
        n = r["n"]
        cells = []
        for kind in CHANGES:
            v = r.get(f"{kind}_s")
            cell = verdict(v, goal_up_to(cs, n))
            rb = ratio(v, base.get(f"{kind}_s")) if base is not None and n > base_n else None
            if rb is not None:
                verdict_rb = ok(rb, GOALS["change_ratio"] if n >= GOALS["change_ratio_from"] else None)
                cell += f" ({rb:.2f}x {base_n // 1000}k" + (f": {verdict_rb})" if verdict_rb else ")")
            cells.append(cell)
        vf = ratio(r["wall_s"], r.get("floor_s"))
        vi = ratio(r["wall_s"], r.get("inprocess_s"))
        ident = r.get("replay_identical")
        check = r.get("check_identical")
        cells += [
            verdict(vf, vs_floor_goal(n), ".2f", "x"),
            verdict(r["dry_run_s"], goal_up_to(GOALS["dry_run_s"], n)),
            verdict(r["noop_s"], goal_up_to(GOALS["noop_s"], n)),
            verdict(r.get("max_rss_mb"), GOALS["peak_rss_mb"], ".0f"),
            verdict(vi, GOALS["vs_inprocess"], ".2f", "x"),
            "–" if ident is None else ("yes" if ident else "**no**"),
            "–" if check is None else ("yes" if check else f"**no** ({r['check_n_differ']} files)"),
        ]
        lines.append(f"| {n:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def rule_table(r: dict) -> str:
    """Seconds [jobs] per rule at one N: whole run and the three change reruns."""
    rules = sorted(
        set(r["rules"]) | set(r["rule_seconds"]) | {x for kind in CHANGES for x in r.get(f"{kind}_rules", {})},
        key=lambda rule: (-r["rule_seconds"].get(rule, 0.0), rule),
    )

    def cell(seconds: dict, jobs: dict, rule: str) -> str:
        j = jobs.get(rule, 0)
        if rule not in seconds:
            return f"– [{j}]" if j else "–"
        return f"{seconds[rule]:.1f} [{j}]"

    lines = [
        f"Seconds per rule at N = {r['n']:,} (benchmark files, summed over the rule's jobs; medians of {r['repeat']}) [jobs]:",
        "",
        "| rule | whole run | 1 changed record | 1 added record | 1 removed record |",
        "|---|---:|---:|---:|---:|",
    ]
    for rule in rules:
        lines.append(
            f"| {rule} | {cell(r['rule_seconds'], r['rules'], rule)} | "
            + " | ".join(cell(r.get(f"{kind}_rule_seconds", {}), r.get(f"{kind}_rules", {}), rule) for kind in CHANGES)
            + " |"
        )
    total = sum(r["rule_seconds"].values())
    lines.append(
        f"| (sum) | {total:.1f} [{r['jobs']}] | "
        + " | ".join(
            f"{sum(r.get(f'{kind}_rule_seconds', {}).values()):.1f} [{fmt_jobs(r.get(f'{kind}_jobs'))}]" for kind in CHANGES
        )
        + " |"
    )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[1000, 20000, 50000, 150000], help="record counts")
    ap.add_argument("--repeat", type=int, default=3, metavar="K", help="times each timed phase is run (the median is reported; default 3)")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/gene-records-scale"))
    ap.add_argument("--records-per-batch", type=int, help="override the config default (granularity experiments)")
    ap.add_argument("--scheduler", help="override the profile's scheduler (e.g. ilp, greedy)")
    ap.add_argument("--skip-replay", action="store_true", help="do not run the in-process reference")
    ap.add_argument("--skip-floor", action="store_true", help="do not time the bare parse floor")
    ap.add_argument(
        "--check-identical",
        action="store_true",
        help="after the change phases, rerun with all three changes at once and compare every file of "
        "results/ with a whole run of the same records in a fresh folder (one more whole run per N)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the working folders of each N")
    ap.add_argument("--drop-records", action="store_true", help="remove the generated records at the end")
    ap.add_argument(
        "--hide-slurm-client",
        action="store_true",
        help="put a stub `scontrol` (exits 1 at once) first on PATH, as on a machine without Slurm: "
        "the Slurm executor plugin runs `scontrol show config` whenever Snakemake starts, which "
        "waits ~9 s when the client is installed but no controller answers",
    )
    args = ap.parse_args()
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if min(args.n) < 3:
        ap.error("--n must be at least 3 (the changes need two Genular records)")
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    if not os.access(SNAKEMAKE, os.X_OK):
        raise SystemExit(f"{SNAKEMAKE} not found: run `make setup` (or `make test`) first")
    # A plain kill (SIGTERM) unwinds like Ctrl-C, so that the records are put back at once.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if args.hide_slurm_client:
        stub = workdir / "stub_bin"
        stub.mkdir(exist_ok=True)
        (stub / "scontrol").write_text("#!/bin/sh\nexit 1\n")
        (stub / "scontrol").chmod(0o755)
        EXTRA_ENV["PATH"] = f"{stub}{os.pathsep}{os.environ.get('PATH', '')}"
    print("Snakemake start-up (snakemake --version):", flush=True)
    startup = measure([SNAKEMAKE, "--version"], workdir / "startup.log")["wall_s"]
    results = []
    for n in args.n:
        results.append(bench_one(n, workdir, args))
        (workdir / "scale_results.json").write_text(json.dumps(results, indent=1) + "\n")
    text = tables(results)
    text += (
        f"\n\nSnakemake start-up on this machine (`snakemake --version`, paid by every dry run, "
        f"no-op and rerun): {startup:.1f} s"
        + (" (stub `scontrol` first on PATH: --hide-slurm-client)" if args.hide_slurm_client else "")
    )
    text += "\n\n" + rule_table(max(results, key=lambda r: r["n"]))
    (workdir / "scale_results.md").write_text(text + "\n")
    print()
    print(text)
    if args.drop_records:
        for n in args.n:
            shutil.rmtree(workdir / f"records_{n}", ignore_errors=True)
            (workdir / f"records_{n}.done").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
