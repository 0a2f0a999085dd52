"""Run two versions of the workflow on the same inputs and diff every results/ file by sha256.

    .venv/bin/python benchmarks/compare_results.py --inputs bundled --workdir /tmp/cmp
    .venv/bin/python benchmarks/compare_results.py --inputs corpus --corpus ../shared/corpus --workdir /tmp/cmp
    .venv/bin/python benchmarks/compare_results.py --inputs /tmp/records_20000 --workdir /tmp/cmp

Each side is a ``git archive`` copy of a commit (``--base``, default ``main``;
``--new``, default ``HEAD``; ``--new worktree`` copies this working tree's
tracked files as they are on disk instead), so that both run outside a git
checkout and write the same ``gene-records git commit`` (``unknown``) in
``results/provenance/versions.tsv``. Both get one config: absolute input paths
(the same files for both sides), the inputs' ``on_bad_record``, the rest
defaults. Each side runs ``snakemake --cores 2`` from its own copy (its own
``scripts/gene_records`` first on PYTHONPATH, as rules/common.smk arranges) in
its own working folder; then the sha256 of every file under ``results/`` is
compared. The script prints the files that differ or exist on one side only
and exits 1 when there is any; the per-rule seconds of both runs (the rules'
benchmark files) are printed too (one run each: noisy on a shared machine).

Inputs: ``bundled`` (resources/records, resources/tflink_downloads),
``corpus`` (the corpus's seeds/, tflink/ and geisha/ records, its
tflink_downloads/, ``on_bad_record: skip``), or a folder of records (e.g. from
benchmarks/generate_records.py; the bundled TFLink downloads).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


def export_tree(ref: str, dest: Path) -> None:
    """A copy of ``ref`` (a commit, or ``worktree``: the tracked files on disk) at ``dest``."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    if ref == "worktree":
        files = subprocess.run(
            ["git", "-C", str(REPO), "ls-files", "-z"], check=True, capture_output=True
        ).stdout.split(b"\0")
        for name in filter(None, files):
            src = REPO / os.fsdecode(name)
            if src.is_file():
                (dest / os.fsdecode(name)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest / os.fsdecode(name))
        return
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)


def config_for(inputs: str, corpus: Path) -> dict:
    if inputs == "bundled":
        return {
            "records": [str(REPO / "resources" / "records")],
            "tflink_downloads": [str(REPO / "resources" / "tflink_downloads")],
        }
    if inputs == "corpus":
        return {
            "records": [str(corpus / d) for d in ("seeds", "tflink", "geisha")],
            "tflink_downloads": [str(corpus / "tflink_downloads")],
            "on_bad_record": "skip",
        }
    return {
        "records": [str(Path(inputs).resolve())],
        "tflink_downloads": [str(REPO / "resources" / "tflink_downloads")],
    }


def sha256_tree(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != ".snakemake_timestamp":
            h = hashlib.sha256()
            with open(p, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            out[str(p.relative_to(root))] = h.hexdigest()
    return out


def rule_seconds(run_dir: Path) -> dict[str, float]:
    """Seconds per rule, summed over its jobs (the rules' benchmark files)."""
    out: dict[str, float] = {}
    bench = run_dir / "benchmarks"
    for tsv in sorted(bench.glob("*/*.tsv")) if bench.is_dir() else []:
        with open(tsv, newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        if rows:
            out[tsv.parent.name] = out.get(tsv.parent.name, 0.0) + float(rows[-1]["s"])
    return out


def run_side(tree: Path, run_dir: Path, config: dict, env: dict) -> float:
    import yaml

    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    cmd = [SNAKEMAKE, "-s", str(tree / "Snakefile"), "-d", str(run_dir),
           "--configfile", str(run_dir / "config.yaml"), "--cores", "2"]
    t = time.perf_counter()
    with open(run_dir.parent / f"{run_dir.name}.log", "w") as log:
        rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env).returncode
    if rc:
        sys.exit(f"snakemake failed in {run_dir} (exit {rc}): see {run_dir.parent / (run_dir.name + '.log')}")
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", required=True, help="bundled, corpus, or a folder of records")
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    ap.add_argument("--base", default="main", help="commit of the reference side (default main)")
    ap.add_argument("--new", default="HEAD", help="commit of the side under test, or `worktree` (default HEAD)")
    ap.add_argument("--workdir", type=Path, required=True)
    ap.add_argument("--keep", action="store_true", help="keep both working folders")
    args = ap.parse_args()
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    config = config_for(args.inputs, args.corpus.resolve())
    # A stub scontrol: the Slurm plugin's start-up probe waits ~9 s without a controller.
    stub = work / "stub-bin"
    stub.mkdir(exist_ok=True)
    (stub / "scontrol").write_text("#!/bin/sh\nexit 1\n")
    (stub / "scontrol").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PATH"] = f"{stub}{os.pathsep}{env.get('PATH', '')}"
    sums, seconds = {}, {}
    # each side's commit, fixed now (a branch that moves during the run does not change it)
    refs = {side: ref if ref == "worktree" else subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--verify", f"{ref}^{{commit}}"], check=True, capture_output=True, text=True
    ).stdout.strip() for side, ref in (("base", args.base), ("new", args.new))}
    print(f"base {args.base} = {refs['base']}, new {args.new} = {refs['new']}", flush=True)
    for side, ref in refs.items():
        tree = work / f"tree-{side}"
        export_tree(ref, tree)
        run_dir = work / f"run-{side}"
        wall = run_side(tree, run_dir, config, env)
        sums[side] = sha256_tree(run_dir / "results")
        seconds[side] = rule_seconds(run_dir)
        print(f"{side} ({ref}): {len(sums[side])} files under results/, {wall:.1f} s wall", flush=True)
    base, new = sums["base"], sums["new"]
    differ = sorted(set(base) ^ set(new)) + sorted(k for k in set(base) & set(new) if base[k] != new[k])
    print("\nseconds per rule (one run each):")
    for rule in sorted(set(seconds["base"]) | set(seconds["new"])):
        print(f"  {rule:28s} {seconds['base'].get(rule, float('nan')):8.2f} {seconds['new'].get(rule, float('nan')):8.2f}")
    if not args.keep:
        for side in ("base", "new"):
            shutil.rmtree(work / f"run-{side}", ignore_errors=True)
    if differ:
        print(f"\n{len(differ)} of {len(set(base) | set(new))} files differ:")
        for rel in differ:
            print(f"  {rel}: {base.get(rel, 'missing')[:12]} {new.get(rel, 'missing')[:12]}")
        sys.exit(1)
    print(f"\nidentical: all {len(base)} files under results/ have the same sha256")


if __name__ == "__main__":
    main()
