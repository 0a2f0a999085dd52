"""write_provenance after one changed record, with and without its hash cache.

    .venv/bin/python benchmarks/provenance_rerun.py --n 20000 --runs 3 --workdir /tmp/prov

It generates N records (benchmarks/generate_records.py, kept in
WORKDIR/records_N), runs the workflow once, then RUNS times: edits one record
(another one each time), reruns everything but write_provenance (snakemake
--omit-from write_provenance: the state a real rerun leaves for it), and times
the step's library call in fresh processes on that same state, alternately:

- ``full read``: no cache, every file read (what every run did before the cache);
- ``cached``: with the hash cache the previous provenance run left.

Both manifests must be byte-identical (checked). The cached call's cache is
kept for the next round, as in a real rerun. Prints the wall and CPU seconds
of each call and the medians, and the step's cache summary (files and MB read).
Figures assume an otherwise idle machine (the load average is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from generate_records import generate  # noqa: E402

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
CACHE = ".snakemake/gene_records/provenance_hash_cache.tsv"

# One call of the step in a fresh process: argv = name, hash cache ("" for none).
STEP = """
import json, logging, sys, time, yaml
from gene_records.provenance import write_provenance
name, cache = sys.argv[1], sys.argv[2]
logging.getLogger("gene_records").addHandler(logging.StreamHandler(sys.stderr))
logging.getLogger("gene_records").setLevel(logging.INFO)
cfg = yaml.safe_load(open("config.yaml"))
w, c = time.perf_counter(), time.process_time()
write_provenance(
    records="results/tables/records.tsv", rejected="results/qc/rejected_records.tsv", outputs=[],
    manifest=f"results/provenance/bench_{name}.tsv", versions=f"results/provenance/bench_{name}.versions.tsv",
    config=cfg, tflink_downloads=cfg["tflink_downloads"], interaction_tables=cfg.get("interaction_tables", []),
    hash_cache=cache,
)
print(json.dumps({"wall": time.perf_counter() - w, "cpu": time.process_time() - c}))
"""


def snakemake(run: Path, *extra: str) -> None:
    cmd = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-d", str(run), "--configfile", str(run / "config.yaml")]
    proc = subprocess.run([*cmd, "--cores", "2", *extra], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"snakemake failed:\n{proc.stderr[-3000:]}")


def step(run: Path, name: str, cache: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO / "scripts")}
    proc = subprocess.run([sys.executable, "-c", STEP, name, cache], cwd=run, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"write_provenance failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.splitlines()[-1])
    out["summary"] = [line for line in proc.stderr.splitlines() if line.startswith("hash cache: ")][-1]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", type=Path, required=True)
    args = ap.parse_args()
    work = args.workdir.resolve()
    records = work / f"records_{args.n}"
    if not (work / f"records_{args.n}.done").exists():
        shutil.rmtree(records, ignore_errors=True)
        generate(records, args.n)
        (work / f"records_{args.n}.done").write_text("done\n")
    run = work / f"provenance_{args.n}"
    run.mkdir(parents=True, exist_ok=True)
    downloads = REPO / "resources" / "tflink_downloads"
    (run / "config.yaml").write_text(f"records: [{records}]\ntflink_downloads: [{downloads}]\n")
    print(f"N = {args.n}: full run", flush=True)
    snakemake(run)
    genular = sorted((records / "genular").rglob("*.txt"))
    figures: dict[str, list[dict]] = {"full read": [], "cached": []}
    for i in range(args.runs):
        path = genular[(i + 1) * len(genular) // (args.runs + 1)]
        data = path.read_bytes()
        path.write_bytes(re.sub(rb"\nDescription: ([^\n]*)", rb"\nDescription: \1 (edited)", data, count=1))
        snakemake(run, "--omit-from", "write_provenance")
        load = os.getloadavg()[0]
        full = step(run, "full", "")
        cached = step(run, "cached", CACHE)
        a = (run / "results/provenance/bench_full.tsv").read_bytes()
        b = (run / "results/provenance/bench_cached.tsv").read_bytes()
        assert a == b, "the manifests differ"
        figures["full read"].append(full)
        figures["cached"].append(cached)
        print(
            f"  run {i + 1} (load {load:.2f}): full read {full['wall']:.2f} s wall / {full['cpu']:.2f} s CPU, "
            f"cached {cached['wall']:.2f} s / {cached['cpu']:.2f} s; manifests identical",
            flush=True,
        )
        print(f"    full read: {full['summary']}\n    cached:    {cached['summary']}", flush=True)
        snakemake(run)  # the real write_provenance, so that the next round starts from a finished run
    for name, runs in figures.items():
        wall = statistics.median(r["wall"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        print(f"{name}: median {wall:.2f} s wall, {cpu:.2f} s CPU ({args.runs} runs)")


if __name__ == "__main__":
    main()
