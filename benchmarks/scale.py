"""Scale benchmark: the whole workflow on N generated records, on 2 cores, measured.

    .venv/bin/python benchmarks/scale.py --n 1000 5000 20000 50000 --workdir /tmp/scale

For each N it

1. generates N realistic records (benchmarks/generate_records.py: the bundled
   real Genular, TFLink and GEISHA records templated with fresh ids, in thirds),
   cached in WORKDIR/records_N and reused by later runs;
2. times a dry run in a fresh working folder (every job pending: the DAG that a
   user waits for before anything runs) and counts its jobs;
3. runs the workflow (config: records=[WORKDIR/records_N],
   tflink_downloads=[resources/tflink_downloads], defaults otherwise; the
   default profile profiles/default is loaded by Snakemake itself) with every
   step call recorded (GENE_RECORDS_RECORD_CALLS), and measures wall time and
   peak RSS (the largest single process: getrusage(RUSAGE_CHILDREN) of a
   wrapper process around the command);
4. times a no-op rerun (nothing to do);
5. replays the recorded step calls in one process without Snakemake, in a
   fresh working folder (the in-process reference: wall time and peak RSS),
   and checks that it wrote byte-identical results;
6. changes one record's content (its description line), times the rerun and
   counts the jobs it ran, then puts the record back;
7. times the bare parse floor: one process reading every record and parsing it
   with gene_records.records.parse_file, nothing written.

It first times `snakemake --version` (the start-up every Snakemake command
pays on this machine). It then prints one Markdown table of the figures and one
of the ratios to the goals (end to end <= 1.5x in-process and <= 3x the floor;
dry run and no-op rerun <= 5 s; one changed record <= 15 s; peak RSS <= 2 GB),
ready to paste into the README, followed by the jobs per rule and the seconds
per rule (from the rules' benchmark files) at the largest N, and writes them
(with the raw figures as JSON) to WORKDIR/scale_results.{md,json}. Each N's
Snakemake logs and recorded calls stay in WORKDIR/logs_N; its working folders
are removed (--keep keeps them); the generated records are kept for the next
run (--drop-records removes them).

--hide-slurm-client puts a stub `scontrol` first on PATH: the Slurm executor
plugin (requirements-slurm.txt; `make test` installs it, `make run` does not)
runs `scontrol show config` whenever Snakemake starts, which takes ~9 s to fail
when the Slurm client is installed but no controller answers (as after
tests/slurm/stop.sh). With the option the figures are those of a machine
without Slurm. benchmarks/startup.py measures that start-up cost itself.

Run one benchmark at a time: the figures assume an otherwise idle machine (the
load average before each command is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "scripts"))

from generate_records import generate  # noqa: E402

PYTHON = sys.executable
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
DOWNLOADS = REPO / "resources" / "tflink_downloads"

# Set by --hide-slurm-client (PATH with a stub `scontrol` first).
EXTRA_ENV: dict[str, str] = {}

GOALS = {
    "vs_inprocess": 1.5,
    "vs_floor": 3.0,
    "dry_run_s": 5.0,
    "noop_s": 5.0,
    "changed_s": 15.0,
    "peak_rss_mb": 2048.0,
}

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
    subprocess.run(
        [PYTHON, "-c", _MEASURE, str(out), str(log), *cmd],
        cwd=cwd,
        env={**os.environ, "LC_ALL": "C.UTF-8", **EXTRA_ENV, **(env or {})},
        check=True,
    )
    result = json.loads(out.read_text())
    result["load"] = load
    out.unlink()
    print(
        f"  {log.stem:8s} wall {result['wall_s']:7.1f} s  cpu {result['cpu_s']:7.1f} s  "
        f"peak RSS {result['peak_rss_mb']:6.0f} MB  (load before: {load:.1f})",
        flush=True,
    )
    return result


def require_ok(result: dict, what: str, log: Path) -> None:
    if result["rc"] != 0:
        tail = log.read_text(errors="replace")[-4000:]
        raise SystemExit(f"{what} failed (exit {result['rc']}); see {log}\n{tail}")


def job_count(log: Path) -> int | None:
    """The 'total N' line of Snakemake's job stats (None when nothing ran)."""
    m = re.search(r"^total\s+(\d+)\s*$", log.read_text(errors="replace"), re.MULTILINE)
    return int(m.group(1)) if m else None


