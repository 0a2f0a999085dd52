"""Per-batch partial tables and their merge (gene_records.batches)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gene_records.batches import dropped_ids, first_copies, kept_copies, merge_partials, partial_json
from gene_records.errors import RecordError
from gene_records.tables import BATCH_CITATIONS, BATCH_INDEX, CITATIONS
from gene_records.tsv import read_tsv

INDEX_WIDTH = len(BATCH_INDEX.header)


def index_row(rid: str, source_file: str) -> list[str]:
    row = [""] * INDEX_WIDTH
    row[BATCH_INDEX.index("record_id")] = rid
    row[BATCH_INDEX.index("source_file")] = source_file
    row[BATCH_INDEX.index("sha256")] = "0" * 64
    return row


def citation_rows(rid: str, n: int, tag: str) -> list[list[str]]:
    return [[rid, "genular", str(1000 + k), "", f"title {tag} {k}", "", ""] for k in range(n)]


def write_batches(tmp_path, batches: list[list[tuple[str, str, int]]]):
    """Each batch: (record_id, source_file, rows). Returns (partials, indexes,
    expected rows of the kept copies in the final order)."""
    partials, indexes = [], []
    best: dict[str, tuple[str, list]] = {}
    for b, records in enumerate(batches):
        index = tmp_path / f"batch_{b}.index.tsv"
        BATCH_INDEX.write(str(index), [index_row(rid, f) for rid, f, _ in sorted(records)])
        # the map step keeps, inside a batch, the copy whose path sorts first
        firsts: dict[str, tuple[str, int]] = {}
        for rid, f, n in sorted(records):
            if rid not in firsts or f < firsts[rid][0]:
                firsts[rid] = (f, n)
        rows = []
        for rid, (f, n) in sorted(firsts.items()):
            rows += citation_rows(rid, n, f)
            if rid not in best or f < best[rid][0]:
                best[rid] = (f, citation_rows(rid, n, f))
        part = tmp_path / f"batch_{b}.citations.tsv"
        BATCH_CITATIONS.write(str(part), rows)
        partials.append(str(part))
        indexes.append(str(index))
    expected = [row for rid in sorted(best) for row in best[rid][1]]
    return partials, indexes, expected


def test_merge_interleaves_batches_in_record_order_and_keeps_first_copies(tmp_path):
    batches = [
        [("genular-1", "/a/1.txt", 2), ("genular-3", "/a/3.txt", 0), ("genular-5", "/a/5.txt", 3)],
        [("genular-2", "/b/2.txt", 1), ("genular-1", "/z/dup.txt", 4), ("genular-4", "/b/4.txt", 2)],
    ]
    partials, indexes, expected = write_batches(tmp_path, batches)
    out = tmp_path / "citations.tsv"
    assert merge_partials(BATCH_CITATIONS, partials, indexes, str(out)) == len(expected) == 8
    header, rows = read_tsv(str(out))
    assert header == list(CITATIONS.header)
    assert rows == expected
    assert [r[0] for r in rows] == ["genular-1"] * 2 + ["genular-2", "genular-4", "genular-4"] + ["genular-5"] * 3
    assert all("/a/1.txt" in r[4] for r in rows if r[0] == "genular-1")  # not the copy of /z/dup.txt
    kept = kept_copies(indexes)
    assert kept["genular-1"] == "/a/1.txt"
    assert dropped_ids(indexes[1], kept) == {"genular-1"} and dropped_ids(indexes[0], kept) == set()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.sampled_from(["/a/", "/b/", "/c/"]), st.integers(0, 4), st.integers(0, 3)),
        max_size=40,
    )
)
def test_merge_equals_one_sort_of_the_kept_records(tmp_path_factory, items):
    """Any records, any batches, duplicates across and inside batches: the
    merge is what sorting the kept copies' rows at once gives."""
    tmp_path = tmp_path_factory.mktemp("merge")
    batches: list[list] = [[] for _ in range(4)]
    seen = set()
    for num, folder, rows, batch in items:
        rid, f = f"genular-{num}", f"{folder}{num}.txt"
        if (rid, f) in seen:
            continue
        seen.add((rid, f))
        batches[batch].append((rid, f, rows))
    partials, indexes, expected = write_batches(tmp_path, batches)
    out = tmp_path / "out.tsv"
    merge_partials(BATCH_CITATIONS, partials, indexes, str(out))
    assert read_tsv(str(out))[1] == expected


