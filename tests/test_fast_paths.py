"""The short paths added for speed (benchmarks/scale.py profiles) give exactly
what the general paths give: YAML front matter, TSV cells, provenance row
counts, source-filtered record reads."""

from __future__ import annotations

import gzip
import hashlib
import math
import os

import pytest
import yaml
from conftest import RECORDS, all_record_files

from gene_records import frontmatter, io, provenance, tflink
from gene_records.records import iter_jsonl, load_records


class _GenericLoader(frontmatter._NoAliasLoader):
    """The loader as it was: PyYAML's generic constructor for every node."""

    construct_document = yaml.constructor.BaseConstructor.construct_document


def _load(loader, text):
    try:
        return "ok", yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        return "error", type(exc).__name__, getattr(exc, "problem", None), str(getattr(exc, "problem_mark", ""))


def _front_matters() -> list[str]:
    out = []
    for path in all_record_files():
        text = io.read_record_text(str(path))[0].lstrip()
        if text.startswith("---"):
            out.append(frontmatter.split_front_matter(str(path), text)[0])
    return out


EDGE_YAML = [
    "a: 1\nb: [1, 2.5, null, true, 2020-01-02]\nc: {x: y}\n",
    "d:\n  <<: {x: 1}\n  y: 2\n",  # merge key: generic path
    "<<: [{a: 1}, {b: 2}]\nc: 3\n",
    "1: a\n2: b\nnull: c\ntrue: d\n",  # keys that are not text
    "=: v\n",  # the '=' value key
    "? [a, b]\n: v\n",  # unhashable key: the same error
    "a: !!binary aGVsbG8=\n",
    "a: !!set {x, y}\n",
    "a: !!omap [x: 1, y: 2]\n",
    "a: !!str {x: 1}\n",
    "a: !!python/object:os.system x\n",  # refused by the safe loader
    "a: x\na: y\n",  # duplicate key: the last wins
    "a: 'q'\nb: \"d\"\nc: |\n  block\nd: >\n  folded\n  text\ne: ~\nf: .nan\ng: 0x1F\n",
    "- a\n- b\n",
    "just text\n",
    "",
    # aliases are refused wherever they are, also across a generic subtree
    "a: &x hello\nb: *x\n",
    "a: &x [1]\nb: {c: *x}\n",
    "a: &x {k: v}\nb: [*x]\n",
    "a: &x 1\nb: *x\n",
    "a: &x !!set {q}\nb: *x\n",
    "k: &x\n  - &y z\n  - *y\n",
    "a: &x [1]\nb: !!set {? *x}\n",
]


@pytest.mark.parametrize("text", EDGE_YAML + _front_matters())
def test_fast_yaml_construction_equals_the_generic_one(text):
    assert repr(_load(frontmatter._NoAliasLoader, text)) == repr(_load(_GenericLoader, text))


def test_fast_yaml_still_refuses_aliases_at_the_anchor():
    result = _load(frontmatter._NoAliasLoader, "symbol: X\na: &a [lol, lol]\nb: [*a, *a]\n")
    assert result[0] == "error" and "anchors and aliases" in result[2] and "line 2" in result[3]


def test_real_front_matter_parses_to_the_same_record_with_both_loaders():
    for text in _front_matters():
        assert yaml.load(text, Loader=frontmatter._NoAliasLoader) == yaml.load(text, Loader=_GenericLoader)


def test_tflink_cached_term_parsing_gives_fresh_lists():
    text = (RECORDS / "tflink" / "a0a023gpj1.md").read_text(encoding="utf-8")
    fm, _ = frontmatter.load_front_matter("a0a023gpj1.md", text)
    entries = tflink.parse_entries("a0a023gpj1.md", "tfs", fm["tfs"])
    # read from the page by hand: 10 TFs, all GTRD ChIP with PubMed 27924024
    assert len(entries) == 10
    assert entries[1]["name"] == "Trl" and entries[1]["uniprot"] == "Q08605"
    assert all(e["pubmed_ids"] == ["27924024"] for e in entries)
    assert all(e["source_databases"] == ["GTRD"] for e in entries)
    assert all(e["detection_methods"] == ["chromatin immunoprecipitation assay"] for e in entries)
    entries[0]["pubmed_ids"].append("1")  # each entry owns its lists
    assert entries[1]["pubmed_ids"] == ["27924024"]
    assert tflink.parse_entries("x", "tfs", fm["tfs"])[0]["pubmed_ids"] == ["27924024"]


class _Str(str):
    pass


class _Int(int):
    pass


class _Float(float):
    pass


