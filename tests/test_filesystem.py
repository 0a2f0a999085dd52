"""Hostile file systems: entries that cannot be read safely, file names as
data, a full disk, a run killed while writing.

Every workflow run here has a time bound (a subprocess timeout) and is
checked for tracebacks in its stdout, stderr and logs/, for rectangular TSVs,
and against a run on the same good records without the bad entries.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DOWNLOADS, RECORDS, REPO, SNAKEMAKE, SOS2, SOX2, SOX4, SOX14, write_config
from hypothesis import given, settings
from hypothesis import strategies as st

from gene_records import cli, io
from gene_records.errors import RecordError
from gene_records.io import AtomicWriter, read_raw, write_tsv
from gene_records.parse import discover_entries, parse_batch
from gene_records.paths import decode_bytes, decode_path, display, encode_bytes, encode_path

# A run of the workflow on a dozen records takes 15-40 s here (Snakemake's
# start-up alone is ~10 s where Slurm's client tools are installed): a run
# that blocks (a FIFO) or reads for ever (/dev/zero) is stopped at this bound.
RUN_BOUND_S = 240

GOOD = [SOX2, SOX4, SOS2, SOX14] + sorted((RECORDS / "geisha").iterdir())[:4] + sorted((RECORDS / "tflink").iterdir())[:4]


# ---------------------------------------------------------------- helpers

# Jobs import gene_records from this checkout first (Snakemake appends the
# workflow's scripts/ to sys.path, after any installed copy of the package).
ENV = {**os.environ, "LC_ALL": "C.UTF-8", "PYTHONPATH": os.pathsep.join(
    p for p in (str(REPO / "scripts"), os.environ.get("PYTHONPATH", "")) if p
)}


def run_bounded(workdir: Path, records: list[str], on_bad_record: str, timeout: float = RUN_BOUND_S):
    """Run the workflow; return (CompletedProcess, seconds). Fails the test if
    the run does not end within ``timeout``."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = write_config(workdir, records=records, tflink_downloads=[str(DOWNLOADS)], on_bad_record=on_bad_record)
    cmd = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-d", str(workdir), "--configfile", str(config), "--cores", "2"]
    start = time.monotonic()
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=ENV,
            errors="surrogateescape",
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the run did not end within {timeout} s (blocked or reading for ever)")
    return proc, time.monotonic() - start


def assert_no_traceback(workdir: Path, proc) -> None:
    texts = {"stdout": proc.stdout, "stderr": proc.stderr}
    for p in sorted((workdir / "logs").rglob("*")) if (workdir / "logs").exists() else []:
        if p.is_file():
            texts[str(p)] = p.read_text(errors="replace")
    for where, text in texts.items():
        assert "Traceback" not in text, f"a traceback in {where}:\n{text[-3000:]}"
        for name in ("MissingInputException", "UnicodeEncodeError", "FileNotFoundError"):
            assert name not in text, f"{name} in {where}:\n{text[-3000:]}"


def assert_rectangular(root: Path) -> None:
    for p in sorted(root.rglob("*.tsv")):
        lines = p.read_bytes().split(b"\n")
        assert lines[-1] == b"", f"{p}: does not end with a line break"
        while lines[0].startswith(b"#"):  # MultiQC's comment header (gene_records_mqc.tsv)
            lines.pop(0)
        width = lines[0].count(b"\t") + 1
        for i, line in enumerate(lines[1:-1], start=2):
            n = line.count(b"\t") + 1
            assert n == width, f"{p}: line {i} has {n} fields, the header {width}"


def results(workdir: Path, skip=("provenance",)) -> dict[str, bytes]:
    root = workdir / "results"
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).parts[0] not in skip
    }


def good_folder(root: Path) -> Path:
    folder = root / "records"
    folder.mkdir(parents=True)
    for src in GOOD:
        shutil.copyfile(src, folder / src.name)
    return folder


