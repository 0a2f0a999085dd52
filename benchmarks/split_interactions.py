"""Benchmark: a whole-organism TFLink table through the interaction steps, in both cell settings.

    .venv/bin/python benchmarks/split_interactions.py --rows 5000000 --workdir /tmp/split_bench --repeat 3

1. Generates whole-organism tables (gene_records.interactions.synth: 15
   TFLink columns, 1,500 TFs with skewed sizes, 20,000 proteins, random row
   order), cached in WORKDIR and reused by later runs, in the two settings of
   the multi-valued cells (``--cells``, default both):
   * ``realistic``: the ten evidence combinations of a human table, every
     pair once (~190 bytes a row, so 5,000,000 rows are ~960 MB);
   * ``diverse``: per-row sources, methods and unsorted PubMed lists (nearly
     every PubMed cell distinct), a fifth of the rows repeating a pair
     (~240 bytes a row): what a normaliser that only works well on a few
     distinct values cannot hide.
   Nothing is written into the repository.
2. Runs, per setting, in the same run and alternating, --repeat times each:
   * the reference: ``LC_ALL=C sort -t TAB -k1,1 TABLE | mawk`` writing one
     file per TF (the awk closes each file when its key changes), and the same
     with ``-k2,2`` per target (two processes joined by a pipe, no shell);
   * the workflow's steps as Snakemake runs them (their entry scripts, on the
     command line, threads=2): normalise_interaction_table (normalise the
     table into its sorted partial), merge_interactions (merge the partials
     into interactions.tsv; the pages' and downloads' partials are empty) and
     split_interactions (per-TF and per-target files, index).
3. Prints, per setting, the median wall time, CPU time (user+sys of the
   process tree) and peak RSS (the largest sum of the RSS of the process
   tree, sampled every 50 ms), the ratios to the reference (goal: the whole
   path, table -> every output, <= 1.5x, peak RSS <= 2x the table's size) and
   checks the outputs (one file per TF and per target; every pair in both
   splits).

Run it on an otherwise idle machine: the figures are wall times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from gene_records.interactions import normalise_downloads, table_key  # noqa: E402
from gene_records.interactions.synth import generate_table  # noqa: E402
from gene_records.tables import BATCH_PAGE_REJECTS, BATCH_PAGES  # noqa: E402

PYTHON = sys.executable
AWK = shutil.which("mawk") or shutil.which("awk")
AWK_SPLIT = '{ if ($%d != prev) { if (prev != "") close(out); prev = $%d; out = d "/" $%d ".tsv" } print > out }'


def measure(cmds: list[list[str]], env: dict | None = None) -> dict:
    """Run commands joined by pipes (no shell); wall time, CPU time and peak RSS of the tree."""
    env = {**os.environ, **(env or {})}
    t0 = time.perf_counter()
    procs = []
    prev_out = None
    for i, cmd in enumerate(cmds):
        last = i == len(cmds) - 1
        p = subprocess.Popen(cmd, stdin=prev_out, stdout=None if last else subprocess.PIPE, env=env)
        if prev_out is not None:
            prev_out.close()
        prev_out = p.stdout
        procs.append(p)
    peak = 0
    roots = [psutil.Process(p.pid) for p in procs]
    while any(p.poll() is None for p in procs):
        rss = 0
        for r in roots:
            try:
                tree = [r] + r.children(recursive=True)
            except psutil.Error:
                continue
            for q in tree:
                try:
                    rss += q.memory_info().rss
                except psutil.Error:
                    pass
        peak = max(peak, rss)
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    for p in procs:
        if p.wait() != 0:
            raise SystemExit(f"failed ({p.returncode}): {' '.join(cmds[0])[:200]}")
    return {"wall": wall, "peak_rss": peak}


def run_measured(cmds, env=None) -> dict:
    """:func:`measure` plus the CPU time (user + sys) of the finished process tree."""
    before = os.times()
    m = measure(cmds, env)
    after = os.times()
    m["cpu"] = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return m


def reference(table: Path, out: Path, column: int) -> dict:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    sort = ["sort", "-t", "\t", f"-k{column},{column}", str(table)]
    # The header line sorts in among the rows; the awk drops it by content.
    awk = [AWK, "-F", "\t", "-v", f"d={out}", '$1 != "UniprotID.TF" ' + AWK_SPLIT % (column, column, column)]
    return run_measured([sort, awk], env={"LC_ALL": "C"})


def empty_partials(work: Path) -> dict[str, str]:
    """The pages' and downloads' partials of a run without pages or downloads."""
    p = work / "partials"
    p.mkdir(parents=True, exist_ok=True)
    (p / "pages.rows").write_bytes(b"")
    BATCH_PAGES.write(str(p / "pages.tsv"), [])
    BATCH_PAGE_REJECTS.write(str(p / "pages.rejects"), [])
    normalise_downloads([], str(p / "downloads.rows"), str(p / "downloads.rejects"))
    return {k: str(p / f) for k, f in (("page_rows", "pages.rows"), ("pages", "pages.tsv"),
                                          ("page_rejects", "pages.rejects"), ("download_rows", "downloads.rows"),
                                          ("download_rejects", "downloads.rejects"))}


def table_partial(table: Path, work: Path) -> dict[str, str]:
    key = table_key(str(table))
    return {k: str(work / "results" / "parsed" / f"table_{key}.{k}.tsv") for k in ("rows", "rejects", "counts")}


def workflow_normalise(table: Path, work: Path, sort_mb: int, threads: int) -> dict:
    if work.exists():
        shutil.rmtree(work)
    (work / "results" / "parsed").mkdir(parents=True)
    part = table_partial(table, work)
    cmd = [
        PYTHON,
        str(REPO / "scripts" / "normalise_interaction_table.py"),
        f"table={table}",
        f"rows={part['rows']}",
        f"rejects={part['rejects']}",
        f"counts={part['counts']}",
        f"sort_memory_mb={sort_mb}",
        f"threads={threads}",
        f"log={work}/normalise.log",
    ]
    return run_measured([cmd], env={"PYTHONPATH": str(REPO / "scripts")})


def workflow_merge(table: Path, work: Path, sort_mb: int, threads: int) -> dict:
    (work / "results" / "tables").mkdir(parents=True, exist_ok=True)
    (work / "results" / "qc").mkdir(parents=True, exist_ok=True)
    empty = empty_partials(work)
    part = table_partial(table, work)
    r = work / "results"
    cmd = [
        PYTHON,
        str(REPO / "scripts" / "merge_interactions.py"),
        *(f"{k}={v}" for k, v in empty.items()),
        f"table_rows={part['rows']}",
        f"table_rejects={part['rejects']}",
        f"table_counts={part['counts']}",
        f"tables={table}",
        f"interactions={r}/tables/interactions.tsv",
        f"missing_downloads={r}/qc/missing_downloads.tsv",
        f"rejected={r}/qc/rejected_interactions.tsv",
        f"conflicts={r}/qc/interaction_conflicts.tsv",
        f"summary={r}/qc/interactions_summary.tsv",
        f"sort_memory_mb={sort_mb}",
        f"threads={threads}",
        f"log={work}/merge.log",
    ]
    return run_measured([cmd], env={"PYTHONPATH": str(REPO / "scripts")})


def workflow_split(work: Path, sort_mb: int, threads: int) -> dict:
    r = work / "results"
    for d in ("by_tf", "by_target"):
        if (r / "tf_targets" / d).exists():
            shutil.rmtree(r / "tf_targets" / d)
    cmd = [
        PYTHON,
        str(REPO / "scripts" / "split_interactions.py"),
        f"interactions={r}/tables/interactions.tsv",
        f"by_tf={r}/tf_targets/by_tf",
        f"by_target={r}/tf_targets/by_target",
        f"index={r}/tf_targets/index.tsv",
        f"sort_memory_mb={sort_mb}",
        f"threads={threads}",
        f"log={work}/split.log",
    ]
    return run_measured([cmd], env={"PYTHONPATH": str(REPO / "scripts")})


def check(work: Path, ref_tf: Path, ref_tg: Path, rows: int) -> list[str]:
    """``rows``: the distinct pairs of the table."""
    r = work / "results"
    notes = []
    n_tf = len(os.listdir(r / "tf_targets" / "by_tf"))
    n_tg = len(os.listdir(r / "tf_targets" / "by_target"))
    if n_tf != len(os.listdir(ref_tf)) or n_tg != len(os.listdir(ref_tg)):
        notes.append(
            f"FILE COUNTS DIFFER: workflow {n_tf}/{n_tg}, reference {len(os.listdir(ref_tf))}/{len(os.listdir(ref_tg))}"
        )
    totals = {"tf": 0, "target": 0}
    with open(r / "tf_targets" / "index.tsv") as fh:
        next(fh)
        for line in fh:
            c = line.rstrip("\n").split("\t")
            totals[c[2]] += int(c[3])
    with open(r / "tables" / "interactions.tsv", "rb") as fh:
        n_rows = sum(1 for _ in fh) - 1
    if not (n_rows == totals["tf"] == totals["target"] == rows):
        notes.append(
            f"ROW COUNTS DIFFER: table {rows}, interactions {n_rows}, by_tf {totals['tf']}, by_target {totals['target']}"
        )
    notes.append(f"{n_tf} TF files, {n_tg} target files, {n_rows} rows in each split")
    return notes


def bench_setting(args, workdir: Path, cells: str) -> None:
    suffix = "" if cells == "realistic" else f"_{cells}"
    table = workdir / f"TFLink_synthetic_{args.rows}_{args.tfs}_{args.proteins}{suffix}.tsv"
    info_path = table.with_suffix(".json")
    if not table.exists() or not info_path.exists():
        t0 = time.perf_counter()
        info = generate_table(str(table) + ".part", args.rows, args.tfs, args.proteins, seed=1, cells=cells)
        os.replace(str(table) + ".part", table)
        info_path.write_text(json.dumps(info))
        print(
            f"generated {table} ({info['rows']} rows, {info['pairs']} pairs, {info['tfs']} TFs, "
            f"{info['targets']} targets) in {time.perf_counter() - t0:.1f} s"
        )
    info = json.loads(info_path.read_text())
    size = table.stat().st_size
    print(
        f"\n{cells} cells: {table} ({size / 1e6:.0f} MB, {args.rows} rows, {info['pairs']} pairs); "
        f"{os.cpu_count()} CPUs; sort {args.sort_memory_mb} MB x {args.threads} threads"
    )
    ref_tf, ref_tg, work = workdir / "ref_by_tf", workdir / "ref_by_target", workdir / "workflow"
    steps = ("ref_tf", "ref_target", "normalise", "merge", "split")
    runs: dict[str, list[dict]] = {k: [] for k in steps}
    for i in range(args.repeat):
        runs["ref_tf"].append(reference(table, ref_tf, 1))
        runs["ref_target"].append(reference(table, ref_tg, 2))
        runs["normalise"].append(workflow_normalise(table, work, args.sort_memory_mb, args.threads))
        runs["merge"].append(workflow_merge(table, work, args.sort_memory_mb, args.threads))
        runs["split"].append(workflow_split(work, args.sort_memory_mb, args.threads))
        print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1]['wall']:.1f} s" for k, v in runs.items()), flush=True)
    notes = check(work, ref_tf, ref_tg, info["pairs"])

    med = {k: {m: statistics.median(r[m] for r in v) for m in ("wall", "cpu", "peak_rss")} for k, v in runs.items()}

    def total(*names):
        return {
            "wall": sum(med[n]["wall"] for n in names),
            "cpu": sum(med[n]["cpu"] for n in names),
            "peak_rss": max(med[n]["peak_rss"] for n in names),
        }

    ref = total("ref_tf", "ref_target")
    rows = [
        ("reference sort|awk per TF", med["ref_tf"]),
        ("reference sort|awk per target", med["ref_target"]),
        ("reference, both", ref),
        ("normalise_interaction_table (read, normalise, sort)", med["normalise"]),
        ("merge_interactions (merge the sorted partials)", med["merge"]),
        ("split_interactions (per TF + per target, index)", med["split"]),
        ("merge, first run (normalise + merge)", total("normalise", "merge")),
        ("merge + split, first run (table -> every output)", total("normalise", "merge", "split")),
        ("merge + split, table unchanged (merge + split)", total("merge", "split")),
    ]
    print()
    print(
        f"| {cells} cells: step ({args.rows:,} rows, {size / 1e6:.0f} MB; median of {args.repeat}) | wall s | "
        "CPU s | peak RSS MB | wall / reference | RSS / file size |"
    )
    print("|---|---|---|---|---|---|")
    for name, m in rows:
        print(
            f"| {name} | {m['wall']:.1f} | {m['cpu']:.1f} | {m['peak_rss'] / 2**20:.0f} | "
            f"{m['wall'] / ref['wall']:.2f} | {m['peak_rss'] / size:.2f} |"
        )
    print()
    for n in notes:
        print(n)
    first = total("normalise", "merge", "split")
    print(
        f"{cells}: merge + split {first['wall']:.1f} s = {first['wall'] / ref['wall']:.2f}x the reference "
        f"{ref['wall']:.1f} s (goal <= 1.5x); peak RSS {first['peak_rss'] / size:.2f}x the table (goal <= 2x)"
    )
    if not args.keep:
        for p in (ref_tf, ref_tg, work):
            shutil.rmtree(p, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--tfs", type=int, default=1500)
    ap.add_argument("--proteins", type=int, default=20000)
    ap.add_argument("--cells", choices=("both", "realistic", "diverse"), default="both")
    ap.add_argument("--workdir", default="/tmp/split_interactions_bench")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each command (medians are printed)")
    ap.add_argument("--sort-memory-mb", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the outputs (the tables are always kept)")
    args = ap.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    for cells in ("realistic", "diverse") if args.cells == "both" else (args.cells,):
        bench_setting(args, workdir, cells)


if __name__ == "__main__":
    main()
