"""Hostile input: fuzzed real records, resource attacks, file-system and spreadsheet safety."""

from __future__ import annotations

import json
import os
import resource
import shutil
import time

import pytest
from conftest import RECORDS, SOS2, SOX2, SOX4, run_workflow
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gene_records.errors import RecordError
from gene_records.io import decode_text, format_cell
from gene_records.records import detect_and_parse, parse_file, record_id_for, to_json

SEEDS = {
    "genular": SOX2.read_bytes(),
    "tflink": SOX4.read_bytes(),
    "geisha": SOS2.read_bytes(),
    "tbp": (RECORDS / "tflink" / "p20226.md").read_bytes(),
    "crlf_geisha": next(p for p in sorted((RECORDS / "geisha").iterdir()) if b"\r\n" in p.read_bytes()).read_bytes(),
}


@st.composite
def mutated(draw):
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "flip", "truncate", "duplicate", "swap_lines"]))
        i = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "delete":
            del data[i : i + draw(st.integers(1, 200))]
        elif kind == "insert":
            data[i:i] = draw(
                st.one_of(
                    st.binary(min_size=1, max_size=20),
                    st.sampled_from([b"---\n", b"\n", b": ", b"'", b'"', b"- ", b"&a ", b"*a", b"[", b"{", b"\t", b"\xc2\xa0", b"\xe9"]),
                )
            )
        elif kind == "flip" and data:
            data[i] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del data[i:]
        elif kind == "duplicate":
            j = draw(st.integers(i, min(len(data), i + 300)))
            data[j:j] = data[i:j]
        elif kind == "swap_lines":
            lines = bytes(data).split(b"\n")
            a, b = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[a], lines[b] = lines[b], lines[a]
            data = bytearray(b"\n".join(lines))
    return bytes(data)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_fuzzed_real_records_raise_only_record_error(data):
    try:
        text = decode_text("fuzz.md", data)
        source, rec = detect_and_parse("fuzz.md", text)
    except RecordError as exc:
        assert "\n" not in exc.message
        return
    rec_id = record_id_for(source, rec)
    assert rec_id.startswith(source + "-")
    json.loads(to_json({**rec, "record_id": rec_id}))


def test_200_mb_single_line_file_is_rejected_unread(tmp_path):
    big = tmp_path / "huge.md"
    with open(big, "wb") as fh:  # sparse: 200 MB without using the disk
        fh.truncate(200 * 1024 * 1024)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    with pytest.raises(RecordError, match="over the limit"):
        parse_file(str(big))
    assert time.monotonic() - start < 1
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024  # KiB


def test_page_claiming_millions_of_interactions_is_bounded(tmp_path):
    # 150,000 entries (~14 MB, under the 16 MiB limit): parsed in bounded time and memory
    raw = SOX4.read_bytes()
    head, rest = raw.split(b"tfs: '", 1)
    entry = b"ERG,P11308,2078,TRRUST,inferred by curator,29087512%5Buid%5D,Yes\n\n  "
    page = head.replace(b"'6827'", b"'5000000'") + b"tfs: '" + entry * 150_000 + rest
    path = tmp_path / "big.md"
    path.write_bytes(page)
    start = time.monotonic()
    rec = parse_file(str(path))
    assert len(rec["tfs"]) == 150_051 and rec["number_of_interactions"] == 5_000_000
    assert time.monotonic() - start < 60


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("+1+2", "'+1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-cmd", "'-cmd"),
        ("-0.0022", "-0.0022"),
        ("+3", "+3"),
        ("E(Pc)", "E(Pc)"),
        ("a\tb\nc", "a b c"),
        (-0.0022, "-0.0022"),
        (34310.0, "34310"),
        (None, ""),
    ],
)
def test_spreadsheet_formulas_are_neutralised(value, expected):
    assert format_cell(value) == expected


def test_hostile_names_never_reach_the_file_system(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    pages = {
        "traversal.md": SOS2.read_bytes()
        .replace(b"gene_id: '423572'", b"gene_id: ''")
        .replace(b"ncbi_id: '423572'", b"ncbi_id: ''")
        .replace(b"symbol: SOS2", b"symbol: ../../../../tmp/escaped"),
        "con.md": SOS2.read_bytes()
        .replace(b"gene_id: '423572'", b"gene_id: ''")
        .replace(b"ncbi_id: '423572'", b"ncbi_id: ''")
        .replace(b"symbol: SOS2", b"symbol: CON"),
        "script.md": SOX4.read_bytes().replace(b"protein_name: SOX4", b"protein_name: <script>alert(1)</script>"),
        "bad_acc.md": SOX4.read_bytes().replace(b"uniprot_accession: Q06945", b"uniprot_accession: a/b"),
    }
    for name, data in pages.items():
        (folder / name).write_bytes(data)
    wd = tmp_path / "wd"
    run_workflow(wd, records=[str(folder)], tflink_downloads=[], on_bad_record="skip")
    top = sorted(p.name for p in wd.iterdir())
    assert set(top) <= {"results", "logs", "benchmarks", ".snakemake", "config.yaml"}, top
    assert not (tmp_path.parent / "escaped").exists() and not os.path.exists("/tmp/escaped.json")
    names = sorted(p.name for p in (wd / "results" / "records").glob("*.json"))
    assert names == ["geisha-CON.json", "geisha-tmp_escaped.json", "tflink-Q06945.json"]
    rejected = (wd / "results" / "qc" / "rejected_records.tsv").read_text()
    assert "bad_acc.md\tfield 'uniprot_accession': 'A/B' is not a UniProt accession" in rejected
    shutil.rmtree(wd)
