"""Expression tables: Genular cell types (long + matrices) and GEISHA in situ images."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from batching import map_batches
from conftest import RECORDS, SOS2, SOX2, all_record_files

from gene_records.errors import RecordError
from gene_records.expression import (
    CellExpression,
    gene_column_labels,
    hh_stage,
    image_locations,
    tabulate_expression,
)
from gene_records.io import write_tsv
from gene_records.tsv import read_tsv, read_tsv_dicts
from gene_records.tables import CELL_EXPRESSION, INSITU_EXPRESSION
from gene_records.tables import RECORDS as RECORDS_TABLE
from gene_records.records import parse_file, summary_row, to_json

GEISHA_FILES = sorted((RECORDS / "geisha").glob("*.md")) + [SOS2]


# ------------------------------------------------------------------ helpers


def write_inputs(folder: Path, files: list[Path]) -> tuple[list[str], str]:
    """Parse record files into one batch JSONL and a records.tsv, as the parse stage does."""
    folder.mkdir(parents=True, exist_ok=True)
    recs = sorted((parse_file(str(f)) for f in files), key=lambda r: r["record_id"])
    jsonl = folder / "batch_0000.jsonl"
    jsonl.write_text("".join(to_json(r) + "\n" for r in recs), encoding="utf-8")
    records = folder / "records.tsv"
    write_tsv(str(records), RECORDS_TABLE.header, [summary_row(r) for r in recs])
    return [str(jsonl)], str(records)


def reduce_expression(folder: Path, jsonls: list[str], out: dict[str, Path]) -> None:
    """The map step over the batches, then the reduce (rule tabulate_expression)."""
    parts = map_batches(folder, jsonls)
    tabulate_expression(
        parts["cell_expression"],
        parts["insitu_expression"],
        parts["insitu_cells"],
        parts["gene_summaries"],
        parts["indexes"],
        **{k: str(v) for k, v in out.items()},
    )


def tabulate(folder: Path, files: list[Path]) -> dict[str, Path]:
    jsonls, records = write_inputs(folder / "in", files)
    out = {
        "cell_expression": folder / "cell_expression.tsv",
        "fold_change_matrix": folder / "fc.tsv",
        "csi_matrix": folder / "csi.tsv",
        "insitu_expression": folder / "insitu.tsv",
        "insitu_matrix": folder / "insitu_matrix.tsv",
    }
    reduce_expression(folder / "map", jsonls, out)
    return out


def page_cells(path: Path) -> list[tuple[str, str, str, str]]:
    """(name, CL id, fold change text, CSI text) read straight from a Genular page."""
    text = path.read_text(encoding="utf-8")
    return re.findall(r"Cell Name: (.+) \((CL\d+)\)\n\s+Fold Change: (\S+)\n\s+Cell Significance Index: (\S+)", text)


def derive_genular(
    src: Path,
    dst: Path,
    gene_id: str,
    symbol: str,
    ensembl: str,
    edits: dict[str, tuple[str, str]],
    extra_cell: str = "",
) -> Path:
    """A Genular page derived from a real one: another gene id, symbol and some values."""
    text = src.read_text(encoding="utf-8")
    old_symbol = re.search(r"^Symbol: (\S+)$", text, re.M).group(1)
    text = text.replace(f"Details for: {old_symbol}\n", f"Details for: {symbol}\n", 1)
    text = re.sub(r"^Gene ID: \d+$", f"Gene ID: {gene_id}", text, count=1, flags=re.M)
    text = text.replace(f"\nSymbol: {old_symbol}\n", f"\nSymbol: {symbol}\n", 1)
    text = re.sub(r"^Ensembl ID: \S+$", f"Ensembl ID: {ensembl}", text, count=1, flags=re.M)
    for name, (fc, csi) in edits.items():
        text, n = re.subn(
            rf"(Cell Name: {re.escape(name)} \(CL\d+\)\n\s+Fold Change: )\S+(\n\s+Cell Significance Index: )\S+",
            rf"\g<1>{fc}\g<2>{csi}",
            text,
        )
        assert n == 1, name
    if extra_cell:
        text = text.replace("  • Cell Name:", extra_cell + "  • Cell Name:", 1)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(text, encoding="utf-8")
    return dst


def matrix(path: Path) -> tuple[list[str], dict[tuple[str, str], dict[str, str]]]:
    header, rows = read_tsv(str(path))
    return header, {(r[0], r[1]): dict(zip(header[2:], r[2:])) for r in rows}


# ------------------------------------------------------------------ unit


@pytest.mark.parametrize(
    "label, expected",
    [
        ("stage 10", 10),
        ("stage 4", 4),
        ("HH8", 8),
        ("HH 8", 8),
        ("HH3+", 3),
        ("HH8+", 8),
        ("HH6", 6),
        ("10", 10),
        ("stage 46", 46),
        ("stage 47", None),
        ("stage 1419", None),
        ("stage XII", None),
        ("EGKXI", None),
        ("X-XIV", None),
        ("stage 4-5", None),
        ("unknown", None),
        ("", None),
        (None, None),
        ("10 somites", None),
        ("24 hpf", None),
        ("75-90% epiboly", None),
        ("Tailbud", None),
    ],
)
def test_hh_stage(label, expected):
    assert hh_stage(label) == expected


def test_image_locations_keep_every_value_and_join_qualifiers():
    assert image_locations({"location": None, "locations": []}) == ["unspecified location"]
    assert image_locations({"location": "", "locations": []}) == ["unspecified location"]
    assert image_locations({"location": "Unlabeled", "locations": ["Unlabeled"]}) == ["Unlabeled"]
    # DUSP6 455917_18.jpg: "Endoderm, Endoderm, early, Lateral Plate Mesoderm, ..."
    assert image_locations(
        {"locations": ["Endoderm", "Endoderm", "early", "Notochord", "extraembryonic endoderm"]}
    ) == [
        "Endoderm",
        "Endoderm, early",
        "Notochord",
        "extraembryonic endoderm",
    ]
    assert image_locations({"locations": ["Somites", "Somites"]}) == ["Somites"]


def test_gene_column_labels_disambiguate_shared_symbols_ignoring_case():
    labels = gene_column_labels(
        [("genular-6657", "SOX2"), ("tflink-P48432", "Sox2"), ("genular-6655", "SOS2"), ("genular-1", "")]
    )
    assert labels == {
        "genular-6657": "SOX2 (genular-6657)",
        "tflink-P48432": "Sox2 (tflink-P48432)",
        "genular-6655": "SOS2",
        "genular-1": "genular-1",
    }


def test_a_cell_type_listed_twice_with_different_values_is_an_error():
    cells = CellExpression()
    entry = {
        "cell_name": "sensory neuron",
        "cell_ontology_id": "CL:0000101",
        "fold_change": 1.5,
        "cell_significance_index": 2.0,
    }
    cells.add(
        {
            "record_id": "genular-1",
            "source_file": "x.txt",
            "symbol": "X",
            "cell_expression": [entry, {**entry, "fold_change": 1.6}],
        }
    )
    with pytest.raises(
        RecordError, match=r"x.txt: cell type 'sensory neuron' \(CL:0000101\): listed twice.*1.5 and 1.6"
    ):
        cells.finish()


def test_a_repeated_cell_type_with_equal_values_is_one_row():
    cells = CellExpression()
    entry = {
        "cell_name": "sensory neuron",
        "cell_ontology_id": "CL:0000101",
        "fold_change": 1.5,
        "cell_significance_index": 2.0,
    }
    cells.add(
        {"record_id": "genular-1", "source_file": "x.txt", "symbol": "X", "cell_expression": [entry, dict(entry)]}
    )
    cells.finish()
    assert list(cells.long_rows()) == [("genular-1", "X", "", "CL:0000101", "sensory neuron", False, 1.5, 2.0)]


def test_a_value_that_is_not_a_number_is_an_error():
    cells = CellExpression()
    with pytest.raises(RecordError, match="x.txt: cell_expression entry 1: fold change is not a number"):
        cells.add(
            {
                "record_id": "genular-1",
                "source_file": "x.txt",
                "cell_expression": [
                    {"cell_name": "a", "cell_ontology_id": "CL:1", "fold_change": "1.5", "cell_significance_index": 1.0}
                ],
            }
        )


# ------------------------------------------------------------------ real corpus: Genular


@pytest.fixture(scope="module")
def corpus_tables(tmp_path_factory) -> dict[str, Path]:
    return tabulate(tmp_path_factory.mktemp("expr"), all_record_files())


def test_sox2_cell_types_in_long_table_with_exact_values(corpus_tables):
    expected = page_cells(SOX2)
    assert len(expected) == 100
    rows = [r for r in read_tsv_dicts(str(corpus_tables["cell_expression"])) if r["record_id"] == "genular-6657"]
    assert len(rows) == 100
    assert list(rows[0]) == list(CELL_EXPRESSION.header)
    by_id = {r["cell_ontology_id"]: r for r in rows}
    for name, cl, fc, csi in expected:
        row = by_id["CL:" + cl[2:]]
        assert row["cell_name"] == name
        assert row["symbol"] == "SOX2" and row["ncbi_gene_id"] == "6657"
        assert float(row["fold_change"]) == float(fc)
        assert float(row["cell_significance_index"]) == float(csi)
        assert row["obsolete"] == ("true" if name.startswith("obsolete ") else "false")
    # read by hand from the page: "retinal progenitor cell (CL0002672)", 2.8757, 161.3700
    rpc = by_id["CL:0002672"]
    assert (rpc["cell_name"], rpc["fold_change"], rpc["cell_significance_index"]) == (
        "retinal progenitor cell",
        "2.8757",
        "161.37",
    )
    # line 41 of the page: an obsolete term, kept as written and flagged
    obs = by_id["CL:4023070"]
    assert obs["cell_name"] == "obsolete caudal ganglionic eminence derived GABAergic cortical interneuron"
    assert obs["obsolete"] == "true"
    assert sum(r["obsolete"] == "true" for r in rows) == 2
    # sorted by cell ontology id within the gene
    assert [r["cell_ontology_id"] for r in rows] == sorted(r["cell_ontology_id"] for r in rows)


def test_sox2_in_both_matrices_with_exact_values(corpus_tables):
    for key, col in (("fold_change_matrix", 2), ("csi_matrix", 3)):
        header, cells = matrix(corpus_tables[key])
        assert header == ["cell_ontology_id", "cell_name", "SOX2"]
        assert len(cells) == 100
        for name, cl, fc, csi in page_cells(SOX2):
            text = cells[("CL:" + cl[2:], name)]["SOX2"]
            assert float(text) == float((fc, csi)[col - 2])
    assert matrix(corpus_tables["fold_change_matrix"])[1][("CL:0002672", "retinal progenitor cell")]["SOX2"] == "2.8757"
    assert matrix(corpus_tables["csi_matrix"])[1][("CL:0002672", "retinal progenitor cell")]["SOX2"] == "161.37"
    # the lowest fold change of the page (ciliated cell, CL0000064): -1.3734, CSI -14.8700
    assert matrix(corpus_tables["fold_change_matrix"])[1][("CL:0000064", "ciliated cell")]["SOX2"] == "-1.3734"
    assert matrix(corpus_tables["csi_matrix"])[1][("CL:0000064", "ciliated cell")]["SOX2"] == "-14.87"


NEW_CELL = (
    "  • Cell Name: retinal cone cell (CL0000573)\n    Fold Change: 0.5000\n    Cell Significance Index: 12.0000\n"
)


def test_adding_a_record_adds_a_column_and_changes_no_value(tmp_path, corpus_tables):
    sos2 = derive_genular(
        SOX2,
        tmp_path / "extra" / "sos2_genular.txt",
        "6655",
        "SOS2",
        "ENSG00000100485",
        {"retinal progenitor cell": ("1.2345", "99.5000"), "sensory neuron": ("-0.2500", "-3.1000")},
        extra_cell=NEW_CELL,
    )
    out = tabulate(tmp_path / "run", [*all_record_files(), sos2])
    for key in ("fold_change_matrix", "csi_matrix"):
        old_header, old = matrix(corpus_tables[key])
        new_header, new = matrix(out[key])
        assert new_header == ["cell_ontology_id", "cell_name", "SOS2", "SOX2"]
        for cell, values in old.items():
            assert new[cell]["SOX2"] == values["SOX2"]
        # the new cell type is a new row, empty for SOX2
        assert new[("CL:0000573", "retinal cone cell")] == {
            "SOS2": {"fold_change_matrix": "0.5", "csi_matrix": "12"}[key],
            "SOX2": "",
        }
        assert set(new) - set(old) == {("CL:0000573", "retinal cone cell")}
    fc = matrix(out["fold_change_matrix"])[1]
    csi = matrix(out["csi_matrix"])[1]
    assert (fc[("CL:0002672", "retinal progenitor cell")], csi[("CL:0002672", "retinal progenitor cell")]) == (
        {"SOS2": "1.2345", "SOX2": "2.8757"},
        {"SOS2": "99.5", "SOX2": "161.37"},
    )
    assert fc[("CL:0000101", "sensory neuron")] == {"SOS2": "-0.25", "SOX2": "4.9295"}
    long_old = [r for r in read_tsv(str(corpus_tables["cell_expression"]))[1]]
    long_new = read_tsv(str(out["cell_expression"]))[1]
    assert [r for r in long_new if r[0] == "genular-6657"] == long_old
    assert len([r for r in long_new if r[0] == "genular-6655"]) == 101
    # the other tables do not change
    for key in ("insitu_expression", "insitu_matrix"):
        assert out[key].read_bytes() == corpus_tables[key].read_bytes()


def test_two_records_with_one_symbol_get_distinct_columns(tmp_path):
    other = derive_genular(
        SOX2, tmp_path / "extra" / "sox2b.txt", "99999", "Sox2", "ENSG00000000001", {"sensory neuron": ("1", "2")}
    )
    out = tabulate(tmp_path / "run", [SOX2, other])
    header, cells = matrix(out["fold_change_matrix"])
    assert header == ["cell_ontology_id", "cell_name", "SOX2 (genular-6657)", "Sox2 (genular-99999)"]
    assert cells[("CL:0000101", "sensory neuron")] == {"SOX2 (genular-6657)": "4.9295", "Sox2 (genular-99999)": "1"}


def test_same_records_same_bytes_whatever_the_batch_order(tmp_path):
    files = all_record_files()
    a = tabulate(tmp_path / "a", files)
    # two batches in the other order
    jsonls, records = write_inputs(tmp_path / "b" / "in", files)
    lines = Path(jsonls[0]).read_text(encoding="utf-8").splitlines(keepends=True)
    first, second = tmp_path / "b" / "in" / "batch_1.jsonl", tmp_path / "b" / "in" / "batch_2.jsonl"
    first.write_text("".join(lines[::2]), encoding="utf-8")
    second.write_text("".join(lines[1::2]), encoding="utf-8")
    b = {k: tmp_path / "b" / v.name for k, v in a.items()}
    reduce_expression(tmp_path / "b" / "map", [str(second), str(first)], b)
    for key in a:
        assert a[key].read_bytes() == b[key].read_bytes(), key


# ------------------------------------------------------------------ real corpus: GEISHA


def raw_image_pairs() -> set[tuple[str, str, str, str]]:
    """(file stem, image url, stage, location) from the raw pages, read with PyYAML."""
    pairs = set()
    for f in GEISHA_FILES:
        text = f.read_text(encoding="utf-8").replace("\r\n", "\n")
        front = yaml.safe_load(text.split("---")[1])
        for im in front.get("images") or []:
            parts = [p.strip() for p in (im.get("location") or "").split(",") if p.strip()]
            locations: list[str] = []
            for p in parts:
                if p == "early":  # "Endoderm, early" and "Mesoderm, early" are single GEISHA terms
                    locations[-1] += ", early"
                else:
                    locations.append(p)
            for loc in locations or ["unspecified location"]:
                stage = "" if im.get("stage") is None else str(im["stage"])
                pairs.add((str(front.get("symbol") or front.get("gene")), im["image_url"], stage, loc))
    return pairs


def test_every_image_location_pair_appears_once(corpus_tables):
    header, rows = read_tsv(str(corpus_tables["insitu_expression"]))
    assert header == list(INSITU_EXPRESSION.header)
    seen = [(r[1].upper(), r[6], r[3], r[5]) for r in rows]
    expected = {(sym.upper(), url, stage, loc) for sym, url, stage, loc in raw_image_pairs()}
    assert len(seen) == len(set(seen)) == len(expected) == 3052
    assert set(seen) == expected
    assert {r[2] for r in rows} == {"Gallus gallus"}
    assert all(r[0].startswith("geisha-") for r in rows)


def insitu(corpus_tables, record_id: str) -> list[dict]:
    return [r for r in read_tsv_dicts(str(corpus_tables["insitu_expression"])) if r["record_id"] == record_id]


def test_sos2_images_row_by_row(corpus_tables):
    rows = insitu(corpus_tables, "geisha-423572")
    # 10 images: 2 + 2 + 5 + 6 + 5 + 5 + 5 + 1 + 1 + 1 locations (read from the page)
    assert len(rows) == 33
    first = [r for r in rows if r["image_url"].endswith("/SOS2/450902_0.jpg")]
    assert [(r["stage"], r["hh_stage"], r["location"], r["source"], r["symbol"]) for r in first] == [
        ("stage 4", "4", "Epiblast", "GEISHA", "SOS2"),
        ("stage 4", "4", "Primitive Streak", "GEISHA", "SOS2"),
    ]
    last = [r for r in rows if r["image_url"].endswith("/SOS2/450902_9.jpg")]
    assert [(r["stage"], r["hh_stage"], r["location"]) for r in last] == [("stage 25", "25", "unspecified location")]
    assert [r["location"] for r in rows if r["stage"] == "stage 21"] == ["Widespread Expression"] * 2
    # sorted by HH stage within the gene
    assert [int(r["hh_stage"]) for r in rows] == sorted(int(r["hh_stage"]) for r in rows)


def test_stage_labels_and_special_locations(corpus_tables):
    brd8 = {r["stage"]: r for r in insitu(corpus_tables, "geisha-BRD8")}
    assert (brd8["EGKXI"]["hh_stage"], brd8["EGKXI"]["location"]) == ("", "Not specified")
    assert brd8["HH3+"]["hh_stage"] == "3"
    assert brd8["HH6"]["hh_stage"] == "6"
    rows = read_tsv_dicts(str(corpus_tables["insitu_expression"]))
    roman = [r for r in rows if r["stage"] in ("stage X", "stage XII", "stage XIII", "stage XIV")]
    assert roman and all(r["hh_stage"] == "" for r in roman)
    assert all(r["hh_stage"] == "" for r in rows if r["stage"] in ("", "unknown"))
    assert sum(r["location"] == "Unlabeled" for r in rows) > 0
    # DUSP6, 455917_18.jpg: "Endoderm, Endoderm, early, Lateral Plate Mesoderm, Neural Plate/Tube, ..."
    dusp6 = [r["location"] for r in insitu(corpus_tables, "geisha-374272") if r["image_url"].endswith("/455917_18.jpg")]
    assert dusp6 == sorted(
        [
            "Endoderm",
            "Endoderm, early",
            "Lateral Plate Mesoderm",
            "Neural Plate/Tube",
            "Notochord",
            "Paraxial Mesoderm",
            "Primitive Streak",
        ]
    )
    assert "early" not in {r["location"] for r in rows}
    # PAX3 lists page4_img0_Pax3_C.jpg twice (identical entries): one row
    pax3 = [r for r in insitu(corpus_tables, "geisha-374127") if r["image_url"].endswith("/page4_img0_Pax3_C.jpg")]
    assert [(r["stage"], r["hh_stage"], r["location"], r["source"]) for r in pax3] == [
        ("unknown", "", "unspecified location", "Kawashima-Ohya et al. 2011")
    ]
    # AvBD10.md: 459500_4.jpg has `location: ''` and `stage: ''`: one row, location `unspecified location`
    avbd10 = {r["image_url"].rsplit("/", 1)[1]: r for r in insitu(corpus_tables, "geisha-AVBD10")}
    assert len(avbd10) == 5
    assert (
        avbd10["459500_4.jpg"]["location"],
        avbd10["459500_4.jpg"]["stage"],
        avbd10["459500_4.jpg"]["hh_stage"],
    ) == ("unspecified location", "", "")
    assert avbd10["459500_3.jpg"]["location"] == "Unlabeled"


def test_pages_without_images_give_no_rows(corpus_tables):
    # Dlx6.md and Lhx5.md have `images: []`
    rows = read_tsv_dicts(str(corpus_tables["insitu_expression"]))
    assert not [r for r in rows if r["record_id"] in ("geisha-DLX6", "geisha-LHX5")]
    header, matrix_rows = read_tsv(str(corpus_tables["insitu_matrix"]))
    assert not [r for r in matrix_rows if r[0] in ("geisha-DLX6", "geisha-LHX5")]


def test_a_page_without_images_alone_gives_empty_tables(tmp_path):
    out = tabulate(tmp_path, [RECORDS / "geisha" / "Dlx6.md"])
    assert read_tsv(str(out["insitu_expression"])) == (list(INSITU_EXPRESSION.header), [])
    assert read_tsv(str(out["insitu_matrix"])) == (["record_id", "symbol"], [])
    assert read_tsv(str(out["cell_expression"])) == (list(CELL_EXPRESSION.header), [])
    assert read_tsv(str(out["fold_change_matrix"])) == (["cell_ontology_id", "cell_name"], [])


def test_insitu_matrix_lists_hh_stages(corpus_tables):
    header, rows = read_tsv(str(corpus_tables["insitu_matrix"]))
    assert header[:2] == ["record_id", "symbol"]
    locations = header[2:]
    assert locations == sorted(locations, key=lambda x: (x.casefold(), x))
    assert {"unspecified location", "Unlabeled", "Widespread Expression", "Not specified", "Endoderm, early"} <= set(locations)
    assert len(rows) == 59  # 61 GEISHA pages (60 + the SOS2 seed), 2 without images
    sos2 = dict(zip(header, next(r for r in rows if r[0] == "geisha-423572")))
    assert sos2["symbol"] == "SOS2"
    assert sos2["Epiblast"] == "4;5"
    assert sos2["Primitive Streak"] == "4;5;6;7"
    assert sos2["Neural Plate/Tube"] == "6;7;10;11;17"
    assert sos2["Forebrain"] == "10;11;17"
    assert sos2["Widespread Expression"] == "21"
    assert sos2["unspecified location"] == "25"
    assert sos2["Somites"] == ""
    brd8 = dict(zip(header, next(r for r in rows if r[0] == "geisha-BRD8")))
    assert brd8["Not specified"].split(";")[:2] == ["3", "6"] and "EGKXI" in brd8["Not specified"].split(";")
    avbd10 = dict(zip(header, next(r for r in rows if r[0] == "geisha-AVBD10")))
    assert (avbd10["unspecified location"], avbd10["Unlabeled"], avbd10["Yolk Sack or Stalk"]) == ("unknown",) * 3
    # every (gene, location) of the long table is a filled cell, and only those
    long_pairs = {(r["record_id"], r["location"]) for r in read_tsv_dicts(str(corpus_tables["insitu_expression"]))}
    filled = {(r[0], loc) for r in rows for loc, cell in zip(locations, r[2:]) if cell}
    assert filled == long_pairs


# ------------------------------------------------------------------ the workflow


def test_workflow_writes_the_expression_tables(bundled_run):
    tables = bundled_run / "results" / "tables"
    assert read_tsv(str(tables / "cell_expression.tsv"))[0] == list(CELL_EXPRESSION.header)
    assert read_tsv(str(tables / "insitu_expression.tsv"))[0] == list(INSITU_EXPRESSION.header)
    header, cells = matrix(tables / "cell_expression_fold_change.tsv")
    assert cells[("CL:0002672", "retinal progenitor cell")]["SOX2"] == "2.8757"
    header, cells = matrix(tables / "cell_expression_csi.tsv")
    assert cells[("CL:0002672", "retinal progenitor cell")]["SOX2"] == "161.37"
    assert len(read_tsv(str(tables / "insitu_expression.tsv"))[1]) == 3052
    assert read_tsv(str(tables / "insitu_matrix.tsv"))[0][:2] == ["record_id", "symbol"]