# (value, the cell format_cell must give): the documented rules, spelled out
# (a comparison of the short path with the general one could not catch a rule
# that both get wrong).
CELLS = [
    (None, ""), (True, "true"), (False, "false"), (0, "0"), (-7, "-7"),
    (10**20, "100000000000000000000"), (0.0, "0"), (-0.0, "0"), (1.0, "1"), (2.5, "2.5"),
    (-2.5, "-2.5"), (1e15, "1000000000000000.0"), (1e16, "1e+16"), (1e-300, "1e-300"),
    (math.nan, ""), (math.inf, "inf"), (-math.inf, "-inf"), ("", ""), ("a", "a"),
    ("a\tb", "a b"), ("a\nb\r", "a b "), ("=1+1", "'=1+1"), ("+41", "+41"), ("-3", "-3"),
    ("-3.5e4", "-3.5e4"), ("@x", "'@x"), ("-", "'-"), ("nan", "nan"), ("-inf", "-inf"),
    (_Str("=x"), "'=x"), (_Str("a\tb"), "a b"), (_Int(5), "5"), (_Float(2.0), "2"),
    (_Float(2.5), "2.5"), (_Float(math.nan), ""), (b"bytes", "b'bytes'"), ([1, 2], "[1, 2]"), ((1,), "(1,)"),
]


@pytest.mark.parametrize("value, expected", CELLS, ids=[repr(v) for v, _ in CELLS])
def test_format_cell(value, expected):
    assert io.format_cell(value) == expected


def test_format_cell_numpy_numbers():
    np = pytest.importorskip("numpy")
    cases = [
        (np.float64(2.0), "2"), (np.float64(2.5), "2.5"), (np.float64("nan"), ""), (np.float32(0.5), "0.5"),
        (np.int64(7), "7"), (np.uint8(3), "3"), (np.bool_(True), "true"), (np.bool_(False), "false"),
    ]
    for value, expected in cases:
        assert io.format_cell(value) == expected, repr(value)


def _rows_by_lines(data: bytes, name: str) -> str:
    """count_rows as it was: a loop over the lines."""
    lines = data.splitlines(keepends=True)
    if name.endswith(".fasta"):
        return str(sum(line.startswith(b">") for line in lines))
    n = len(lines)
    return str(n - 1 if name.endswith(".tsv") and n else n)


BLOCK = provenance._BLOCK
ROW_CASES = {
    "empty.tsv": b"",
    "header_only.tsv": b"a\tb\n",
    "no_final_newline.tsv": b"a\tb\n1\t2\n3\t4",
    "lines.gmt": b"x\ty\n" * 3,
    "records.jsonl": b"{}\n{}\n",
    "seqs.fasta": b">a\nMK\n>b\nM>K\n",
    "boundary.fasta": b"x" * (BLOCK - 1) + b"\n>" + b"a\n>b",
    "boundary2.fasta": b">" + b"\n" * BLOCK + b">",
    "big.tsv": b"h\n" + b"r\tx\n" * (BLOCK // 2) + b"last",
    "other.txt": b"a\nb\n",
}


@pytest.mark.parametrize("name", sorted(ROW_CASES))
@pytest.mark.parametrize("gz", [False, True])
def test_hash_and_count_equals_hash_size_and_line_loop(tmp_path, name, gz):
    data = ROW_CASES[name]
    path = tmp_path / (name + (".gz" if gz else ""))
    raw = gzip.compress(data) if gz else data
    path.write_bytes(raw)
    expected_rows = _rows_by_lines(data, name) if name.endswith((".tsv", ".gmt", ".fasta", ".jsonl")) else ""
    sha, size, rows = provenance.hash_and_count(str(path))
    assert (sha, size, rows) == (hashlib.sha256(raw).hexdigest(), os.path.getsize(path), expected_rows)
    assert provenance.count_rows(str(path)) == expected_rows


def test_hash_and_count_on_real_outputs(bundled_run):
    for path in sorted((bundled_run / "results").rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            sha, size, rows = provenance.hash_and_count(str(path))
            assert sha == hashlib.sha256(data).hexdigest() and size == len(data)
            if path.name.endswith((".tsv", ".gmt", ".fasta", ".jsonl")):
                assert rows == _rows_by_lines(data, path.name), path


def test_load_records_with_sources_equals_filtering_after_decoding(bundled_run):
    jsonls = sorted(str(p) for p in (bundled_run / "results" / "parsed").glob("batch_*.jsonl"))
    records_tsv = str(bundled_run / "results" / "tables" / "records.tsv")
    everything = list(load_records(jsonls, records_tsv))
    assert {r["source"] for r in everything} == {"genular", "tflink", "geisha"}
    for sources in (("genular",), ("tflink",), ("geisha",), ("genular", "geisha"), ()):
        got = list(load_records(jsonls, records_tsv, sources=sources))
        assert got == [r for r in everything if r["source"] in sources]
    assert list(iter_jsonl(jsonls, sources=("tflink",))) == [
        r for r in iter_jsonl(jsonls) if r["source"] == "tflink"
    ]
