"""The provenance step's hash cache (gene_records.hashcache): a rerun reads only
the files that changed, and the manifest is the one a full read gives."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import REPO, run_workflow, write_config

from gene_records import hashcache, provenance
from gene_records.cli import StepFailed
from gene_records.tables import RECORDS, REJECTED_RECORDS

CACHE = ".snakemake/gene_records/provenance_hash_cache.tsv"
MANIFEST = "results/provenance/manifest.tsv"


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """A small run's working folder (cwd): inputs (an accepted and a rejected
    record, a download folder, an interaction table) and outputs of every kind
    the manifest counts (TSV, gzipped TSV, FASTA, JSON), one with a name that
    is neither printable nor UTF-8."""
    monkeypatch.chdir(tmp_path)
    files = {
        "in/records/a.txt": b"record a\n",
        "in/records/bad.txt": b"\x00 not a record\n",
        "in/downloads/d.tsv": b"x\ty\n1\t2\n3\t4\n",
        "in/downloads/sub/e.tsv.gz": gzip.compress(b"x\n1\n2\n3\n", mtime=0),
        "in/interactions.tsv": b"tf\ttarget\nA\tB\n",
        "results/records/a.json": b'{"id":"a"}\n',
        "results/records/b.json": b'{"id":"b"}\n',
        "results/proteins/p.fasta": b">p1\nMK\n>p2\nMR\n",
        "results/tf_targets/by_tf/A.tsv": b"tf\ttarget\nA\tB\n",
        "results/tf_targets/by_tf/.snakemake_timestamp": b"",
        "results/parquet/t.tsv.gz": gzip.compress(b"h\n1\n", mtime=0),
        os.fsdecode(b"results/records/tab\tand \xff.json"): b"{}\n",  # in the cache in table form
    }
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    row = [""] * len(RECORDS.columns)
    names = [c.name for c in RECORDS.columns]
    row[names.index("record_id")] = "genular-1"
    row[names.index("source_file")] = "in/records/a.txt"
    row[names.index("sha256")] = hashlib.sha256(files["in/records/a.txt"]).hexdigest()
    RECORDS.write("results/tables/records.tsv", [row])
    REJECTED_RECORDS.write("results/qc/rejected_records.tsv", [("in/records/bad.txt", "binary data")])
    return tmp_path


@pytest.fixture
def quick(monkeypatch):
    """A racy margin of 1 ms (and files written 50 ms before each run) instead
    of 2 s: files just written count as safely old."""
    monkeypatch.setattr(hashcache, "RACY_MARGIN_NS", 1_000_000)


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """The files the provenance step opens (to hash or count), in order."""
    seen: list[str] = []
    real = provenance.open_regular

    def spy(path):
        seen.append(str(path))
        return real(path)

    monkeypatch.setattr(provenance, "open_regular", spy)
    return seen


def every_file() -> set[str]:
    """Every file the step reads (the accepted record takes records.tsv's sha256)."""
    out = {
        "in/records/bad.txt",
        "in/downloads/d.tsv",
        "in/downloads/sub/e.tsv.gz",
        "in/interactions.tsv",
    }
    for p in Path("results").rglob("*"):
        if p.is_file() and "provenance" not in p.parts and not p.name.startswith("."):
            out.add(str(p))
    return out


def step(cache: str | None = CACHE, opened: list[str] | None = None, pause: float = 0.05, threads: int = 1) -> bytes:
    """Run the step (after ``pause`` s, so that files just written are older
    than the quick margin); return the manifest's bytes. ``opened`` is emptied first."""
    time.sleep(pause)
    if opened is not None:
        opened.clear()
    provenance.write_provenance(
        records="results/tables/records.tsv",
        rejected="results/qc/rejected_records.tsv",
        outputs=[],
        manifest=MANIFEST,
        versions="results/provenance/versions.tsv",
        config={"records": ["in/records"]},
        tflink_downloads=["in/downloads"],
        interaction_tables=["in/interactions.tsv"],
        hash_cache=cache or "",
        threads=threads,
    )
    return Path(MANIFEST).read_bytes()


def cache_entries() -> dict[str, list[str]]:
    lines = Path(CACHE).read_text().splitlines()
    assert lines[0].startswith(hashcache.FORMAT + "\t") and lines[-1].startswith("end\t")
    return {line.split("\t")[0]: line.split("\t")[1:] for line in lines[1:-1]}


def rewrite_cache(edit) -> None:
    """Apply ``edit`` to the cache's lines (header and entries) and write it
    back with a valid trailer: a cache that passes every integrity check."""
    lines = Path(CACHE).read_text().splitlines(keepends=True)[:-1]
    body = "".join(edit(lines)).encode()
    trailer = f"end\t{len(lines) - 1}\t{hashlib.sha256(body).hexdigest()}\n".encode()
    Path(CACHE).write_bytes(body + trailer)


def test_a_warm_cache_reads_nothing_and_the_manifest_is_unchanged(workdir, quick, opened):
    full = step(cache=None, opened=opened)
    assert set(opened) == every_file()  # the reference: every file read
    cold = step(opened=opened)
    assert set(opened) == every_file()
    assert len(cache_entries()) == len(every_file())
    assert all(e[-1] == "1" for e in cache_entries().values())  # all safely old: trusted
    warm = step(opened=opened)
    assert opened == []
    assert full == cold == warm
    rows = {r.split("\t")[1]: r.split("\t") for r in warm.decode().splitlines()}
    assert rows["in/downloads/sub/e.tsv.gz"][4] == "3" and rows["results/proteins/p.fasta"][4] == "2"
    assert rows["in/records/bad.txt"][4] == ""  # a rejected record is not counted
    assert "results/records/tab%09and %FF.json" in rows and "results/records/tab%09and %FF.json" in cache_entries()


def test_two_processes_write_the_same_manifest_and_cache_as_one(workdir, quick, opened):
    one = step(cache=None)
    cold = step(opened=opened, threads=2)
    # this process read every other file the cache lacked; a forked one the rest
    outputs = sorted(f for f in every_file() if f.startswith("results/"))
    assert sorted(f for f in opened if f.startswith("results/")) == outputs[0::2]
    entries = cache_entries()
    assert len(entries) == len(every_file())
    Path(CACHE).unlink()
    assert step(threads=1) == cold == one
    assert cache_entries().keys() == entries.keys()
    assert [e[-3:] for e in cache_entries().values()] == [e[-3:] for e in entries.values()]  # sha256, rows, trusted
    Path("results/records/a.json").write_bytes(b'{"id":"a","x":2}\n')
    assert step(opened=opened, threads=2) == step(cache=None)
    assert opened[0] == "results/records/a.json"  # only the changed file, read here


def test_only_changed_new_files_are_read_and_gone_ones_leave_the_cache(workdir, quick, opened):
    step()
    step()
    Path("results/records/a.json").write_bytes(b'{"id":"a","x":1}\n')
    Path("results/records/c.json").write_bytes(b'{"id":"c"}\n')
    Path("results/records/b.json").unlink()
    Path("in/downloads/d.tsv").write_bytes(b"x\ty\n1\t2\n")
    cached = step(opened=opened)
    assert sorted(opened) == ["in/downloads/d.tsv", "results/records/a.json", "results/records/c.json"]
    assert "results/records/b.json" not in cache_entries()
    assert cached == step(cache=None)  # byte-identical to a full read
    assert "in/downloads/d.tsv\t" + hashlib.sha256(b"x\ty\n1\t2\n").hexdigest() + "\t8\t1" in cached.decode()


def test_same_size_rewrite_with_the_old_mtime_put_back_is_read_again(workdir, quick, opened):
    """The ctime, which no user can set, gives it away."""
    step()
    path = Path("results/tf_targets/by_tf/A.tsv")
    before = path.stat()
    time.sleep(0.05)
    path.write_bytes(b"tf\ttarget\nA\tC\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    manifest = step(opened=opened)
    assert opened == [str(path)]
    assert hashlib.sha256(b"tf\ttarget\nA\tC\n").hexdigest() in manifest.decode()


def test_a_change_no_stat_shows_is_trusted_and_only_verify_catches_it(workdir, quick, opened):
    """What the cache cannot see (the same device, inode, size, mtime and
    ctime): here a forged entry. The step trusts it (so the cache is really
    what answers); verify_provenance reads every file and reports it."""
    step()
    forged = "f" * 64
    rewrite_cache(
        lambda lines: [
            re.sub(r"\t[0-9a-f]{64}\t", f"\t{forged}\t", x) if x.startswith("results/records/a.json\t") else x
            for x in lines
        ]
    )
    manifest = step(opened=opened)
    assert opened == []
    assert f"output\tresults/records/a.json\t{forged}\t" in manifest.decode()
    with pytest.raises(StepFailed):
        provenance.verify_provenance(MANIFEST)
    step(cache=None)
    provenance.verify_provenance(MANIFEST)  # a full read: nothing to report


def test_files_newer_than_the_racy_margin_are_stored_untrusted_and_read_again(workdir, opened):
    """At the real margin (2 s) every file just written is racily clean: it
    could change again within the timestamp granularity without its mtime
    moving. Stored marked racy, read again by the next run."""
    step(pause=0)
    assert {e[-1] for e in cache_entries().values()} == {"0"}
    manifest = step(opened=opened, pause=0)
    assert set(opened) == every_file()
    assert manifest == step(cache=None)


def test_the_racy_rule_compares_mtime_and_ctime_with_the_start_of_the_run(tmp_path):
    cache = hashcache.HashCache(str(tmp_path / "c.tsv"), "stamp", margin_ns=10)
    start = cache.started_ns
    assert start >= time.time_ns() - 10**9  # the start of this run

    def stat(mtime, ctime):
        return SimpleNamespace(st_dev=1, st_ino=2, st_size=3, st_mtime_ns=mtime, st_ctime_ns=ctime)

    for key, (mtime, ctime), trusted in [
        ("old", (start - 11, start - 11), True),
        ("edge", (start - 10, start - 11), False),
        ("mtime put back, ctime new", (start - 10**9, start - 5), False),
        ("future", (start + 10**9, start + 10**9), False),
    ]:
        cache.put(key, stat(mtime, ctime), "0" * 64, "1")
        assert cache.new[key].trusted is trusted, key
    cache.save()
    again = hashcache.HashCache(str(tmp_path / "c.tsv"), "stamp", margin_ns=10)
    assert again.get("old", stat(start - 11, start - 11)) is not None
    assert again.get("edge", stat(start - 10, start - 11)) is None and again.reasons["edge"] == "racy"
    assert again.get("old", stat(start - 11, start - 10)) is None and again.reasons["old"] == "changed"
    assert again.get("unknown", stat(1, 1)) is None and again.reasons["unknown"] == "new"


@pytest.mark.parametrize(
    "damage", ["garbage", "empty", "not utf-8", "truncated", "one byte changed", "other code", "a folder"]
)
def test_a_missing_corrupt_or_foreign_cache_is_ignored(workdir, quick, opened, damage):
    full = step(cache=None)
    step()
    path = Path(CACHE)
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"hello\tworld\nend\t1\tabc\n")
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "not utf-8":  # with a valid checksum
        body = b"\xff\xfe" + data[: data.rindex(b"\nend\t") + 1]
        n = len(cache_entries())
        path.write_bytes(body + f"end\t{n}\t{hashlib.sha256(body).hexdigest()}\n".encode())
    elif damage == "truncated":
        path.write_bytes(data[: data.rindex(b"\nend\t") + 1])
    elif damage == "one byte changed":  # in a sha256: only the checksum shows it
        line = data.index(b"results/records/a.json\t")
        i = data.index(b"\t", data.index(b"\t", line) + 1) + 1  # the device, inode, ...: skip 5 numbers
        for _ in range(4):
            i = data.index(b"\t", i) + 1
        assert re.fullmatch(rb"[0-9a-f]{64}", data[i:i + 64])
        path.write_bytes(data[:i] + (b"0" if data[i:i + 1] != b"0" else b"1") + data[i + 1:])
    elif damage == "other code":
        rewrite_cache(lambda lines: [lines[0].replace("\t", "\tx", 1), *lines[1:]])
    else:
        path.unlink()
        path.mkdir()
    assert step(opened=opened) == full
    assert set(opened) == every_file()  # nothing trusted from it
    if damage != "a folder":
        assert len(cache_entries()) == len(every_file())  # replaced by a good one
        step(opened=opened)
        assert opened == []


def test_killed_saves_leave_temporaries_that_do_not_matter_and_old_ones_go(workdir, quick, opened):
    step()
    folder = Path(CACHE).parent
    partial = folder / ".provenance_hash_cache.tsv.killed.tmp"
    partial.write_bytes(b"gene-records hash cache 1\tpartial")
    old = folder / ".provenance_hash_cache.tsv.old.tmp"
    old.write_bytes(b"")
    os.utime(old, (time.time() - 3 * 86400,) * 2)
    step(opened=opened)
    assert opened == [] and partial.exists() and not old.exists()


def test_concurrent_runs_each_succeed_and_leave_a_whole_cache(workdir, quick):
    """Two processes (the command-line step) at once, three times: every run
    succeeds, the cache they leave is whole, the manifests are a full read's."""
    full = step(cache=None)
    cmd = [
        sys.executable,
        str(REPO / "scripts" / "write_provenance.py"),
        "records=results/tables/records.tsv",
        "rejected=results/qc/rejected_records.tsv",
        "outputs=x",
        f"manifest={MANIFEST}",
        "versions=results/provenance/versions.tsv",
        'config={"records": ["in/records"]}',
        "tflink_downloads=in/downloads",
        "interaction_tables=in/interactions.tsv",
        f"hash_cache={CACHE}",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO / "scripts")}
    for _ in range(3):
        procs = [subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE) for _ in range(2)]
        for p in procs:
            assert p.wait() == 0, p.stderr.read()
            p.stderr.close()
        assert Path(MANIFEST).read_bytes() == full
        assert len(cache_entries()) == len(every_file())