def records_for(workdir: Path, n: int) -> Path:
    """WORKDIR/records_N, generated once (a sibling marker says it is complete).
    A record left edited by an interrupted benchmark is put back first."""
    folder = workdir / f"records_{n}"
    done = workdir / f"records_{n}.done"
    backup = workdir / f"records_{n}.edited"
    if backup.exists():
        rel, _, data = backup.read_bytes().partition(b"\n")
        (folder / rel.decode()).write_bytes(data)
        backup.unlink()
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
    return diff


def change_one_record(records: Path) -> tuple[Path, bytes]:
    """Edit one Genular record's description (a content change a curator would
    make); return its path and original bytes so that it can be put back (a
    copy waits in records_N.edited until then)."""
    path = sorted((records / "genular").rglob("*.txt"))[0]
    original = path.read_bytes()
    backup = records.with_name(records.name + ".edited")
    backup.write_bytes(str(path.relative_to(records)).encode() + b"\n" + original)
    edited, n = re.subn(rb"\nDescription: ([^\n]*)", rb"\nDescription: \1 (edited)", original, count=1)
    if n == 0:
        edited = original + b"\n"
    path.write_bytes(edited)
    return path, original


def bench_one(n: int, workdir: Path, args) -> dict:
    print(f"N = {n}", flush=True)
    records = records_for(workdir, n)
    run_dir = workdir / f"run_{n}"
    replay_dir = workdir / f"replay_{n}"
    logs = workdir / f"logs_{n}"
    for d in (run_dir, replay_dir, logs):
        shutil.rmtree(d, ignore_errors=True)
    run_dir.mkdir(parents=True)
    logs.mkdir(parents=True)
    overrides = {}
    if args.records_per_batch:
        overrides["records_per_batch"] = args.records_per_batch
    write_config(run_dir, records, overrides)
    extra = ["--scheduler", args.scheduler] if args.scheduler else []
    calls = logs / "calls.jsonl"
    r: dict = {"n": n, "phases": {}}

    log = logs / "dryrun.log"
    res = measure(snakemake_cmd(run_dir, ["--dry-run", *extra]), log)
    require_ok(res, "dry run", log)
    r["phases"]["dry run"] = res
    r["dry_run_s"] = res["wall_s"]
    r["dry_run_rss_mb"] = res["peak_rss_mb"]
    r["jobs"] = job_count(log)
    print(f"           {r['jobs']} jobs", flush=True)

    log = logs / "run.log"
    res = measure(snakemake_cmd(run_dir, extra), log, env={"GENE_RECORDS_RECORD_CALLS": str(calls)})
    require_ok(res, "workflow run", log)
    r["phases"]["workflow run"] = res
    r["wall_s"] = res["wall_s"]
    r["peak_rss_mb"] = res["peak_rss_mb"]
    r["rule_seconds"] = rule_seconds(run_dir / "benchmarks")

    log = logs / "noop.log"
    res = measure(snakemake_cmd(run_dir, extra), log)
    require_ok(res, "no-op rerun", log)
    r["phases"]["no-op rerun"] = res
    r["noop_s"] = res["wall_s"]
    r["noop_jobs"] = job_count(log) or 0
    print(f"           {r['noop_jobs']} jobs", flush=True)

    if not args.skip_replay:
        replay_dir.mkdir(parents=True)
        log = logs / "replay.log"
        res = measure([PYTHON, "-c", _REPLAY.format(scripts=str(REPO / "scripts"), calls=str(calls))], log, cwd=replay_dir)
        require_ok(res, "in-process replay", log)
        r["phases"]["in-process replay"] = res
        r["inprocess_s"] = res["wall_s"]
        r["inprocess_rss_mb"] = res["peak_rss_mb"]
        diff = compare_results(run_dir / "results", replay_dir / "results")
        r["replay_identical"] = not diff
        r["replay_differs"] = diff[:20]
        print(
            "           "
            + ("results byte-identical to the Snakemake run" if not diff else f"{len(diff)} files differ: {diff[:5]}"),
            flush=True,
        )
        if not args.keep:
            shutil.rmtree(replay_dir, ignore_errors=True)

    path, original = change_one_record(records)
    try:
        since = time.time()
        log = logs / "changed.log"
        res = measure(snakemake_cmd(run_dir, extra), log)
        require_ok(res, "one-changed-record rerun", log)
        r["phases"]["one-changed-record rerun"] = res
        r["changed_s"] = res["wall_s"]
        r["changed_jobs"] = job_count(log)
        r["changed_rule_seconds"] = rule_seconds(run_dir / "benchmarks", since)
        print(f"           {r['changed_jobs']} jobs", flush=True)
    finally:
        path.write_bytes(original)
        records.with_name(records.name + ".edited").unlink(missing_ok=True)

    if not args.skip_floor:
        log = logs / "floor.log"
        res = measure([PYTHON, "-c", _FLOOR.format(scripts=str(REPO / "scripts"), records=str(records))], log)
        require_ok(res, "parse floor", log)
        r["phases"]["parse floor"] = res
        r["floor_s"] = res["wall_s"]
        r["floor_rss_mb"] = res["peak_rss_mb"]

    r["rules"] = rule_counts(logs / "dryrun.log")
    if not args.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return r


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


