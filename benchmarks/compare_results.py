"""Compare the results of two versions of the workflow, file by file (sha256), on the same inputs.

    .venv/bin/python benchmarks/compare_results.py --base main --workdir /tmp/compare \\
        --case bundled --case corpus --case synthetic --case duplicates

The base version is a ``git archive`` copy of ``--base`` (a commit, branch or
tag of this repository; default: where this branch left main, so that only
this branch's changes differ); the other is a copy of this checkout as it is
(uncommitted changes included; like the base, without ``.git``, so that both
report the same unknown commit in versions.tsv and the report). Each runs the whole
workflow (``snakemake --cores 2``, its own library first on PYTHONPATH) in
its own folder on the same inputs, and every file under ``results/`` is
compared by sha256: the script prints the files that differ and those only
one side has, and exits 1 when a file both sides write differs (beyond
``--allow``, by default the provenance manifest, which lists every file of
``results/`` and so names any new intermediate). A run that fails on both
sides (``on_bad_record: fail``) compares its one-line error instead.

Cases (the inputs are built in WORKDIR/inputs, never in the repository):

* ``bundled``: resources/ (the config's records and downloads);
* ``corpus``: ../shared/corpus (seeds, tflink, geisha, tflink_downloads;
  ``on_bad_record: skip``);
* ``synthetic``: bundled + two generated whole-organism tables (realistic and
  diverse cells, one gzipped) + a table with bad rows (``skip``);
* ``duplicates``: bundled records split over several batches, with copies of
  TFLink pages in other batches (under other paths, some changed), and the
  downloads given twice under both name generations (``skip``);
* ``fail-*``: bad inputs with ``on_bad_record: fail`` (a bad page entry, a bad
  download row, a bad table row): both sides must fail with the same line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from gene_records.interactions.synth import generate_table  # noqa: E402

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
RESOURCES = REPO / "resources"
CORPUS = REPO.parent / "shared" / "corpus"
ALLOWED = ("results/provenance/manifest.tsv",)


def base_copy(ref: str, workdir: Path) -> Path:
    """A copy of ``ref``'s tree (git archive), made once per commit."""
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", ref], capture_output=True, text=True, check=True)
    dest = workdir / f"base-{commit.stdout.strip()[:12]}"
    if not dest.is_dir():
        tmp = dest.with_suffix(".part")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive.stdout, check=True)
        tmp.rename(dest)
    return dest


def head_copy(workdir: Path) -> Path:
    """A copy of this checkout's files (tracked and untracked, not ignored), without ``.git``."""
    dest = workdir / "head"
    shutil.rmtree(dest, ignore_errors=True)
    listing = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True, check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (os.fsdecode(n) for n in listing)):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def config(tree: Path, **overrides) -> dict:
    cfg = yaml.safe_load((tree / "config" / "config.yaml").read_text())
    cfg["records"] = [str(RESOURCES / "records")]
    cfg["tflink_downloads"] = [str(RESOURCES / "tflink_downloads")]
    cfg.update(overrides)
    return cfg