# ------------------------------------------------------------ end to end

READ_LINE = re.compile(r"^INFO: read (.+) \((new|changed|racy|not counted)\)$")


def stats(root: Path) -> dict[str, tuple]:
    return {
        str(p.relative_to(root)): hashcache.signature(p.stat())
        for p in (root / "results").rglob("*")
        if p.is_file() and "provenance" not in p.relative_to(root / "results").parts and not p.name.startswith(".")
    }


@pytest.mark.slow
def test_one_changed_record_rereads_only_what_changed_and_the_manifest_is_a_full_reads(tmp_path):
    records = tmp_path / "records"
    shutil.copytree(REPO / "resources" / "records", records)
    wd = tmp_path / "wd"
    cfg = write_config(tmp_path, records=[str(records)], records_per_batch=10)
    run_workflow(wd, config=cfg)
    log = wd / "logs" / "write_provenance" / "write_provenance.log"
    assert "provenance_hash_cache.tsv: missing" in log.read_text()
    first = stats(wd)

    sos2 = records / "seeds" / "002_784a9e1d06219bb2.txt"
    sos2.write_bytes(sos2.read_bytes().replace(b"son of sevenless homolog 2", b"son of sevenless 2"))
    run_workflow(wd, config=cfg)
    second = stats(wd)
    text = log.read_text()
    read = {m.group(1): m.group(2) for m in map(READ_LINE.match, text.splitlines()) if m}
    changed = {p for p in second if first.get(p) != second[p]}
    unchanged = set(second) - changed
    assert "results/records/geisha-423572.json" in changed
    assert len(unchanged) > 85  # the other records' JSON files, the other batches' files
    # every output that changed was read, and nothing else but what was
    # racily clean in the first run (written less than 2 s before it)
    assert changed <= set(read)
    assert {p: read[p] for p in unchanged if p in read and read[p] != "racy"} == {}
    reused = int(re.search(r"reused (\d+) from the cache", text).group(1))
    outputs_reused = len(unchanged - set(read))
    assert outputs_reused > 80 and reused >= outputs_reused
    assert not any(p.startswith(str(records)) for p in read)  # inputs: records.tsv's sha256, or unchanged

    manifest = (wd / MANIFEST).read_bytes()
    (wd / CACHE).unlink()
    run_workflow(wd, "--forcerun", "write_provenance", config=cfg)
    assert "provenance_hash_cache.tsv: missing" in log.read_text()
    assert (wd / MANIFEST).read_bytes() == manifest  # the same as a full read
    verify = [sys.executable, str(REPO / "scripts" / "verify_provenance.py"), f"manifest={MANIFEST}"]
    ok = subprocess.run(verify, cwd=wd, capture_output=True, text=True)
    assert ok.returncode == 0 and "0 problem(s)" in ok.stderr, ok.stderr