def comparable(files: dict[str, bytes]) -> dict[str, bytes]:
    """Results whose bytes depend on the records only, not on the folder
    they are in: records.tsv without its source_file column; not the JSON
    records (they hold source_file: compared by records_without_paths), the
    batch files (named by hash buckets of the paths), the rejections or the
    report (which lists them)."""
    out = {}
    for name, data in files.items():
        if name.startswith(("parsed/", "partials/", "records/", "report/")) or name == "qc/rejected_records.tsv":
            continue  # (the report counts and lists the rejections)
        if name == "tables/records.tsv":
            rows = [line.split(b"\t") for line in data.split(b"\n")]
            col = rows[0].index(b"source_file")
            data = b"\n".join(b"\t".join(r[:col] + r[col + 1 :]) for r in rows)
        out[name] = data
    return out


def records_without_paths(workdir: Path) -> dict[str, dict]:
    out = {}
    for p in sorted((workdir / "results" / "records").glob("*.json")):
        rec = json.loads(p.read_text())
        rec.pop("source_file")
        out[p.name] = rec
    return out


def rejected(workdir: Path) -> dict[str, str]:
    lines = (workdir / "results" / "qc" / "rejected_records.tsv").read_text().splitlines()
    assert lines[0] == "source_file\treason"
    return dict(line.split("\t") for line in lines[1:])


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A run on the good records alone (skip mode)."""
    root = tmp_path_factory.mktemp("reference")
    folder = good_folder(root)
    proc, seconds = run_bounded(root / "wd", [str(folder)], "skip")
    assert proc.returncode == 0, proc.stderr[-4000:]
    print(f"\nreference run: {seconds:.1f} s")
    return root / "wd"


# ---------------------------------------------------------------- bad entries


def make_bad_entries(folder: Path, outside: Path) -> dict[str, str]:
    """Every kind of entry that must not be read, next to good records;
    returns {entry name: words its reason must hold}."""
    outside.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOX4, outside / "elsewhere.md")
    (folder / "dangling.md").symlink_to("nowhere.md")
    os.mkfifo(folder / "pipe.md")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "sock.md"))
    sock.close()
    (folder / "zero.md").symlink_to("/dev/zero")
    (folder / "null.md").symlink_to("/dev/null")
    (folder / "proc.md").symlink_to("/proc/self/status")
    (folder / "outside.md").symlink_to(outside / "elsewhere.md")
    (folder / "loop_a.md").symlink_to("loop_b.md")
    (folder / "loop_b.md").symlink_to("loop_a.md")
    (folder / "to_outside_folder").symlink_to(outside)
    (folder / "self_loop").symlink_to(".")  # a folder link back to itself: not walked, not a record
    return {
        "dangling.md": "dangling symbolic link",
        "pipe.md": "named pipe (FIFO), not a regular file",
        "sock.md": "socket, not a regular file",
        "zero.md": "character device (/dev/zero), not a regular file",
        "null.md": "character device (/dev/null), not a regular file",
        "proc.md": "outside the configured records folders",
        "outside.md": "outside the configured records folders",
        "loop_a.md": "symbolic link loop",
        "loop_b.md": "symbolic link loop",
        "to_outside_folder": "outside the configured records folders",
    }


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    folder = good_folder(root)
    expected = make_bad_entries(folder, root / "outside")
    return root, folder, expected


def test_discovery_admits_only_regular_files(hostile_folder):
    _, folder, expected = hostile_folder
    files, bad = discover_entries([str(folder)])
    assert sorted(Path(f).name for f in files) == sorted(p.name for p in GOOD)
    assert {Path(p).name: r for p, r in bad.items()}.keys() == expected.keys()
    for path, reason in bad.items():
        assert expected[Path(path).name] in reason, (path, reason)
        assert "\n" not in reason and "\t" not in reason


def test_discovery_of_a_configured_special_file_and_a_link_inside(tmp_path):
    folder = tmp_path / "r"
    folder.mkdir()
    shutil.copyfile(SOX2, folder / "a.md")
    (folder / "b.md").symlink_to("a.md")  # inside: followed (a duplicate record id later)
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to("..")  # a loop: never walked twice
    os.mkfifo(tmp_path / "named.md")
    files, bad = discover_entries([str(folder), str(tmp_path / "named.md")])
    assert files == [str(folder / "a.md"), str(folder / "b.md")]
    assert bad == {str(tmp_path / "named.md"): "a named pipe (FIFO), not a regular file"}


@pytest.mark.parametrize("on_bad_record", ["skip", "fail"])
def test_parse_batch_rejects_unreadable_entries(tmp_path, on_bad_record):
    shown = encode_path(str(tmp_path / "a\tb.md"))
    unreadable = [f"{shown}\tdangling symbolic link (-> x: no such file)"]
    out = {k: str(tmp_path / f"{k}.out") for k in ("jsonl", "index", "rejected")}
    if on_bad_record == "fail":
        with pytest.raises(cli.StepFailed):
            parse_batch(records=[str(SOX2)], **out, on_bad_record="fail", unreadable=unreadable)
        assert not any(os.path.exists(p) for p in out.values())
        return
    parse_batch(records=[str(SOX2)], **out, on_bad_record="skip", unreadable=unreadable)
    assert Path(out["rejected"]).read_text() == (
        f"source_file\treason\n{tmp_path}/a%09b.md\tdangling symbolic link (-> x: no such file)\n"
    )


def test_a_fifo_swapped_in_after_discovery_never_blocks(tmp_path):
    fifo = tmp_path / "late.md"
    os.mkfifo(fifo)
    start = time.monotonic()
    with pytest.raises(RecordError, match="named pipe"):
        read_raw(str(fifo))
    with pytest.raises(OSError, match="named pipe"):
        io.sha256_file(str(fifo))
    with pytest.raises(OSError, match="named pipe"):
        io.open_text(str(fifo))
    assert time.monotonic() - start < 1


def test_reads_are_bounded_by_bytes_read_not_by_st_size(tmp_path, monkeypatch):
    # /dev/zero claims 0 bytes: reading it is refused before a byte is read
    with pytest.raises(RecordError, match="character device"):
        read_raw("/dev/zero", max_bytes=1000)
    # a regular file that grows after its size was taken: never more than max + 1 read
    path = tmp_path / "grows.md"
    path.write_bytes(b"x" * 5000)
    real_fstat = os.fstat

    class Lying:
        def __init__(self, st):
            self.st_mode, self.st_size = st.st_mode, 0

    monkeypatch.setattr(io.os, "fstat", lambda fd: Lying(real_fstat(fd)))
    reads = []
    real_bounded = io.read_bounded
    monkeypatch.setattr(io, "read_bounded", lambda fh, limit: reads.append(limit) or real_bounded(fh, limit))
    with pytest.raises(RecordError, match="over the limit of 1000 bytes"):
        read_raw(str(path), max_bytes=1000)
    assert reads == [1001]
    assert len(io.read_bounded(open(path, "rb"), 1001)) == 1001


def check_hostile_run(workdir, proc, seconds, expected, folder, mode):
    assert_no_traceback(workdir, proc)
    stderr_lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("gene-records ERROR") or ln.startswith("gene-records WARNING")]
    for name, words in expected.items():
        hits = [ln for ln in stderr_lines if f"{folder}/{name}: " in ln]
        assert hits and words in hits[0], f"{name}: no one-line message with {words!r} in stderr"
    print(f"\n{mode} run with {len(expected)} bad entries: {seconds:.1f} s, exit {proc.returncode}")


def test_bad_entries_are_rejected_with_a_reason_in_skip_mode(hostile_folder, reference):
    root, folder, expected = hostile_folder
    wd = root / "skip"
    proc, seconds = run_bounded(wd, [str(folder)], "skip")
    assert proc.returncode == 0, proc.stderr[-4000:]
    check_hostile_run(wd, proc, seconds, expected, folder, "skip")
    rej = rejected(wd)
    assert {Path(p).name for p in rej} == set(expected)
    for path, reason in rej.items():
        assert expected[Path(path).name] in reason
    assert_rectangular(wd / "results")
    assert comparable(results(wd)) == comparable(results(reference))
    assert records_without_paths(wd) == records_without_paths(reference)
    # the manifest lists the good records, never a rejected link's target
    manifest = (wd / "results" / "provenance" / "manifest.tsv").read_text()
    assert "/dev/zero" not in manifest and "elsewhere.md" not in manifest
    verify = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "verify_provenance.py"), "manifest=results/provenance/manifest.tsv"],
        cwd=wd, capture_output=True, text=True, timeout=120,
    )
    assert verify.returncode == 0, verify.stderr


def test_bad_entries_fail_the_run_with_one_line_each_in_fail_mode(hostile_folder):
    root, folder, expected = hostile_folder
    wd = root / "fail"
    proc, seconds = run_bounded(wd, [str(folder)], "fail")
    assert proc.returncode == 1
    check_hostile_run(wd, proc, seconds, expected, folder, "fail")
    assert "bad record(s); set on_bad_record: skip" in proc.stderr
    assert not (wd / "results" / "tables" / "records.tsv").exists()


ALONE = {
    # the three cases of the issue, each alone next to the good records
    "dangling": ("x.md", lambda p: p.symlink_to("nowhere"), "dangling symbolic link (-> nowhere: no such file)"),
    "fifo": ("pipe.md", lambda p: os.mkfifo(p), "a named pipe (FIFO), not a regular file"),
    "device": ("zero.md", lambda p: p.symlink_to("/dev/zero"), "symbolic link to a character device (/dev/zero), not a regular file"),
}


@pytest.mark.parametrize("mode", ["skip", "fail"])
@pytest.mark.parametrize("case", sorted(ALONE))
def test_each_bad_entry_alone(tmp_path, reference, case, mode):
    name, make, reason = ALONE[case]
    folder = good_folder(tmp_path)
    make(folder / name)
    wd = tmp_path / "wd"
    proc, seconds = run_bounded(wd, [str(folder)], mode)
    print(f"\n{case} alone, {mode}: {seconds:.1f} s, exit {proc.returncode}")
    assert_no_traceback(wd, proc)
    line = f"{folder}/{name}: {reason}"
    if mode == "fail":
        assert proc.returncode == 1
        assert f"gene-records ERROR: {line}" in proc.stderr.splitlines()
        return
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert f"gene-records WARNING: {line}" in proc.stderr.splitlines()
    assert rejected(wd) == {f"{folder}/{name}": reason}
    assert_rectangular(wd / "results")
    assert comparable(results(wd)) == comparable(results(reference))
    assert records_without_paths(wd) == records_without_paths(reference)


# ---------------------------------------------------------------- file names as data


HOSTILE_NAMES = [
    "tab\there.md",
    "new\nline.md",
    "quote\"d'.md",
    "back\\slash.md",
    os.fsdecode(b"latin1-caf\xe9.md"),
    "-dash=formula.md",
    "per%41cent.md",
    "carriage\rreturn.md",
    "sp ace\u2028sep.md",
]


def test_path_table_form_examples():
    assert encode_path("resources/records/geisha/SOS2.md") == "resources/records/geisha/SOS2.md"
    assert encode_path("a\tb\nc.md") == "a%09b%0Ac.md"
    assert encode_path(os.fsdecode(b"caf\xe9.md")) == "caf%E9.md"
    assert encode_path("café.md") == "café.md"
    assert encode_path("100%.md") == "100%25.md"
    assert encode_path("=1+1.md") == "%3D1+1.md"
    assert encode_path("Dmel\\CG8478 \"x\".md") == "Dmel\\CG8478 \"x\".md"
    assert encode_path("a\u2028b\x85") == "a%E2%80%A8b%C2%85"
    for name in HOSTILE_NAMES:
        shown = encode_path(name)
        assert shown.isprintable() and io.format_cell(shown) == shown
        assert decode_path(shown) == name
        assert display(name) == shown or "%" in name or name[0] in "-="
        assert "\n" not in display(name) and "\t" not in display(name)


@settings(max_examples=2000, deadline=None)
@given(st.binary(max_size=80))
def test_path_table_form_round_trips_any_bytes(data):
    shown = encode_bytes(data)
    assert decode_bytes(shown) == data
    assert "\t" not in shown and "\n" not in shown and "\r" not in shown
    assert io.format_cell(shown) == shown  # the TSV writer never changes it
    shown.encode("utf-8")  # always valid UTF-8


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_path_table_form_round_trips_any_text(text):
    assert decode_path(encode_path(text)) == text if "\x00" not in text else True


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.text(max_size=40), st.binary(max_size=40).map(os.fsdecode)))
def test_the_fast_path_of_ordinary_names_is_the_byte_rule(text):
    """encode_path returns an ordinary str name unchanged without looking at
    its bytes: the same answer as the byte-by-byte rule, on any text and on
    names with bytes that are not UTF-8 (surrogate escapes)."""
    assert encode_path(text) == encode_bytes(os.fsencode(text))


def test_hostile_file_names_reach_every_table(tmp_path, reference):
    folder = tmp_path / "records"
    folder.mkdir()
    originals = {}
    for src, name in zip(GOOD, HOSTILE_NAMES + [p.name for p in GOOD[len(HOSTILE_NAMES):]]):
        path = os.path.join(os.fsencode(folder), os.fsencode(name))
        shutil.copyfile(src, path)
        originals[os.fsdecode(path)] = src
    wd = tmp_path / "wd"
    proc, seconds = run_bounded(wd, [str(folder)], "fail")
    print(f"\nrun with {len(HOSTILE_NAMES)} hostile names: {seconds:.1f} s")
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert_no_traceback(wd, proc)
    assert_rectangular(wd / "results")
    assert comparable(results(wd)) == comparable(results(reference))
    assert records_without_paths(wd) == records_without_paths(reference)
    # source_file (records.tsv, JSON) is the table form and decodes to the very file
    lines = (wd / "results" / "tables" / "records.tsv").read_text().splitlines()
    col = lines[0].split("\t").index("source_file")
    shown = sorted(line.split("\t")[col] for line in lines[1:])
    assert sorted(decode_path(s) for s in shown) == sorted(originals)
    assert sorted(encode_path(p) for p in originals) == shown
    for p in (wd / "results" / "records").glob("*.json"):
        assert decode_path(json.loads(p.read_text())["source_file"]) in originals
    # the manifest lists each file once, in table form, and make verify works
    manifest = (wd / "results" / "provenance" / "manifest.tsv").read_text().splitlines()
    inputs = {line.split("\t")[1] for line in manifest if line.startswith("input\t") and "/records/" in line}
    assert inputs == set(shown)
    verify = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "verify_provenance.py"), "manifest=results/provenance/manifest.tsv"],
        cwd=wd, capture_output=True, text=True, timeout=120,
    )
    assert verify.returncode == 0 and "0 problem(s)" in verify.stderr, verify.stderr
    # a changed file with a hostile name is noticed by verify and reruns its batch
    tab = next(p for p in originals if "tab\there" in p)
    with open(tab, "ab") as fh:
        fh.write(b"\n")
    verify = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "verify_provenance.py"), "manifest=results/provenance/manifest.tsv"],
        cwd=wd, capture_output=True, text=True, timeout=120,
    )
    assert verify.returncode == 1 and f"input {encode_path(tab)}: changed since the run" in verify.stderr
    dry = subprocess.run(
        [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-d", str(wd), "--configfile", str(wd / "config.yaml"), "-n"],
        capture_output=True, text=True, timeout=RUN_BOUND_S, errors="surrogateescape", env=ENV,
    )
    assert "parse_records" in dry.stdout, dry.stdout[-2000:]


# ---------------------------------------------------------------- a full disk


def test_enospc_in_a_writer_is_one_line_naming_the_file_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out" / "table.tsv"

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def step(table: str) -> None:
        with AtomicWriter(table) as fh:
            fh.write("header\n")
            fh.flush()
            full()  # as a write to a full disk raises it: no file name

    with pytest.raises(SystemExit) as exc:
        cli.run(step, argv=[f"table={out}"])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"gene-records ERROR: {out}: No space left on device (free some space and run again: no partial output was left)"
    ]
    assert list((tmp_path / "out").iterdir()) == []
    # a full disk at the rename (e.g. a directory entry that cannot grow): the same
    monkeypatch.setattr(io.os, "replace", full)
    with pytest.raises(OSError) as info:
        write_tsv(str(out), ["a"], [[1]])
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(out)
    assert list((tmp_path / "out").iterdir()) == []


def test_os_error_without_a_file_names_the_step_outputs(capsys):
    def step(table: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(SystemExit):
        cli.run(step, argv=["table=results/x/table.tsv"])
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gene-records ERROR: writing results/x/table.tsv: No space left on device")


def hidden(name: str) -> bool:
    """A temporary's name (Snakemake's own marker in a folder output is not one)."""
    parts = Path(name).parts
    return parts[-1] != ".snakemake_timestamp" and any(part.startswith(".") for part in parts)


def assert_no_partial_outputs(wd: Path, reference: Path, killed: bool = False) -> None:
    """Every output left under results/ is complete: equal to the
    reference's (path-free parts). Temporary files (hidden names, never an
    output's name) are removed by a failing step; only a SIGKILL can leave
    them (``killed``)."""
    ref = comparable(results(reference, skip=()))
    left = results(wd, skip=())
    for name in left:
        assert killed or not hidden(name), f"temporary file left: {name}"
    left = {k: v for k, v in left.items() if not hidden(k)}
    for name, data in comparable(left).items():
        if name.startswith("provenance/"):
            continue
        assert data == ref[name], f"partial or wrong output left: {name}"
    ref_json = records_without_paths(reference)
    for p in sorted((wd / "results" / "records").glob("*.json")):
        rec = json.loads(p.read_text())
        rec.pop("source_file")
        assert rec == ref_json[p.name], f"partial JSON record left: {p}"
    for p in sorted((wd / "results" / "parsed").glob("*.jsonl")):
        for line in p.read_text().splitlines():
            json.loads(line)


def _mount_tmpfs(path: Path, size: str) -> str | None:
    if os.geteuid() != 0:
        return "not root: cannot mount a tmpfs"
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, text=True)
    return None if proc.returncode == 0 else f"cannot mount a tmpfs here: {proc.stderr.strip()}"


def test_full_disk_run_fails_with_one_line_and_a_rerun_completes_identically(tmp_path, reference):
    """results/ on a tmpfs too small for the outputs: the run stops with one
    line naming the file, leaves no partial output; after space is freed
    (the tmpfs grown) a rerun completes with the reference's results."""
    folder = good_folder(tmp_path)
    wd = tmp_path / "wd"
    (wd / "results").mkdir(parents=True)
    # space the reference's results take (tmpfs counts whole 4 KiB pages)
    used_kib = sum(-(-p.stat().st_size // 4096) * 4 for p in (reference / "results").rglob("*") if p.is_file())
    reason = _mount_tmpfs(wd / "results", f"{used_kib // 2}k")
    if reason:
        pytest.skip(reason)
    try:
        proc, seconds = run_bounded(wd, [str(folder)], "skip")
        print(f"\nfull-disk run: {seconds:.1f} s, exit {proc.returncode}")
        assert proc.returncode == 1
        assert_no_traceback(wd, proc)
        lines = [ln for ln in proc.stderr.splitlines() if "No space left on device" in ln]
        assert lines, proc.stderr[-3000:]
        for line in lines:
            assert line.startswith(("gene-records ERROR: results/", "gene-records ERROR: writing results/")), line
        print(f"full-disk error: {lines[0]}")
        assert_no_partial_outputs(wd, reference)
        # free space: room for the results and the split's temporary folders
        subprocess.run(["mount", "-o", f"remount,size={used_kib * 4}k", str(wd / "results")], check=True)
        proc, seconds = run_bounded(wd, [str(folder)], "skip")
        print(f"rerun after space was freed: {seconds:.1f} s")
        assert proc.returncode == 0, proc.stderr[-4000:]
        assert_no_traceback(wd, proc)
        assert comparable(results(wd)) == comparable(results(reference))
        assert records_without_paths(wd) == records_without_paths(reference)
    finally:
        subprocess.run(["umount", "-l", str(wd / "results")], capture_output=True)


# ---------------------------------------------------------------- killed while writing


def test_a_run_killed_mid_way_leaves_nothing_a_rerun_takes_for_complete(tmp_path, reference):
    folder = good_folder(tmp_path)
    wd = tmp_path / "wd"
    wd.mkdir()
    config = write_config(wd, records=[str(folder)], tflink_downloads=[str(DOWNLOADS)], on_bad_record="skip")
    cmd = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-d", str(wd), "--configfile", str(config), "--cores", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=ENV)
    deadline = time.monotonic() + RUN_BOUND_S
    # kill the whole process group (Snakemake and its jobs) while
    # split_interactions writes its work folder: outputs of earlier steps
    # exist, this step's are half written
    tf_targets = wd / "results" / "tf_targets"
    while time.monotonic() < deadline and proc.poll() is None:
        if tf_targets.is_dir() and any(p.name.startswith(".split_interactions-") for p in tf_targets.iterdir()):
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before it could be killed mid-way"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert_no_partial_outputs(wd, reference, killed=True)
    temporaries = sorted(str(p.relative_to(wd)) for p in (wd / "results").rglob(".*") if hidden(str(p)))
    print(f"\nkilled run: {len(temporaries)} temporaries left under hidden names: {temporaries[:3]}")
    # Snakemake's lock outlives a SIGKILL: --unlock, as its message says, then rerun
    subprocess.run([*cmd, "--unlock"], capture_output=True, timeout=RUN_BOUND_S, check=True, env=ENV)
    rerun, seconds = run_bounded(wd, [str(folder)], "skip")
    assert rerun.returncode == 0, rerun.stderr[-4000:]
    assert_no_traceback(wd, rerun)
    assert comparable(results(wd)) == comparable(results(reference))
    assert records_without_paths(wd) == records_without_paths(reference)
    # no file anywhere under results/ is a leftover of the killed run
    # (the rerun removed the killed job's work folder: cli.remove_stale_temporaries)
    assert [str(p) for p in (wd / "results").rglob(".*") if hidden(str(p))] == []
    assert sorted(results(wd, skip=("provenance", "parsed"))) == sorted(results(reference, skip=("provenance", "parsed")))


def test_stale_temporaries_of_this_job_only_are_removed(tmp_path):
    out = tmp_path / "tables" / "records.tsv"
    out.parent.mkdir()
    own = [out.parent / ".records.tsv.abc123.tmp", out.parent / ".write_x-k2j3"]
    (own[1]).mkdir()
    (own[1] / "part.tsv").write_text("half")
    own[0].write_text("half")
    others = [out.parent / ".genes.tsv.abc.tmp", out.parent / ".merge_interactions-x", out.parent / "genes.tsv"]
    others[0].write_text("another job's")
    others[1].mkdir()
    others[2].write_text("done")
    assert cli.remove_stale_temporaries([str(out)], "write_x") == 2
    assert not any(p.exists() for p in own) and all(p.exists() for p in others)