def run(tree: Path, workdir: Path, cfg: dict) -> tuple[int, str]:
    """Run the workflow of ``tree`` in ``workdir``; return (exit status, the error lines)."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    (workdir / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    env = {**os.environ, "LC_ALL": "C.UTF-8", "PYTHONPATH": str(tree / "scripts")}
    cmd = [SNAKEMAKE, "-s", str(tree / "Snakefile"), "-d", str(workdir), "--configfile", str(workdir / "config.yaml"),
           "--cores", "2"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    (workdir / "snakemake.out").write_text(proc.stdout + proc.stderr)
    errors = sorted({line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("gene-records ERROR")})
    return proc.returncode, "\n".join(errors)


def digests(workdir: Path) -> dict[str, str]:
    out = {}
    for p in sorted((workdir / "results").rglob("*")):
        if p.is_file() and p.name != ".snakemake_timestamp":
            out[str(p.relative_to(workdir))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def compare(name: str, base: Path, head: Path, cfg: dict, workdir: Path, allowed: tuple[str, ...]) -> bool:
    rc_b, err_b = run(base, workdir / name / "base", cfg)
    rc_h, err_h = run(head, workdir / name / "head", cfg)
    if rc_b or rc_h:
        same = rc_b == rc_h and err_b == err_h and bool(err_b)
        print(f"{name}: base exit {rc_b}, head exit {rc_h}; {'same error' if same else 'DIFFERENT'}")
        for side, err in (("base", err_b), ("head", err_h)):
            print(f"  {side}: {err or '(no gene-records error line)'}")
        return same
    a, b = digests(workdir / name / "base"), digests(workdir / name / "head")
    common = sorted(set(a) & set(b))
    differ = [f for f in common if a[f] != b[f]]
    bad = [f for f in differ if f not in allowed]
    print(f"{name}: {len(common)} files both sides write, {len(common) - len(differ)} identical; "
          f"{len(differ)} differ ({len(differ) - len(bad)} allowed); {len(set(a) - set(b))} only in base, "
          f"{len(set(b) - set(a))} only in head")
    manifest = "results/provenance/manifest.tsv"
    for f in differ:
        print(f"  differs{' (allowed)' if f in allowed else ''}: {f}")
        if f == manifest and _same_manifest(workdir / name, set(b) - set(a)):
            print(f"    {manifest}: the same rows once those of the files only the head writes are left out")
    for f in sorted(set(a) - set(b)):
        print(f"  only in base: {f}")
    new = sorted(set(b) - set(a))
    for f in new[:5]:
        print(f"  only in head: {f}")
    if len(new) > 5:
        print(f"  ... and {len(new) - 5} more only in head")
    return not bad and not set(a) - set(b)


def _same_manifest(run: Path, new_files: set[str]) -> bool:
    """The manifests are equal once the rows of ``new_files`` (results/...) are left out."""
    rows = {}
    for side in ("base", "head"):
        lines = (run / side / "results" / "provenance" / "manifest.tsv").read_text().splitlines()
        rows[side] = [ln for ln in lines if ln.split("\t")[1:2] != [] and "results/" + ln.split("\t")[1] not in new_files
                      and ln.split("\t")[1] not in new_files]
    return rows["base"] == rows["head"]


# ------------------------------------------------------------------ the cases' inputs


def duplicated_records(dest: Path) -> Path:
    """The bundled records, and copies of some TFLink pages under other paths (some changed), so that
    records are given twice, in other batches (records_per_batch is set small)."""
    if dest.exists():
        return dest
    shutil.copytree(RESOURCES / "records", dest / "a")
    pages = sorted((RESOURCES / "records" / "tflink").glob("*"))
    for k, p in enumerate(pages[:12]):
        text = p.read_text(encoding="utf-8")
        if k % 3 == 1:  # a changed copy: an entry's evidence
            text = text.replace("%5Buid%5D,No", "%5Buid%5D,Yes", 1)
        (dest / ("0" if k % 2 else "z")).mkdir(exist_ok=True)
        (dest / ("0" if k % 2 else "z") / p.name).write_text(text, encoding="utf-8")
    return dest


def downloads_twice(dest: Path) -> Path:
    if dest.exists():
        return dest
    (dest / "a").mkdir(parents=True)
    (dest / "b").mkdir()
    for p in sorted((RESOURCES / "tflink_downloads").iterdir()):
        shutil.copyfile(p, dest / "a" / p.name)
        other = p.name[len("TFLink_"):] if p.name.startswith("TFLink_") else "TFLink_" + p.name
        shutil.copyfile(p, dest / "b" / other)
    return dest


def tables(dest: Path, rows: int) -> list[str]:
    dest.mkdir(parents=True, exist_ok=True)
    real = dest / "TFLink_Homo_sapiens_interactions_All_simpleFormat_v1.0.tsv"
    diverse = dest / "diverse" / "TFLink_Homo_sapiens_interactions_All_simpleFormat_v1.0.tsv.gz"
    bad = dest / "bad.tsv"
    if not real.exists():
        generate_table(str(real), rows, n_tfs=300, n_proteins=6000, seed=11)
    if not diverse.exists():
        diverse.parent.mkdir(exist_ok=True)
        generate_table(str(diverse), rows, n_tfs=300, n_proteins=6000, seed=12, cells="diverse")
    if not bad.exists():
        lines = real.read_text().splitlines(keepends=True)[:2001]
        lines[10] = "../evil\t" + lines[10].split("\t", 1)[1]
        lines[500] = lines[500].replace("\t", ",", 3)
        lines[900] = lines[900].replace("\tNo\t", "\tMaybe\t").replace("\tYes\t", "\tMaybe\t")
        bad.write_text("".join(lines))
    return [str(real), str(diverse), str(bad)]


def bad_download(dest: Path) -> Path:
    if not dest.exists():
        shutil.copytree(RESOURCES / "tflink_downloads", dest)
        p = dest / "targets_of_O00358.tsv"
        lines = p.read_text().splitlines(keepends=True)
        lines[5] = "P28360\t4487\tMSX1\n"
        p.write_text("".join(lines))
    return dest


def bad_page(dest: Path) -> Path:
    if not dest.exists():
        shutil.copytree(RESOURCES / "records", dest)
        page = sorted((dest / "tflink").glob("*"))[3]
        text = page.read_text(encoding="utf-8")
        page.write_text(text.replace("%5Buid%5D,No", "%5Buid%5D,Maybe", 1), encoding="utf-8")
    return dest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", help="the commit to compare with (default: git merge-base HEAD main)")
    ap.add_argument("--workdir", default="/tmp/gene_records_compare")
    ap.add_argument("--case", action="append", help="bundled, corpus, synthetic, duplicates, fail-page, "
                    "fail-download, fail-table (default: all)")
    ap.add_argument("--table-rows", type=int, default=200_000)
    ap.add_argument("--allow", action="append", default=list(ALLOWED), help="a results/ file allowed to differ")
    args = ap.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    ref = args.base or subprocess.run(
        ["git", "-C", str(REPO), "merge-base", "HEAD", "main"], capture_output=True, text=True, check=True
    ).stdout.strip()
    base = base_copy(ref, workdir)
    head = head_copy(workdir)
    print(f"base: {ref}; head: {REPO} (with its uncommitted changes)")
    inputs = workdir / "inputs"
    cases = args.case or ["bundled", "corpus", "synthetic", "duplicates", "fail-page", "fail-download", "fail-table"]
    ok = True
    for case in cases:
        if case == "bundled":
            cfg = config(REPO)
        elif case == "corpus":
            cfg = config(REPO, records=[str(CORPUS / s) for s in ("seeds", "tflink", "geisha")],
                         tflink_downloads=[str(CORPUS / "tflink_downloads")], on_bad_record="skip")
        elif case == "synthetic":
            cfg = config(REPO, interaction_tables=tables(inputs / "tables", args.table_rows), on_bad_record="skip")
        elif case == "duplicates":
            cfg = config(REPO, records=[str(duplicated_records(inputs / "dup_records"))],
                         tflink_downloads=[str(downloads_twice(inputs / "dl_twice"))], records_per_batch=8,
                         on_bad_record="skip")
        elif case == "fail-page":
            cfg = config(REPO, records=[str(bad_page(inputs / "bad_page"))])
        elif case == "fail-download":
            cfg = config(REPO, tflink_downloads=[str(bad_download(inputs / "bad_download"))])
        elif case == "fail-table":
            cfg = config(REPO, interaction_tables=tables(inputs / "tables", args.table_rows)[2:])
        else:
            raise SystemExit(f"unknown case {case!r}")
        ok &= compare(case, base, head, cfg, workdir, tuple(args.allow))
    print(json.dumps({"identical": ok}))
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
