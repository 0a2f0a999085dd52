"""The report's interactions reader counts a chunk of columns at a time
(issue 16): the same counts, in the same order, as counting row by row, at
any chunk size, and the same one-line error for a bad row."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from gene_records.errors import RecordError
from gene_records.report import readers
from gene_records.tables import INTERACTIONS


def row_by_row(path) -> readers.InteractionStats:
    """The counts as a plain loop over the rows gives them."""
    st = readers.InteractionStats()
    sources, methods, origins = Counter(), Counter(), Counter()
    with INTERACTIONS.read(str(path)) as r:
        for c in r:
            st.total += 1
            tf = c[r.col("tf_uniprot")]
            st.tf_targets[tf] += 1
            st.target_tfs[c[r.col("target_uniprot")]] += 1
            if tf not in st.tf_names and c[r.col("tf_name")]:
                st.tf_names[tf] = c[r.col("tf_name")]
            sources[c[r.col("source_databases")]] += 1
            methods[c[r.col("detection_methods")]] += 1
            st.small_scale[c[r.col("small_scale_evidence")] or "(empty)"] += 1
            st.organisms[c[r.col("organism")] or "(empty)"] += 1
            origins[c[r.col("origins")]] += 1
    st.sources, st.methods = readers.split_counts(sources), readers.split_counts(methods)
    st.origins = readers.split_counts(
        Counter({";".join({o.split(":", 1)[0] for o in k.split(";")}): n for k, n in origins.items()})
    )
    return st


def table(path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        tf = f"P{rng.randint(0, 30):05d}"
        rows.append([
            tf, f"Q{i:05d}", "", "", rng.choice(["", "", "SOX2", "Sox2", f"N{tf}"]), "", rng.choice(["", "a;b", "b"]),
            "", rng.choice(["", "Homo sapiens", "(empty)", "Mus musculus"]), rng.choice(["GTRD", "GTRD;ReMap", ""]),
            rng.choice(["Yes", "No", "", "(empty)"]), rng.choice(["page:tflink-X", "download:a.tsv;table:t"]),
        ])
    rows.sort(key=lambda r: (r[0], r[1]))
    INTERACTIONS.write(str(path), rows)


@pytest.mark.parametrize("chunk", [1, 3, 64, 256])
def test_interaction_counts_are_those_of_a_row_by_row_loop(tmp_path, monkeypatch, chunk):
    path = tmp_path / "interactions.tsv"
    table(path, 500)
    monkeypatch.setattr(readers, "CHUNK_ROWS", chunk)
    got, want = readers.read_interactions(str(path)), row_by_row(path)
    for name in readers.InteractionStats.__dataclass_fields__:
        g, w = getattr(got, name), getattr(want, name)
        assert g == w, name
        if isinstance(w, dict):
            assert list(g.items()) == list(w.items()), name  # the same order too
    # an empty cell and a literal "(empty)" count together
    cells = [line.split("\t")[10] for line in path.read_text().splitlines()[1:]]
    assert got.small_scale["(empty)"] == cells.count("") + cells.count("(empty)") > cells.count("") > 0


def test_progress_is_logged_at_each_multiple(tmp_path, monkeypatch, caplog):
    path = tmp_path / "interactions.tsv"
    table(path, 50)
    monkeypatch.setattr(readers, "PROGRESS_EVERY", 10)
    monkeypatch.setattr(readers, "CHUNK_ROWS", 7)
    with caplog.at_level("INFO", logger="gene_records"):
        readers.read_interactions(str(path))
    assert [m for m in caplog.messages if "rows read" in m] == [f"interactions.tsv: {n} rows read" for n in (10, 20, 30, 40, 50)]


def test_a_bad_row_is_the_readers_one_line_error(tmp_path):
    path = tmp_path / "interactions.tsv"
    table(path, 40)
    lines = path.read_text().splitlines(keepends=True)
    lines[30] = lines[30].rstrip("\n") + "\textra\n"
    path.write_text("".join(lines))
    with pytest.raises(RecordError, match="line 31"):
        readers.read_interactions(str(path))
