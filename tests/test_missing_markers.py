"""No cell of any result holds a text that readers take for missing (issue 14, item 3).

pandas (``read_csv`` defaults), R (``read.delim``/``readr``: ``NA``) and polars
(which writes ``null``) turn these whole cells into missing values; in the
outputs a missing value is the empty cell, and none of these texts is ever a
real value (an image without a location is ``unspecified location``, a GMT
description is never ``NA``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_downstream

# pandas' default na_values (pandas._libs.parsers.STR_NA_VALUES, pandas 2.x) but the empty
# string, R's NA, polars' null, and the usual spellings of the same.
MARKERS = {
    "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
    "NA", "NULL", "NaN", "None", "n/a", "nan", "null", "Null", "NONE", "none", "NAN", "#NULL!", "NIL", "nil",
}


def marker_cells(results: Path) -> list[tuple[str, int, int, str]]:
    """(file, line, column, cell) of every TSV/GMT cell (header included) that is a marker."""
    found = []
    files = sorted(p for p in results.rglob("*") if p.is_file() and p.suffix in (".tsv", ".gmt"))
    assert len(files) > 100
    for path in files:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                for c, cell in enumerate(line.rstrip("\n").split("\t"), 1):
                    if cell in MARKERS:
                        found.append((str(path.relative_to(results)), n, c, cell))
    return found


@pytest.mark.slow
def test_no_missing_marker_in_the_bundled_run(bundled_run):
    assert marker_cells(bundled_run / "results") == []
    insitu = (bundled_run / "results/tables/insitu_expression.tsv").read_text()
    assert insitu.count("\tunspecified location\t") == 214


@pytest.mark.slow
def test_no_missing_marker_in_the_corpus_run(corpus_run):
    assert marker_cells(corpus_run / "results") == []


def test_the_markers_cover_pandas_defaults(downstream_python):
    out = run_downstream(
        downstream_python, "import json; from pandas._libs.parsers import STR_NA_VALUES as v; print(json.dumps(sorted(v)))"
    ).stdout
    import json

    assert set(json.loads(out)) - {""} <= MARKERS