def test_a_partial_out_of_order_or_foreign_is_one_line_error(tmp_path):
    partials, indexes, _ = write_batches(tmp_path, [[("genular-1", "/a/1.txt", 1), ("genular-2", "/a/2.txt", 1)]])
    path = partials[0]
    lines = open(path, encoding="utf-8").read().splitlines(keepends=True)
    open(path, "w", encoding="utf-8").write(lines[0] + lines[2] + lines[1])  # genular-2 before genular-1
    with pytest.raises(RecordError, match=r"batch_0.citations.tsv: line 2: rows of record 'genular-2'.*rerun its batch"):
        merge_partials(BATCH_CITATIONS, partials, indexes, str(tmp_path / "out.tsv"))
    assert not (tmp_path / "out.tsv").exists()
    open(path, "w", encoding="utf-8").write(lines[0] + lines[1] + lines[2].replace("genular-2", "genular-9"))
    with pytest.raises(RecordError, match="rows of record 'genular-9', which its batch index does not list"):
        merge_partials(BATCH_CITATIONS, partials, indexes, str(tmp_path / "out.tsv"))
    open(path, "w", encoding="utf-8").write(lines[0] + lines[1] + lines[2].rstrip("\n"))
    with pytest.raises(RecordError, match="no line break"):
        merge_partials(BATCH_CITATIONS, partials, indexes, str(tmp_path / "out.tsv"))
    open(path, "w", encoding="utf-8").write(lines[0].replace("pubmed_id", "pmid") + lines[1])
    with pytest.raises(RecordError, match="header does not match"):
        merge_partials(BATCH_CITATIONS, partials, indexes, str(tmp_path / "out.tsv"))


def test_first_copies_keeps_the_first_path_and_refuses_unsorted_batches():
    recs = [
        {"record_id": "a", "source_file": "/z.txt"},
        {"record_id": "a", "source_file": "/b.txt"},
        {"record_id": "b", "source_file": "/c.txt"},
    ]
    assert [r["source_file"] for r in first_copies(recs)] == ["/b.txt", "/c.txt"]
    with pytest.raises(RecordError, match="not sorted by record_id"):
        list(first_copies(list(reversed(recs))))


def test_partial_json_leaves_out_the_dropped_copies(tmp_path):
    _, indexes, _ = write_batches(tmp_path, [[("genular-1", "/a/1.txt", 0)], [("genular-1", "/0/1.txt", 0)]])
    parts = []
    for b in range(2):
        p = tmp_path / f"s{b}.jsonl"
        p.write_text(f'{{"record_id": "genular-1", "batch": {b}}}\n', encoding="utf-8")
        parts.append(str(p))
    assert [d["batch"] for d in partial_json(parts, indexes)] == [1]  # /0/1.txt sorts first
    (tmp_path / "s1.jsonl").write_text("{not json\n", encoding="utf-8")
    with pytest.raises(RecordError, match=r"s1.jsonl: line 1: not JSON"):
        list(partial_json(parts, indexes))


def test_the_map_job_writes_what_its_parts_write_one_by_one(tmp_path):
    """map_batch (rule parse_records: parse, then every partial from the JSONL
    decoded once) writes byte for byte what parse_batch, tabulate_batch and
    tabulate_page_interactions write one after another, on the real records
    (bundled and corpus)."""
    from conftest import RECORDS, SHARED_CORPUS

    from batching import PARTS
    from gene_records.batch_map import map_batch
    from gene_records.batch_tables import tabulate_batch
    from gene_records.interactions.partials import tabulate_page_interactions
    from gene_records.parse import discover, parse_batch

    files = discover([str(RECORDS), str(SHARED_CORPUS)])
    assert len(files) > 150
    page_parts = ("page_interactions", "pages", "page_rejects")
    out = {}
    for how in ("one_job", "parts"):
        d = tmp_path / how
        (d / "partials").mkdir(parents=True)
        paths = {n: str(d / "partials" / f"{n}.tsv") for n in (*PARTS, *page_parts, "jsonl", "index", "rejected")}
        parse_kw = {k: paths[k] for k in ("jsonl", "index", "rejected")}
        if how == "one_job":
            map_batch(**paths, records=files, on_bad_record="skip")
        else:
            parse_batch(**parse_kw, records=files, on_bad_record="skip")
            tabulate_batch(paths["jsonl"], **{n: paths[n] for n in PARTS})
            tabulate_page_interactions(paths["jsonl"], *(paths[n] for n in page_parts))
        out[how] = {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}
    assert out["one_job"].keys() == out["parts"].keys()
    ids = {line.split(b"\t", 1)[0] for line in out["parts"]["partials/index.tsv"].splitlines()[1:]}
    assert sum(k.startswith("records/") for k in out["parts"]) == len(ids) > 80  # one JSON file per record
    assert [k for k in out["parts"] if out["parts"][k] != out["one_job"][k]] == []
    assert out["parts"]["partials/page_interactions.tsv"].count(b"\n") > 100