def rule_counts(log: Path) -> dict[str, int]:
    """Job stats of the dry run: {rule: count}."""
    text = log.read_text(errors="replace")
    m = re.search(r"Job stats:\n(.*?)^total", text, re.MULTILINE | re.DOTALL)
    out = {}
    if m:
        for line in m.group(1).splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                out[parts[0]] = int(parts[1])
    return out


def fmt(v, spec=".1f") -> str:
    return "–" if v is None else format(v, spec)


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def tables(results: list[dict]) -> str:
    lines = [
        "| N | jobs | wall (s) | peak RSS (MB) | dry run (s) | no-op rerun (s) | 1 changed record (s) [jobs] | in-process (s) | in-process RSS (MB) | parse floor (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['n']:,} | {r['jobs']} | {fmt(r['wall_s'])} | {fmt(r['peak_rss_mb'], '.0f')} | "
            f"{fmt(r['dry_run_s'])} | {fmt(r['noop_s'])} | {fmt(r['changed_s'])} [{r.get('changed_jobs')}] | "
            f"{fmt(r.get('inprocess_s'))} | {fmt(r.get('inprocess_rss_mb'), '.0f')} | {fmt(r.get('floor_s'))} |"
        )
    lines += [
        "",
        "| N | wall / in-process (goal ≤ 1.5) | wall / floor (goal ≤ 3) | dry run ≤ 5 s | no-op ≤ 5 s | changed ≤ 15 s | peak RSS ≤ 2 GB | replay identical |",
        "|---:|---:|---:|:---:|:---:|:---:|:---:|:---:|",
    ]

    def ok(v, goal):
        return "–" if v is None else ("yes" if v <= goal else "**no**")

    for r in results:
        vi = ratio(r["wall_s"], r.get("inprocess_s"))
        vf = ratio(r["wall_s"], r.get("floor_s"))
        ident = r.get("replay_identical")
        lines.append(
            f"| {r['n']:,} | {fmt(vi, '.2f')} {ok(vi, GOALS['vs_inprocess'])} | {fmt(vf, '.2f')} {ok(vf, GOALS['vs_floor'])} | "
            f"{ok(r['dry_run_s'], GOALS['dry_run_s'])} | {ok(r['noop_s'], GOALS['noop_s'])} | "
            f"{ok(r['changed_s'], GOALS['changed_s'])} | {ok(r['peak_rss_mb'], GOALS['peak_rss_mb'])} | "
            f"{'–' if ident is None else ('yes' if ident else '**no**')} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[1000, 5000, 20000, 50000], help="record counts")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/gene-records-scale"))
    ap.add_argument("--records-per-batch", type=int, help="override the config default (granularity experiments)")
    ap.add_argument("--scheduler", help="override the profile's scheduler (e.g. ilp, greedy)")
    ap.add_argument("--skip-replay", action="store_true", help="do not run the in-process reference")
    ap.add_argument("--skip-floor", action="store_true", help="do not time the bare parse floor")
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
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    if not os.access(SNAKEMAKE, os.X_OK):
        raise SystemExit(f"{SNAKEMAKE} not found: run `make setup` (or `make test`) first")
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
    rules = sorted({rule for r in results for rule in r["rules"]})
    text += "\n\nStages run (jobs per rule at the largest N): " + ", ".join(
        f"{rule} {results[-1]['rules'].get(rule, 0)}" for rule in rules
    )
    last = results[-1]
    text += f"\n\nSeconds per rule at N = {last['n']:,} (benchmark files; full run / one changed record): " + ", ".join(
        f"{rule} {sec:.1f} / {last.get('changed_rule_seconds', {}).get(rule, 0.0):.1f}"
        for rule, sec in sorted(last["rule_seconds"].items(), key=lambda kv: -kv[1])
    )
    (workdir / "scale_results.md").write_text(text + "\n")
    print()
    print(text)
    if args.drop_records:
        for n in args.n:
            shutil.rmtree(workdir / f"records_{n}", ignore_errors=True)
            (workdir / f"records_{n}.done").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
