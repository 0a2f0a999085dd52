"""TF/target interactions: normalisation, merge rules, downloads, whole-organism tables, splits.

Real data first: the SOX4 seed page (Q06945), the TFLink pages in
resources/records/tflink and the per-protein downloads in
resources/tflink_downloads. Values asserted here were read from those files
by hand. The steps are called in-process on the parsed batches of the
session's bundled run (fast), and the bundled run itself is checked for the
outputs' contract.
"""

from __future__ import annotations

import csv
import gzip
import itertools
import json
import re
import shutil
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest
from conftest import DOWNLOADS, SOX4

from gene_records.cli import run
from gene_records.errors import ConfigError, RecordError
from gene_records.interactions import (
    BadValue,
    find_downloads,
    merge_collection,
    merge_group,
    norm_accession,
    norm_ids,
    norm_name,
    norm_pubmed,
    other_generation,
    split_interactions,
)
from gene_records.interactions import sources as gi_sources
from gene_records.interactions import split as split_module
from gene_records.interactions.sources import TABLE_COLUMNS
from gene_records.interactions import build_regulons
from gene_records.interactions.regulons import organism_slug, set_names, slugs, symbol_token
from gene_records.interactions.synth import generate_table
from gene_records.tsv import read_tsv, read_tsv_dicts
from gene_records.tables import INTERACTIONS, REGULON_NETWORK

HEADER = "\t".join(TABLE_COLUMNS) + "\n"

# ------------------------------------------------------------------ helpers


def parsed(run_dir: Path) -> tuple[list[str], str]:
    """The parsed batches and records.tsv of a workflow run."""
    jsonls = sorted(str(p) for p in (run_dir / "results" / "parsed").glob("batch_*.jsonl"))
    return jsonls, str(run_dir / "results" / "tables" / "records.tsv")


def no_records(tmp: Path) -> tuple[list[str], str]:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "none.jsonl").write_text("")
    (tmp / "records.tsv").write_text(
        "record_id\tsource\tsource_file\tsymbol\tname\torganism\tncbi_gene_id\tensembl_gene_id\tuniprot_accession\tsha256\n"
    )
    return [str(tmp / "none.jsonl")], str(tmp / "records.tsv")


def merge(out: Path, jsonls, records, downloads=(), tables=(), on_bad_record="fail", threads=1) -> dict[str, Path]:
    """The maps and merge_interactions on a whole collection (gene_records.interactions.merge_collection)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "interactions": out / "interactions.tsv",
        "missing_downloads": out / "missing_downloads.tsv",
        "rejected": out / "rejected_interactions.tsv",
        "conflicts": out / "interaction_conflicts.tsv",
        "summary": out / "interactions_summary.tsv",
    }
    merge_collection(
        jsonls=list(jsonls),
        records=str(records),
        downloads=[str(d) for d in downloads],
        tables=[str(t) for t in tables],
        on_bad_record=on_bad_record,
        sort_memory_mb=64,
        threads=threads,
        **{k: str(v) for k, v in paths.items()},
    )
    return paths


def split(out: Path, interactions: Path, threads=1, **params) -> dict[str, Path]:
    paths = {
        "by_tf": out / "by_tf",
        "by_target": out / "by_target",
        "index": out / "index.tsv",
    }
    split_interactions(
        interactions=str(interactions),
        sort_memory_mb=64,
        threads=threads,
        **params,
        **{k: str(v) for k, v in paths.items()},
    )
    return paths


def pairs(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    header, rows = read_tsv(path)
    assert header == list(INTERACTIONS.header)
    out = {}
    for r in rows:
        assert (r[0], r[1]) not in out, f"pair {r[:2]} twice"
        out[(r[0], r[1])] = dict(zip(header, r))
    return out


def summary(path: Path) -> dict[str, int]:
    _, rows = read_tsv(path)
    return {k: int(v) for k, v in rows}


def table_file(path: Path, rows: list[str], gz: bool = False) -> Path:
    text = HEADER + "".join(r if r.endswith("\n") else r + "\n" for r in rows)
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def download_rows(path: Path) -> list[list[str]]:
    """A download read with the csv module (independently of the library)."""
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh, delimiter="\t"))[1:]


def pubmed_digits(text: str) -> set[str]:
    return set(re.findall(r"\d{5,}", urllib.parse.unquote_plus(text)))


def page(record_id: str, run_dir: Path) -> dict:
    return json.loads((run_dir / "results" / "records" / f"{record_id}.json").read_text())


@pytest.fixture(scope="module")
def bundled_merge(bundled_run, tmp_path_factory):
    """merge + split, in-process, on the bundled pages and downloads (as the workflow runs them)."""
    out = tmp_path_factory.mktemp("bundled_merge")
    jsonls, records = parsed(bundled_run)
    m = merge(out, jsonls, records, downloads=find_downloads([DOWNLOADS]))
    s = split(out / "tf_targets", m["interactions"])
    return {**m, **s}


# ------------------------------------------------------------------ values


def test_pubmed_ids_in_every_tflink_spelling():
    assert norm_pubmed("29087512%5Buid%5D+OR+24435928%5Buid%5D") == "24435928;29087512"
    assert norm_pubmed("https://www.ncbi.nlm.nih.gov/pubmed/?term=29126285%5Buid%5D+OR+27924024%5Buid%5D") == (
        "27924024;29126285"
    )
    assert norm_pubmed("20094846,10329730,8602863,29087512") == "8602863;10329730;20094846;29087512"
    assert norm_pubmed("19148141;29087512;29126285;27924024") == "19148141;27924024;29087512;29126285"
    assert norm_pubmed("27924024;27924024") == "27924024"
    for missing in ("", "-", "NA"):
        assert norm_pubmed(missing) == ""
    with pytest.raises(BadValue, match="'PMC123' is not a PubMed id"):
        norm_pubmed("27924024;PMC123")


def test_ids_names_and_accessions():
    assert norm_ids("100532731,648") == "648;100532731"
    assert norm_ids("121504,554313,8294") == "8294;121504;554313"
    assert norm_ids("NA") == norm_ids("-") == norm_ids("") == ""
    assert norm_name("-") == ""
    assert norm_name("Na") == "Na"  # a gene named Na, not a missing value
    assert norm_name("RPL9; RPL9P7; RPL9P8") == "RPL9;RPL9P7;RPL9P8"
    assert norm_name("OR2M7 D") == "OR2M7 D"
    assert norm_name("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert norm_accession("Q06945") == "Q06945"
    assert norm_accession("A0A0A6YYC7") == "A0A0A6YYC7"
    for bad in ("../etc/passwd", "Q06945/x", "CON", ".hidden", "a b", "x" * 65):
        with pytest.raises(BadValue, match="not a plain identifier"):
            norm_accession(bad)
    with pytest.raises(BadValue, match="empty"):
        norm_accession("-")
    assert other_generation("TFLink_tfs_of_Q06945.tsv") == "tfs_of_Q06945.tsv"
    assert other_generation("targets_of_O00358.tsv") == "TFLink_targets_of_O00358.tsv"


def _row(
    origin,
    tf_name="",
    target_name="",
    organism="Homo sapiens",
    tf_ncbi="",
    evidence="No",
    pubmed="",
    methods="m",
    sources="S",
):
    return ["P1", "P2", tf_ncbi, "", tf_name, target_name, methods, pubmed, organism, sources, evidence, origin]


def test_merge_rule_table_then_download_then_page():
    rows = [
        _row(
            "page:tflink-P2",
            tf_name="PAGE",
            tf_ncbi="648;100532731",
            evidence="Yes",
            pubmed="1;20",
            methods="b",
            sources="GTRD",
        ),
        _row("download:tfs_of_P2.tsv", tf_name="DL", tf_ncbi="648", pubmed="3", methods="a;b", sources="ReMap"),
        _row("table:t.tsv", tf_name="TABLE", target_name="", evidence="No", pubmed="20"),
    ]
    merged, conflicts = merge_group(rows)
    assert merged[:6] == ["P1", "P2", "648;100532731", "", "TABLE", ""]
    assert merged[6:] == [
        "a;b;m",
        "1;3;20",
        "Homo sapiens",
        "GTRD;ReMap;S",
        "Yes",
        "download:tfs_of_P2.tsv;page:tflink-P2;table:t.tsv",
    ]
    assert ("tf_name", "TABLE", "DL | PAGE") in conflicts
    assert ("tf_ncbi_gene_id", "648;100532731", "648 | 648;100532731") in conflicts
    assert ("small_scale_evidence", "Yes", "No") in conflicts
    # the same whatever the order of the rows
    for perm in itertools.permutations(rows):
        assert merge_group([list(r) for r in perm]) == (merged, conflicts)


def test_merge_rule_empty_never_wins_and_ties_go_to_the_most_frequent():
    rows = [
        _row("table:a.tsv", target_name=""),
        _row("page:tflink-P1", target_name="SOX4"),
        _row("page:tflink-P2", target_name="SOX4"),
    ]
    assert merge_group(rows)[0][5] == "SOX4"
    rows = [_row("page:tflink-A", tf_name="B"), _row("page:tflink-B", tf_name="A"), _row("page:tflink-C", tf_name="B")]
    merged, conflicts = merge_group(rows)
    assert merged[4] == "B" and conflicts == [("tf_name", "B", "A")]
    rows = [_row("page:tflink-A", tf_name="B"), _row("page:tflink-B", tf_name="A")]
    assert merge_group(rows)[0][4] == "A"  # a tie: the smaller in byte order
    rows = [_row("page:tflink-A", evidence=""), _row("page:tflink-B", evidence="No")]
    assert merge_group(rows)[0][10] == "No"


# ------------------------------------------------------------------ downloads: finding them


def test_find_downloads_recursive_in_folder_order(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    (a / "sub").mkdir(parents=True)
    (a / ".hidden").mkdir()
    b.mkdir()
    for p in (
        a / "tfs_of_P1.tsv",
        a / "sub" / "TFLink_targets_of_P2.tsv",
        a / ".hidden" / "tfs_of_P3.tsv",
        a / "bindingSites_of_P1.tsv",
        a / "notes.txt",
        b / "tfs_of_P1.tsv",
    ):
        p.write_text("x")
    assert find_downloads([b, a]) == [
        str(b / "tfs_of_P1.tsv"),
        str(a / "sub" / "TFLink_targets_of_P2.tsv"),
        str(a / "tfs_of_P1.tsv"),
    ]
    with pytest.raises(ConfigError, match="not a folder"):
        find_downloads([tmp_path / "missing"])


# ------------------------------------------------------------------ the real corpus


@pytest.mark.slow
def test_sox4_page_rows_all_in_interactions_and_splits(bundled_run, bundled_merge):
    sox4 = page("tflink-Q06945", bundled_run)
    assert sox4["source_file"] == str(SOX4)
    assert (len(sox4["tfs"]), len(sox4["targets"])) == (51, 100)
    got = pairs(bundled_merge["interactions"])
    for e in sox4["tfs"]:
        row = got[(e["uniprot"], "Q06945")]
        assert "page:tflink-Q06945" in row["origins"].split(";")
        assert set(e["pubmed_ids"]) <= set(row["pubmed_ids"].split(";"))
    for e in sox4["targets"]:
        row = got[("Q06945", e["uniprot"])]
        assert "page:tflink-Q06945" in row["origins"].split(";")
    # read by hand from the page: ERG,P11308,2078,TRRUST,inferred by curator,29087512%5Buid%5D+OR+24435928%5Buid%5D,Yes
    assert got[("P11308", "Q06945")] == {
        "tf_uniprot": "P11308",
        "target_uniprot": "Q06945",
        "tf_ncbi_gene_id": "2078",
        "target_ncbi_gene_id": "6659",
        "tf_name": "ERG",
        "target_name": "SOX4",
        "detection_methods": "inferred by curator",
        "pubmed_ids": "24435928;29087512",
        "organism": "Homo sapiens",
        "source_databases": "TRRUST",
        "small_scale_evidence": "Yes",
        "origins": "page:tflink-Q06945",
    }
    # AXIN2,Q9Y2T1,8313,TRRUST,inferred by curator,22098624%5Buid%5D+OR+29087512%5Buid%5D,Yes
    axin2 = got[("Q06945", "Q9Y2T1")]
    assert (axin2["target_name"], axin2["target_ncbi_gene_id"], axin2["pubmed_ids"]) == (
        "AXIN2",
        "8313",
        "22098624;29087512",
    )
    # the split files of SOX4 hold the same rows
    by_tf = pairs(bundled_merge["by_tf"] / "Q06945.tsv")
    by_target = pairs(bundled_merge["by_target"] / "Q06945.tsv")
    assert {e["uniprot"] for e in sox4["targets"]} <= {tg for _, tg in by_tf}
    assert {e["uniprot"] for e in sox4["tfs"]} <= {tf for tf, _ in by_target}
    assert by_tf == {k: v for k, v in got.items() if k[0] == "Q06945"}
    assert by_target == {k: v for k, v in got.items() if k[1] == "Q06945"}
    assert by_tf[("Q06945", "Q9Y2T1")] == axin2
    # its downloads are not bundled: listed, not an error
    _, missing = read_tsv(bundled_merge["missing_downloads"])
    assert ["tflink-Q06945", "tfs_download", "TFLink_tfs_of_Q06945.tsv"] in missing
    assert ["tflink-Q06945", "targets_download", "TFLink_targets_of_Q06945.tsv"] in missing


DOWNLOAD_FILES = sorted(p.name for p in DOWNLOADS.iterdir())


@pytest.mark.slow
@pytest.mark.parametrize("name", DOWNLOAD_FILES)
def test_download_counts_equal_rows_plus_page_only_pairs(name, bundled_run, bundled_merge):
    kind, acc = re.match(r"(?:TFLink_)?(tfs|targets)_of_(.+)\.tsv$", name).groups()
    rec = page(f"tflink-{acc}", bundled_run)
    rows = download_rows(DOWNLOADS / name)
    accs = [r[0] for r in rows]
    assert len(set(accs)) == len(accs)
    page_accs = {e["uniprot"] for e in rec[kind]}
    # where a download exists, its first rows are the page's rows
    assert page_accs <= set(accs)
    got = pairs(bundled_merge["interactions"])
    if kind == "tfs":
        mine = {tf: row for (tf, tg), row in got.items() if tg == acc}
    else:
        mine = {tg: row for (tf, tg), row in got.items() if tf == acc}
    from_download = {k for k, r in mine.items() if f"download:{name}" in r["origins"].split(";")}
    from_download_or_page = {
        k for k, r in mine.items() if {f"download:{name}", f"page:tflink-{acc}"} & set(r["origins"].split(";"))
    }
    assert len(from_download) == len(rows)
    assert len(from_download_or_page) == len(rows) + len(page_accs - set(accs))
    # every row of the download is in interactions.tsv with all its evidence
    for r in rows:
        row = mine[r[0]]
        assert pubmed_digits(r[4]) <= set(row["pubmed_ids"].split(";"))
        assert set(re.split("[,;]", r[6])) <= set(row["source_databases"].split(";"))
        assert set(re.split("[,;]", r[3])) <= set(row["detection_methods"].split(";"))
        assert row["organism"] == r[5]


@pytest.mark.slow
def test_download_values_read_by_hand(bundled_merge):
    got = pairs(bundled_merge["interactions"])
    # targets_of_O00358.tsv: P07202 7173 TPO inferred by curator 20094846,10329730,8602863,29087512 Homo sapiens TRRUST Yes
    tpo = got[("O00358", "P07202")]
    assert tpo["pubmed_ids"] == "8602863;10329730;20094846;29087512"
    assert (tpo["tf_name"], tpo["tf_ncbi_gene_id"], tpo["target_name"], tpo["target_ncbi_gene_id"]) == (
        "FOXE1",
        "2304",
        "TPO",
        "7173",
    )
    assert (tpo["source_databases"], tpo["small_scale_evidence"]) == ("TRRUST", "Yes")
    assert tpo["origins"] == "download:targets_of_O00358.tsv;page:tflink-O00358"
    # TFLink_tfs_of_A0A024R261.tsv: P35226 100532731,648 BMI1 (several NCBI ids); the page's protein has no name ('-')
    bmi1 = got[("P35226", "A0A024R261")]
    assert (bmi1["tf_ncbi_gene_id"], bmi1["tf_name"], bmi1["target_name"]) == ("648;100532731", "BMI1", "")
    # tfs_of_A0A024R161.tsv: O75461 1876 E2F6 ... term=29126285%5Buid%5D+OR+27924024%5Buid%5D ... GTRD,ReMap No
    e2f6 = got[("O75461", "A0A024R161")]
    assert (e2f6["pubmed_ids"], e2f6["source_databases"], e2f6["small_scale_evidence"]) == (
        "27924024;29126285",
        "GTRD;ReMap",
        "No",
    )
    # targets_of_A1Z8A6.tsv: A1KXD5 NA - (no NCBI id, no name)
    a1kxd5 = got[("A1Z8A6", "A1KXD5")]
    assert (a1kxd5["target_ncbi_gene_id"], a1kxd5["target_name"], a1kxd5["organism"]) == (
        "",
        "",
        "Drosophila melanogaster",
    )
    # targets_of_O00358.tsv: P32969 6133 "RPL9; RPL9P7; RPL9P8; RPL9P9"; the page writes "RPL9;RPL9P7;..."
    assert got[("O00358", "P32969")]["target_name"] == "RPL9;RPL9P7;RPL9P8;RPL9P9"


@pytest.mark.slow
def test_every_page_entry_is_in_interactions(bundled_run, bundled_merge):
    got = pairs(bundled_merge["interactions"])
    n = 0
    for p in sorted((bundled_run / "results" / "records").glob("tflink-*.json")):
        rec = json.loads(p.read_text())
        origin = f"page:{rec['record_id']}"
        for field in ("tfs", "targets"):
            for e in rec[field]:
                key = (
                    (e["uniprot"], rec["uniprot_accession"])
                    if field == "tfs"
                    else (rec["uniprot_accession"], e["uniprot"])
                )
                row = got[key]
                assert origin in row["origins"].split(";")
                assert set(e["pubmed_ids"]) <= set(row["pubmed_ids"].split(";"))
                assert set(e["detection_methods"]) <= set(row["detection_methods"].split(";"))
                assert set(e["source_databases"]) <= set(row["source_databases"].split(";"))
                if e["small_scale_evidence"] == "Yes":
                    assert row["small_scale_evidence"] == "Yes"
                n += 1
    s = summary(bundled_merge["summary"])
    assert n == s["page_rows"] == 2387
    assert s["download_rows"] == sum(len(download_rows(DOWNLOADS / f)) for f in DOWNLOAD_FILES) == 2730
    assert (s["pages"], s["downloads"], s["missing_downloads"], s["rejected_rows"], s["rejected_files"]) == (
        24,
        7,
        28,
        0,
        0,
    )
    assert s["input_rows"] == s["page_rows"] + s["download_rows"]
    assert s["interactions"] == len(got)


@pytest.mark.slow
def test_splits_union_equals_interactions(bundled_merge):
    header, rows = read_tsv(bundled_merge["interactions"])
    want = Counter(map(tuple, rows))
    _, index = read_tsv(bundled_merge["index"])
    for role, folder, col in (("tf", "by_tf", 0), ("target", "by_target", 1)):
        union: Counter = Counter()
        files = sorted((bundled_merge[folder]).iterdir())
        listed = {r[0]: r for r in index if r[2] == role}
        assert {f.stem for f in files} == set(listed)
        for f in files:
            h, part = read_tsv(f)
            assert h == header and part
            assert {r[col] for r in part} == {f.stem}
            assert int(listed[f.stem][3]) == len(part)
            assert listed[f.stem][4] == f"{folder}/{f.name}"
            union.update(map(tuple, part))
        assert union == want
    assert [(r[0], r[2]) for r in index] == sorted((r[0], r[2]) for r in index)
    sox4 = {r[2]: r for r in index if r[0] == "Q06945"}
    assert sox4["tf"][1] == "SOX4" and sox4["target"][1] == "SOX4"


def gmt(path: Path) -> list[list[str]]:
    return [ln.split("\t") for ln in path.read_text().splitlines()]


def _same_split_files(a: dict[str, Path], b: dict[str, Path]) -> None:
    """The per-TF and per-target files and the index of two splits are byte-identical."""
    for folder in ("by_tf", "by_target"):
        assert {p.name: p.read_bytes() for p in a[folder].iterdir()} == {
            p.name: p.read_bytes() for p in b[folder].iterdir()
        }
    assert a["index"].read_bytes() == b["index"].read_bytes()


def regulons(out: Path, interactions: Path, **params) -> dict[str, Path]:
    paths = {"regulons": out / "regulons", "index": out / "regulons.tsv"}
    build_regulons(interactions=str(interactions), **params, **{k: str(v) for k, v in paths.items()})
    return paths


def slug(organism: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", organism.lower()).strip("_") or "unspecified_organism"


def expected_regulons(interactions: Path, small_only=False, min_targets=1) -> dict[str, tuple[list, list]]:
    """The two GMT files of each organism (by slug) as the README and the config document them,
    from interactions.tsv (independently of the step's code): a TF's name in an organism is its
    most frequent non-empty tf_name there (ties: the smallest); UniProt sets = a TF's targets
    (kept when there are at least ``min_targets``), described by its name with white space and
    ``%`` percent-encoded, or its accession; symbol sets = the distinct symbols of its targets'
    names (a ``;``-joined cell gives each; white space runs become ``_``), kept when there are at
    least ``min_targets`` of them, named by the TF's name (white space as ``_``), ``name_ACCESSION``
    when names of the organism are equal ignoring case, the accession when it has none."""
    by_org: dict[str, dict[str, list[dict]]] = {}
    for (tf, tg), r in sorted(pairs(interactions).items()):
        by_org.setdefault(r["organism"], {}).setdefault(tf, []).append(r)
    out = {}
    for org, tfs in by_org.items():
        names = {}
        for tf, rows in tfs.items():
            c = Counter(r["tf_name"] for r in rows if r["tf_name"])
            names[tf] = min(c, key=lambda n: (-c[n], n)) if c else ""
        base = {tf: re.sub(r"\s+", "_", n) or tf for tf, n in names.items()}
        folded = Counter(v.casefold() for v in base.values())
        set_name = {tf: (f"{v}_{tf}" if folded[v.casefold()] > 1 else v) for tf, v in base.items()}
        uniprot, symbols = [], []
        for tf, rows in tfs.items():
            kept = [r for r in rows if not small_only or r["small_scale_evidence"] == "Yes"]
            if kept and len(kept) >= min_targets:
                desc = re.sub(r"[%\s]", lambda m: "%{:02X}".format(ord(m.group())), names[tf]) or tf
                uniprot.append([tf, desc, *(r["target_uniprot"] for r in kept)])
            syms = sorted({re.sub(r"\s+", "_", x.strip()) for r in kept for x in r["target_name"].split(";") if x.strip()})
            if syms and len(syms) >= min_targets:
                symbols.append([set_name[tf], tf, *syms])
        out[slug(org)] = (uniprot, symbols)
    return out


def read_regulons(r: dict[str, Path]) -> dict[str, tuple[list, list]]:
    return {
        p.name[: -len(".uniprot.gmt")]: (gmt(p), gmt(p.with_name(p.name.replace(".uniprot.", ".symbols."))))
        for p in sorted(r["regulons"].glob("*.uniprot.gmt"))
    }


@pytest.mark.slow
def test_regulons_per_organism(bundled_merge, tmp_path):
    r = regulons(tmp_path, bundled_merge["interactions"])
    got = pairs(bundled_merge["interactions"])
    files = read_regulons(r)
    assert files == expected_regulons(bundled_merge["interactions"])
    assert sorted(files) == [
        "caenorhabditis_elegans", "danio_rerio", "drosophila_melanogaster", "homo_sapiens", "mus_musculus",
        "rattus_norvegicus", "saccharomyces_cerevisiae",
    ]
    human_u = {ln[0]: ln for ln in files["homo_sapiens"][0]}
    foxe1 = human_u["O00358"]
    assert foxe1[1] == "FOXE1" and foxe1[2:] == sorted(tg for (tf, tg) in got if tf == "O00358")
    assert len(foxe1[2:]) == 641
    # no token holds white space: OR2M7 D is described percent-encoded, its symbol set is OR2M7_D
    assert human_u["A0A126GW21"][1] == "OR2M7%20D"
    human_s = {ln[1]: ln for ln in files["homo_sapiens"][1]}
    assert human_s["A0A126GW21"][0] == "OR2M7_D"
    assert human_s["O00358"][0] == "FOXE1" and "TPO" in human_s["O00358"] and "RPL9P7" in human_s["O00358"]
    assert human_s["Q06945"][0] == "SOX4" and "AXIN2" in human_s["Q06945"]
    # TFs with the same name in two organisms no longer meet: Tcf7l2 rat and mouse, Myc mouse and fly
    rat_s = {ln[1]: ln for ln in files["rattus_norvegicus"][1]}
    mouse_s = {ln[1]: ln for ln in files["mus_musculus"][1]}
    fly_s = {ln[1]: ln for ln in files["drosophila_melanogaster"][1]}
    assert rat_s["D4A8X6"][:2] == ["Tcf7l2", "D4A8X6"] and mouse_s["Q924A0"][:2] == ["Tcf7l2", "Q924A0"]
    assert mouse_s["P01108"][0] == "Myc" and fly_s["Q9W4S7"][0] == "Myc"
    for uniprot, symbols in files.values():
        for lines in (uniprot, symbols):
            assert all(tok and not re.search(r"\s", tok) for ln in lines for tok in ln)
            names = [ln[0].casefold() for ln in lines]
            assert len(set(names)) == len(names)
    # a TF without a name (A0A023IRJ6, yeast): described and named by its accession
    yeast_u = {ln[0]: ln for ln in files["saccharomyces_cerevisiae"][0]}
    yeast_s = {ln[1]: ln for ln in files["saccharomyces_cerevisiae"][1]}
    assert yeast_u["A0A023IRJ6"][1] == "A0A023IRJ6" and len(yeast_u["A0A023IRJ6"]) == 2 + 100
    assert yeast_s["A0A023IRJ6"][0] == "A0A023IRJ6"
    # every pair is in the UniProt sets of its organism, once
    assert sum(len(ln) - 2 for u, _ in files.values() for ln in u) == len(got)
    index = read_tsv_dicts(r["index"])
    assert [i["slug"] for i in index] == sorted(files)
    for i in index:
        rows = [v for v in got.values() if v["organism"] == i["organism"]]
        assert int(i["pairs"]) == len(rows) == int(i["gmt_pairs"]) == int(i["network_pairs"])
        assert int(i["gmt_pairs_without_target_symbol"]) == sum(not v["target_name"] for v in rows)
        assert int(i["uniprot_sets"]) == len(files[i["slug"]][0]) and int(i["symbol_sets"]) == len(files[i["slug"]][1])
        assert int(i["renamed_sets"]) == 0
        for k in ("uniprot_gmt", "symbols_gmt", "uniprot_network", "symbols_network"):
            assert (r["index"].parent / i[k]).is_file()
    assert sum(int(i["gmt_pairs_without_target_symbol"]) for i in index) == 761


@pytest.mark.slow
def test_regulon_networks(bundled_merge, tmp_path):
    r = regulons(tmp_path, bundled_merge["interactions"])
    got = pairs(bundled_merge["interactions"])
    seen = 0
    for i in read_tsv_dicts(r["index"]):
        header, rows = read_tsv(r["index"].parent / i["uniprot_network"])
        assert header == list(REGULON_NETWORK.header)
        for row in [dict(zip(header, x)) for x in rows]:
            src = got[(row["source"], row["target"])]
            assert row["weight"] == "1" and src["organism"] == i["organism"]
            for k in ("small_scale_evidence", "source_databases", "pubmed_ids", "tf_name", "target_name"):
                assert row[k] == src[k]
            assert row["n_sources"] == str(len([x for x in src["source_databases"].split(";") if x]))
            assert (row["tf_uniprot"], row["target_uniprot"]) == (row["source"], row["target"])
        seen += len(rows)
        header, rows = read_tsv(r["index"].parent / i["symbols_network"])
        sym = [dict(zip(header, x)) for x in rows]
        assert len(sym) == int(i["symbol_network_rows"])
        assert len({(x["source"], x["target"]) for x in sym}) == len(sym)  # no edge twice
        gmt_pairs = {(ln[0], m) for ln in gmt(r["index"].parent / i["symbols_gmt"]) for m in ln[2:]}
        assert {(x["source"], x["target"]) for x in sym} == gmt_pairs
    assert seen == len(got)
    # a `;`-joined target name gives one row per symbol, each naming the target
    human = read_tsv_dicts(r["regulons"] / "homo_sapiens.symbols.tsv")
    foxe1 = {x["target"]: x for x in human if x["tf_uniprot"] == "O00358"}
    assert foxe1["TPO"]["source"] == "FOXE1" and foxe1["TPO"]["small_scale_evidence"] == "Yes"


@pytest.mark.slow
def test_regulon_filters(bundled_merge, tmp_path):
    got = pairs(bundled_merge["interactions"])
    r = regulons(tmp_path / "two", bundled_merge["interactions"], gmt_min_targets=2)
    assert read_regulons(r) == expected_regulons(bundled_merge["interactions"], min_targets=2)
    r = regulons(tmp_path / "hundred", bundled_merge["interactions"], gmt_min_targets=100)
    files = read_regulons(r)
    assert files == expected_regulons(bundled_merge["interactions"], min_targets=100)
    yeast = files["saccharomyces_cerevisiae"]
    # the symbol file counts symbols, the UniProt file targets: A0A023IRJ6 100 targets, 82 symbols
    assert "A0A023IRJ6" in {ln[0] for ln in yeast[0]} and "A0A023IRJ6" not in {ln[1] for ln in yeast[1]}
    r = regulons(tmp_path / "small", bundled_merge["interactions"], gmt_evidence="small_scale")
    files = read_regulons(r)
    assert files == expected_regulons(bundled_merge["interactions"], small_only=True)
    uniprot = {ln[0]: ln for u, _ in files.values() for ln in u}
    assert len(uniprot) == 26  # the TFs with at least one small-scale (TRRUST, HTRI, ...) target
    for tf, line in uniprot.items():
        assert all(got[(tf, tg)]["small_scale_evidence"] == "Yes" for tg in line[2:])
    assert 0 < len(uniprot["O00358"][2:]) < 641
    # the networks keep every pair unless network_evidence says otherwise
    assert sum(int(i["network_pairs"]) for i in read_tsv_dicts(r["index"])) == len(got)
    r = regulons(tmp_path / "small_net", bundled_merge["interactions"], network_evidence="small_scale")
    index = read_tsv_dicts(r["index"])
    assert sum(int(i["network_pairs"]) for i in index) == sum(v["small_scale_evidence"] == "Yes" for v in got.values())
    assert read_regulons(r) == expected_regulons(bundled_merge["interactions"])
    for key in ("gmt_evidence", "network_evidence"):
        with pytest.raises(ConfigError, match=key):
            regulons(tmp_path / "x", bundled_merge["interactions"], **{key: "some"})


def test_regulon_names():
    assert organism_slug("Homo sapiens") == "homo_sapiens" and organism_slug("") == "unspecified_organism"
    assert organism_slug("Escherichia coli (strain K12)") == "escherichia_coli_strain_k12"
    assert slugs(["Homo sapiens", "homo  sapiens", ""]) == {
        "": "unspecified_organism", "Homo sapiens": "homo_sapiens", "homo  sapiens": "homo_sapiens_2"
    }
    assert symbol_token(" OR2M7 \t D ") == "OR2M7_D"
    names, renamed = set_names({"P1": "AR", "P2": "Ar", "P3": "", "P4": "SOX2", "P5": "AR_P2"})
    assert names == {"P1": "AR_P1", "P2": "Ar_P2_P2", "P3": "P3", "P4": "SOX2", "P5": "AR_P2_P5"}
    assert renamed == 3
    assert len({n.casefold() for n in names.values()}) == 5


# ------------------------------------------------------------------ downloads: look-up, missing, bad


@pytest.mark.slow
def test_download_under_the_other_generation_name_and_duplicates(bundled_run, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    # the page names TFLink_tfs_of_A0A024R261.tsv; give it as tfs_of_A0A024R261.tsv
    shutil.copyfile(DOWNLOADS / "TFLink_tfs_of_A0A024R261.tsv", a / "tfs_of_A0A024R261.tsv")
    # the page names targets_of_O00358.tsv; give it as TFLink_targets_of_O00358.tsv, twice
    shutil.copyfile(DOWNLOADS / "targets_of_O00358.tsv", a / "TFLink_targets_of_O00358.tsv")
    shutil.copyfile(DOWNLOADS / "targets_of_O00358.tsv", b / "targets_of_O00358.tsv")
    # a download no page names (its protein is in its name)
    rows = (DOWNLOADS / "tfs_of_A0A075B6K2.tsv").read_text().splitlines(keepends=True)
    (b / "tfs_of_P99999.tsv").write_text("".join(rows[:3]))
    jsonls, records = parsed(bundled_run)
    m = merge(tmp_path / "out", jsonls, records, downloads=find_downloads([a, b]))
    got = pairs(m["interactions"])
    assert got[("P35226", "A0A024R261")]["origins"] == "download:tfs_of_A0A024R261.tsv;page:tflink-A0A024R261"
    assert got[("O00358", "P07202")]["origins"] == "download:TFLink_targets_of_O00358.tsv;page:tflink-O00358"
    orphan = {k: v for k, v in got.items() if k[1] == "P99999"}
    assert sorted(orphan) == [("P04198", "P99999"), ("Q13148", "P99999")]
    assert orphan[("P04198", "P99999")]["origins"] == "download:tfs_of_P99999.tsv"
    s = summary(m["summary"])
    assert (s["downloads"], s["downloads_without_page"], s["downloads_not_read_duplicates"]) == (3, 1, 1)
    _, missing = read_tsv(m["missing_downloads"])
    assert ["tflink-A0A024R261", "tfs_download", "TFLink_tfs_of_A0A024R261.tsv"] not in missing
    assert ["tflink-A0A024R161", "tfs_download", "tfs_of_A0A024R161.tsv"] in missing


BAD_HEADERS = {
    "missing column": lambda h: h.replace("\tOrganism", ""),
    "extra column": lambda h: h.rstrip("\n") + "\tExtra\n",
    "different order": lambda h: h.replace("Name.Target\tDetection.method", "Detection.method\tName.Target"),
    "quoted": lambda h: "\t".join(f'"{c}"' for c in h.rstrip("\n").split("\t")) + "\n",
}


@pytest.mark.slow
@pytest.mark.parametrize("problem", sorted(BAD_HEADERS))
def test_bad_download_header_fails_or_is_rejected(problem, bundled_run, tmp_path):
    folder = tmp_path / "dl"
    folder.mkdir()
    lines = (DOWNLOADS / "targets_of_O00358.tsv").read_text().splitlines(keepends=True)
    (folder / "targets_of_O00358.tsv").write_text(BAD_HEADERS[problem](lines[0]) + "".join(lines[1:]))
    jsonls, records = parsed(bundled_run)
    with pytest.raises(RecordError) as err:
        merge(tmp_path / "fail", jsonls, records, downloads=find_downloads([folder]))
    assert err.value.path == str(folder / "targets_of_O00358.tsv") and err.value.where == "line 1"
    assert "not a TFLink download header" in err.value.problem
    m = merge(tmp_path / "skip", jsonls, records, downloads=find_downloads([folder]), on_bad_record="skip")
    h, rejected = read_tsv(m["rejected"])
    assert h == ["file", "where", "scope", "reason"]
    assert [r[:3] for r in rejected] == [[str(folder / "targets_of_O00358.tsv"), "line 1", "file"]]
    got = pairs(m["interactions"])
    foxe1 = {k: v for k, v in got.items() if k[0] == "O00358"}
    assert len(foxe1) == 100  # the page's own rows
    assert all("download:" not in v["origins"] for v in foxe1.values())


@pytest.mark.slow
def test_bad_download_rows(bundled_run, tmp_path):
    folder = tmp_path / "dl"
    folder.mkdir()
    lines = (DOWNLOADS / "targets_of_O00358.tsv").read_text().splitlines(keepends=True)
    lines[5] = "P28360\t4487\tMSX1\n"  # too few fields (line 6)
    lines[7] = lines[7].replace("Yes", "Maybe").replace("No", "Maybe")  # line 8
    lines[9] = "../../x" + lines[9][lines[9].index("\t") :]  # line 10: not a plain identifier
    (folder / "targets_of_O00358.tsv").write_text("".join(lines))
    jsonls, records = parsed(bundled_run)
    with pytest.raises(RecordError) as err:
        merge(tmp_path / "fail", jsonls, records, downloads=find_downloads([folder]))
    assert (err.value.where, err.value.problem) == ("line 6", "expected 8 tab-separated fields, found 3")
    m = merge(tmp_path / "skip", jsonls, records, downloads=find_downloads([folder]), on_bad_record="skip")
    _, rejected = read_tsv(m["rejected"])
    assert [(r[1], r[2]) for r in rejected] == [("line 6", "row"), ("line 8", "row"), ("line 10", "row")]
    assert "is not Yes or No" in rejected[1][3] and "not a plain identifier" in rejected[2][3]
    got = pairs(m["interactions"])
    assert not [k for k in got if "/" in k[1]]
    assert len([k for k, v in got.items() if k[0] == "O00358" and "download:" in v["origins"]]) == 641 - 3
    assert summary(m["summary"])["rejected_rows"] == 3


@pytest.mark.slow
def test_download_with_crlf_and_bom_gives_the_same_rows(bundled_run, tmp_path):
    folder = tmp_path / "dl"
    folder.mkdir()
    data = (DOWNLOADS / "targets_of_O00358.tsv").read_bytes()
    (folder / "targets_of_O00358.tsv").write_bytes(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"))
    jsonls, records = parsed(bundled_run)
    plain = merge(tmp_path / "plain", jsonls, records, downloads=[DOWNLOADS / "targets_of_O00358.tsv"])
    crlf = merge(tmp_path / "crlf", jsonls, records, downloads=[folder / "targets_of_O00358.tsv"])
    assert crlf["interactions"].read_bytes() == plain["interactions"].read_bytes()
    assert summary(crlf["summary"])["download_rows"] == 641


def test_overlong_lines_are_refused_with_bounded_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(gi_sources, "MAX_LINE_BYTES", 4096)
    jsonls, records = no_records(tmp_path / "in")
    row = "P11308\tQ06945\t2078\t6659\tERG\tSOX4\tm\t1\tHomo sapiens\tS\tYes\t-\t-\t-\t-\n"
    table = table_file(tmp_path / "t.tsv", [row, "P" * 10000 + "\n", row.replace("Q06945", "Q06946")])
    with pytest.raises(RecordError) as err:
        merge(tmp_path / "fail", jsonls, records, tables=[table])
    assert err.value.where == "line 3" and "a line longer than 4096 bytes" in err.value.problem
    folder = tmp_path / "dl"
    folder.mkdir()
    (folder / "tfs_of_Q06945.tsv").write_text("\t".join(gi_sources.DOWNLOAD_COLUMNS["tfs"]) + "\n" + "x" * 5000 + "\n")
    with pytest.raises(RecordError) as err:
        merge(tmp_path / "dl_fail", jsonls, records, downloads=[folder / "tfs_of_Q06945.tsv"])
    assert err.value.where == "line 2" and "a line longer than 4096 bytes" in err.value.problem


@pytest.mark.slow
def test_missing_download_is_a_warning(bundled_run, tmp_path, caplog):
    jsonls, records = parsed(bundled_run)
    with caplog.at_level("WARNING", logger="gene_records"):
        m = merge(tmp_path, jsonls, records, downloads=[])
    assert "tflink-Q06945: tfs_download TFLink_tfs_of_Q06945.tsv not found" in caplog.text
    _, missing = read_tsv(m["missing_downloads"])
    assert len(missing) == 35 and missing == sorted(missing)
    got = pairs(m["interactions"])
    assert len([k for k in got if k[0] == "O00358"]) == 100


# ------------------------------------------------------------------ whole-organism tables


def _small_table_rows(tmp_path: Path) -> list[str]:
    gen = tmp_path / "gen.tsv"
    generate_table(str(gen), 3000, n_tfs=30, n_proteins=400, seed=7)
    rows = gen.read_text().splitlines(keepends=True)[1:]
    # real pairs of the SOX4 page: one as the page gives it, one that disagrees with it
    rows.insert(
        100,
        "P11308\tQ06945\t2078\t6659\tERG\tSOX4\tinferred by curator\t24435928;29087512\tHomo sapiens\tTRRUST\tYes\t-\t-\tMm:Q06831\t-\n",
    )
    rows.insert(
        2000,
        "Q06945\tQ9Y2T1\t6659\t8313\tSOX4\tAXIN2-T\tchromatin immunoprecipitation assay\t27924024\tHomo sapiens\tGTRD\tNo\t-\t-\t-\t-\n",
    )
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzipped"])
def test_whole_organism_table(gz, bundled_run, tmp_path):
    rows = _small_table_rows(tmp_path)
    name = "TFLink_Homo_sapiens_interactions_All_simpleFormat_v1.0.tsv" + (".gz" if gz else "")
    table = table_file(tmp_path / name, rows, gz=gz)
    jsonls, records = parsed(bundled_run)
    m = merge(tmp_path / "out", jsonls, records, downloads=find_downloads([DOWNLOADS]), tables=[table])
    got = pairs(m["interactions"])
    origin = f"table:{name}"
    # every table row is in interactions.tsv
    for r in rows:
        c = r.rstrip("\n").split("\t")
        row = got[(c[0], c[1])]
        assert origin in row["origins"].split(";")
        assert set(c[7].split(";")) <= set(row["pubmed_ids"].split(";"))
        assert row["organism"] == "Homo sapiens"
    assert got[("P11308", "Q06945")]["origins"] == f"page:tflink-Q06945;{origin}"
    assert got[("P11308", "Q06945")]["pubmed_ids"] == "24435928;29087512"
    axin2 = got[("Q06945", "Q9Y2T1")]
    assert axin2["target_name"] == "AXIN2-T"  # the table's name wins over the page's
    assert axin2["detection_methods"] == "chromatin immunoprecipitation assay;inferred by curator"
    assert axin2["pubmed_ids"] == "22098624;27924024;29087512"
    assert (axin2["source_databases"], axin2["small_scale_evidence"]) == ("GTRD;TRRUST", "Yes")
    _, conflicts = read_tsv(m["conflicts"])
    assert ["Q06945", "Q9Y2T1", "target_name", "AXIN2-T", "AXIN2"] in conflicts
    assert ["Q06945", "Q9Y2T1", "small_scale_evidence", "Yes", "No"] in conflicts
    s = summary(m["summary"])
    assert s["table_rows"] == 3002 and s["input_rows"] == 2387 + 2730 + 3002
    # quirks of the generated table come out normalised
    assert all(";" not in v["tf_name"] or "; " not in v["tf_name"] for v in got.values())
    assert not [v for v in got.values() if v["tf_ncbi_gene_id"] == "NA" or v["tf_name"] == "-"]
    # splits: the union equals the table
    sp = split(tmp_path / "tf_targets", m["interactions"])
    n = sum(len(read_tsv(f)[1]) for f in sp["by_target"].iterdir())
    assert n == len(got)
    if gz:
        plain = tmp_path / "plain"
        plain.mkdir()
        t2 = table_file(plain / name[:-3], rows)
        m2 = merge(plain / "out", jsonls, records, downloads=find_downloads([DOWNLOADS]), tables=[t2])
        assert m2["interactions"].read_text() == m["interactions"].read_text().replace(name, name[:-3])


def test_table_with_crlf_and_bom_gives_the_same_rows(tmp_path, monkeypatch):
    jsonls, records = no_records(tmp_path / "in")
    rows = _small_table_rows(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain = table_file(tmp_path / "a" / "t.tsv", rows)
    crlf = tmp_path / "b" / "t.tsv"
    crlf.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes().replace(b"\n", b"\r\n"))
    monkeypatch.setattr(gi_sources, "MIN_RANGE_BYTES", 1)
    m1 = merge(tmp_path / "o1", jsonls, records, tables=[plain])
    m2 = merge(tmp_path / "o2", jsonls, records, tables=[crlf], threads=2)
    assert m1["interactions"].read_bytes() == m2["interactions"].read_bytes()
    assert summary(m2["summary"])["table_rows"] == len(rows)


def test_table_in_parallel_ranges_gives_the_same_bytes(tmp_path, monkeypatch):
    jsonls, records = no_records(tmp_path / "in")
    gen = tmp_path / "t.tsv"
    generate_table(str(gen), 5000, n_tfs=40, n_proteins=600, seed=3)
    one = merge(tmp_path / "one", jsonls, records, tables=[gen], threads=1)
    monkeypatch.setattr(gi_sources, "MIN_RANGE_BYTES", 1)
    assert len(gi_sources.table_ranges(str(gen), 10, 2)) == 2
    two = merge(tmp_path / "two", jsonls, records, tables=[gen], threads=2)
    assert one["interactions"].read_bytes() == two["interactions"].read_bytes()
    assert summary(two["summary"])["interactions"] == 5000


def test_bad_table_rows_have_their_line_numbers(tmp_path, monkeypatch):
    jsonls, records = no_records(tmp_path / "in")
    gen = tmp_path / "gen.tsv"
    generate_table(str(gen), 4000, n_tfs=20, n_proteins=300, seed=5)
    lines = gen.read_text().splitlines(keepends=True)
    lines[10] = "../evil\t" + lines[10].split("\t", 1)[1]  # line 11
    lines[3500] = "P12345\tCON\t" + lines[3500].split("\t", 2)[2]  # line 3501, in the second range
    lines[3600] = lines[3600].replace("\t", ",", 3)  # line 3601: 12 fields
    lines[3700] = lines[3700].replace("Homo sapiens", "Homo sapiens\xff")  # valid UTF-8 in Python...
    table = tmp_path / "t.tsv"
    data = "".join(lines).encode("utf-8").replace("sapiens\xff".encode("utf-8"), b"sapiens\xff")
    table.write_bytes(data)  # ...made invalid: line 3701
    monkeypatch.setattr(gi_sources, "MIN_RANGE_BYTES", 1)
    with pytest.raises(RecordError) as err:
        merge(tmp_path / "fail", jsonls, records, tables=[table], threads=2)
    assert (err.value.path, err.value.where) == (str(table), "line 11")
    assert "'../evil' is not a plain identifier" in err.value.problem
    m = merge(tmp_path / "skip", jsonls, records, tables=[table], threads=2, on_bad_record="skip")
    _, rejected = read_tsv(m["rejected"])
    assert [(r[0], r[1], r[2]) for r in rejected] == [
        (str(table), "line 11", "row"),
        (str(table), "line 3501", "row"),
        (str(table), "line 3601", "row"),
        (str(table), "line 3701", "row"),
    ]
    assert "'CON' is not a plain identifier" in rejected[1][3]
    assert "expected 15 tab-separated fields, found 12" in rejected[2][3]
    assert "not valid UTF-8" in rejected[3][3]
    assert summary(m["summary"])["interactions"] == 4000 - 4
    sp = split(tmp_path / "tf_targets", m["interactions"], threads=2)
    names = {p.name for p in sp["by_tf"].iterdir()} | {p.name for p in sp["by_target"].iterdir()}
    assert "CON.tsv" not in names and not any("evil" in n for n in names)


@pytest.mark.parametrize("problem", sorted(BAD_HEADERS))
def test_bad_table_header(problem, tmp_path):
    jsonls, records = no_records(tmp_path / "in")
    header = BAD_HEADERS[problem](HEADER)
    table = tmp_path / "t.tsv.gz"
    with gzip.open(table, "wt") as fh:
        fh.write(
            header
            + "P11308\tQ06945\t2078\t6659\tERG\tSOX4\tinferred by curator\t24435928\tHomo sapiens\tTRRUST\tYes\t-\t-\t-\t-\n"
        )
    with pytest.raises(RecordError) as err:
        merge(tmp_path / "fail", jsonls, records, tables=[table])
    assert err.value.where == "line 1" and "not a TFLink interaction table header" in err.value.problem
    m = merge(tmp_path / "skip", jsonls, records, tables=[table], on_bad_record="skip")
    _, rejected = read_tsv(m["rejected"])
    assert [r[:3] for r in rejected] == [[str(table), "line 1", "file"]]
    assert read_tsv(m["interactions"])[1] == []


def test_corrupt_gzip_table_is_one_line_error(tmp_path, capsys):
    jsonls, records = no_records(tmp_path / "in")
    table = tmp_path / "t.tsv.gz"
    full = gzip.compress(
        (HEADER + "P11308\tQ06945\t2078\t6659\tERG\tSOX4\tm\t1\tHomo sapiens\tS\tYes\t-\t-\t-\t-\n" * 2000).encode()
    )
    table.write_bytes(full[: len(full) // 2])
    out = tmp_path / "out"
    argv = [f"jsonls={jsonls[0]}", f"records={records}", f"tables={table}"] + [
        f"{k}={out / k}.tsv" for k in ("interactions", "missing_downloads", "rejected", "conflicts", "summary")
    ]
    with pytest.raises(SystemExit) as exc:
        run(merge_collection, argv=argv)
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(table) in err[0] and "cannot read the file" in err[0] and "Traceback" not in err[0]
    assert not (out / "interactions.tsv").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # temporary folder removed
    # skip: the table is listed as rejected as a whole, the rest goes on
    m = merge(tmp_path / "skip", jsonls, records, tables=[table], on_bad_record="skip")
    _, rejected = read_tsv(m["rejected"])
    assert len(rejected) == 1 and rejected[0][0] == str(table) and rejected[0][2] == "file"
    assert "cannot read the file" in rejected[0][3] and "the whole table is skipped" in rejected[0][3]
    assert read_tsv(m["interactions"])[1] == []
    assert summary(m["summary"])["table_rows"] == 0


def test_row_order_and_duplicates_do_not_change_the_output(tmp_path):
    jsonls, records = no_records(tmp_path / "in")
    rows = _small_table_rows(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    t1 = table_file(tmp_path / "a" / "t.tsv", rows)
    t2 = table_file(tmp_path / "b" / "t.tsv", rows[::-1] + rows[:50])  # reversed, and 50 rows given twice
    m1 = merge(tmp_path / "o1", jsonls, records, tables=[t1])
    m2 = merge(tmp_path / "o2", jsonls, records, tables=[t2])
    assert m1["interactions"].read_bytes() == m2["interactions"].read_bytes()
    assert summary(m2["summary"])["input_rows"] == len(rows) + 50
    assert summary(m2["summary"])["interactions"] == len(rows)


# ------------------------------------------------------------------ split: guards


def _interactions(path: Path, rows: list[list[str]]) -> Path:
    path.write_text(INTERACTIONS.header_line().rstrip("\n") + "\n" + "".join("\t".join(r) + "\n" for r in rows))
    return path


def test_split_refuses_unsorted_or_case_colliding_input(tmp_path):
    base = ["", "", "", "", "m", "1", "Homo sapiens", "S", "No", "table:t.tsv"]
    unsorted = _interactions(tmp_path / "u.tsv", [["P2", "P1", *base], ["P1", "P3", *base]])
    with pytest.raises(RecordError, match="not sorted by tf_uniprot") as err:
        split(tmp_path / "u", unsorted)
    assert err.value.where == "line 3"
    collide = _interactions(tmp_path / "c.tsv", [["P12345", "P1", *base], ["p12345", "P1", *base]])
    with pytest.raises(RecordError, match="only in letter case"):
        split(tmp_path / "c", collide, threads=2)
    bad = _interactions(tmp_path / "b.tsv", [["P1", "../x", *base]])
    with pytest.raises(RecordError, match="not a plain identifier"):
        split(tmp_path / "b", bad)
    assert not (tmp_path / "b" / "by_target").exists()
    assert not list((tmp_path / "b").glob(".split*"))


def test_split_checks_the_header_against_the_declaration(tmp_path):
    base = ["P1", "P2", "", "", "", "", "m", "1", "Homo sapiens", "S", "No", "table:t.tsv"]
    renamed = tmp_path / "renamed.tsv"
    renamed.write_text(
        INTERACTIONS.header_line().replace("\ttarget_name\t", "\ttarget_symbol\t") + "\t".join(base) + "\n"
    )
    with pytest.raises(RecordError) as err:
        split(tmp_path / "r", renamed)
    assert (err.value.path, err.value.where) == (str(renamed), "line 1")
    assert "column 6 is 'target_symbol', expected 'target_name'" in err.value.problem
    assert "\n" not in str(err.value)
    short = tmp_path / "short.tsv"
    short.write_text("\t".join(INTERACTIONS.header[:-1]) + "\n")
    with pytest.raises(RecordError, match="column 12 'origins' is missing"):
        split(tmp_path / "s", short)
    assert not (tmp_path / "r" / "by_tf").exists() and not (tmp_path / "s" / "by_tf").exists()


@pytest.mark.slow
def test_split_one_thread_equals_two(bundled_merge, tmp_path, monkeypatch):
    pools = []
    real_pool = split_module.process_pool
    monkeypatch.setattr(split_module, "process_pool", lambda n: pools.append(real_pool(n)) or pools[-1])
    one = split(tmp_path / "one", bundled_merge["interactions"], threads=1)
    assert pools == []  # one thread: everything in this process
    two = split(tmp_path / "two", bundled_merge["interactions"], threads=2)
    assert len(pools) == 1 and pools[0] is not None  # two threads: the per-TF pass in a forked process
    _same_split_files(one, two)
    assert len(list(one["by_tf"].iterdir())) > 1000


# ------------------------------------------------------------------ the workflow


@pytest.mark.slow
def test_bundled_run_has_the_interaction_outputs(bundled_run, bundled_merge):
    res = bundled_run / "results"
    for rel in (
        "tables/interactions.tsv",
        "qc/missing_downloads.tsv",
        "qc/rejected_interactions.tsv",
        "qc/interaction_conflicts.tsv",
        "qc/interactions_summary.tsv",
        "tf_targets/index.tsv",
        "tf_targets/regulons.tsv",
        "tf_targets/regulons/homo_sapiens.uniprot.gmt",
        "tf_targets/regulons/homo_sapiens.symbols.gmt",
        "tf_targets/regulons/homo_sapiens.uniprot.tsv",
        "tf_targets/regulons/homo_sapiens.symbols.tsv",
    ):
        assert (res / rel).is_file(), rel
    # the workflow's run gives the same bytes as the in-process calls above
    assert (res / "tables" / "interactions.tsv").read_bytes() == bundled_merge["interactions"].read_bytes()
    assert (res / "tf_targets" / "index.tsv").read_bytes() == bundled_merge["index"].read_bytes()
    assert read_regulons({"regulons": res / "tf_targets" / "regulons"}) == expected_regulons(
        res / "tables" / "interactions.tsv"
    )
    # (Snakemake adds a hidden .snakemake_timestamp to directory outputs)
    for folder in ("by_tf", "by_target"):
        ran = {p.name: p.read_bytes() for p in (res / "tf_targets" / folder).glob("*.tsv")}
        assert ran == {p.name: p.read_bytes() for p in bundled_merge[folder].iterdir()}
        assert {p.name for p in (res / "tf_targets" / folder).iterdir()} - set(ran) <= {".snakemake_timestamp"}
    assert summary(res / "qc" / "interactions_summary.tsv")["missing_downloads"] == 28
    assert not list(res.rglob(".merge_interactions-*")) and not list(res.rglob(".split_interactions-*"))
    log = (bundled_run / "logs" / "merge_interactions" / "merge_interactions.log").read_text()
    assert "WARNING: tflink-Q06945: tfs_download TFLink_tfs_of_Q06945.tsv not found in tflink_downloads" in log


def test_summary_metrics_are_the_declared_ones(bundled_merge):
    """interactions_summary.tsv's rows are the metrics its declaration names, in that order."""
    from gene_records.interactions.merge import SUMMARY_METRICS
    from gene_records.tables import INTERACTIONS_SUMMARY

    declared = re.findall(r"`([a-z_]+)`", INTERACTIONS_SUMMARY.column("metric").description)
    assert list(SUMMARY_METRICS) == declared
    assert [r[0] for r in INTERACTIONS_SUMMARY.rows(str(bundled_merge["summary"]))] == declared


def test_a_renamed_or_moved_interactions_column_fails_at_import(monkeypatch):
    """The merge and split address fields by position: those come from tables.INTERACTIONS, so a
    renamed or reordered column stops the import instead of shifting fields silently."""
    import dataclasses
    import importlib

    from gene_records import tables
    from gene_records.interactions import columns

    cols = tables.INTERACTIONS.columns
    renamed = tuple(dataclasses.replace(c, name="target_symbol") if c.name == "target_name" else c for c in cols)
    moved = cols[:4] + (cols[5], cols[4]) + cols[6:]
    try:
        monkeypatch.setattr(tables, "INTERACTIONS", dataclasses.replace(tables.INTERACTIONS, columns=renamed))
        with pytest.raises(KeyError, match="declares no column 'target_name'"):
            importlib.reload(columns)
        monkeypatch.setattr(tables, "INTERACTIONS", dataclasses.replace(tables.INTERACTIONS, columns=moved))
        with pytest.raises(ImportError, match="expect the columns"):
            importlib.reload(columns)
    finally:
        monkeypatch.undo()
        importlib.reload(columns)
    assert columns.TARGET_NAME == 5


def test_regulons_of_pairs_without_organism_or_names(tmp_path):
    """Pairs with an empty organism go to the unspecified_organism files (nothing dropped); a
    target without a name is in the UniProt outputs only, and counted; names that are equal
    ignoring case in one organism become name_ACCESSION; white space never reaches a GMT field."""
    rows = [
        # tf, target, tf ids, target ids, tf name, target name, methods, pubmed, organism, dbs, evidence, origins
        ["P00001", "Q00001", "", "", "Ar", "GENE A", "", "1", "", "GTRD", "No", "table:t"],
        ["P00001", "Q00002", "", "", "Ar", "", "", "", "", "ReMap;TRRUST", "Yes", "table:t"],
        ["P00002", "Q00001", "", "", "AR", "GENE A", "", "2;10", "", "TRRUST", "Yes", "table:t"],
        ["P00003", "Q00003", "", "", "x%y z", "b;c", "", "", "Homo sapiens", "GTRD", "No", "table:t"],
    ]
    interactions = tmp_path / "interactions.tsv"
    INTERACTIONS.write(str(interactions), rows)
    r = regulons(tmp_path, interactions)
    index = {i["slug"]: i for i in read_tsv_dicts(r["index"])}
    assert sorted(index) == ["homo_sapiens", "unspecified_organism"]
    none = index["unspecified_organism"]
    assert none["organism"] == "" and none["pairs"] == "3" and none["renamed_sets"] == "2"
    assert none["gmt_pairs_without_target_symbol"] == "1" == none["network_pairs_without_target_symbol"]
    assert gmt(r["regulons"] / "unspecified_organism.uniprot.gmt") == [
        ["P00001", "Ar", "Q00001", "Q00002"], ["P00002", "AR", "Q00001"]
    ]
    assert gmt(r["regulons"] / "unspecified_organism.symbols.gmt") == [
        ["Ar_P00001", "P00001", "GENE_A"], ["AR_P00002", "P00002", "GENE_A"]
    ]
    assert gmt(r["regulons"] / "homo_sapiens.uniprot.gmt") == [["P00003", "x%25y%20z", "Q00003"]]
    assert urllib.parse.unquote("x%25y%20z") == "x%y z"
    assert gmt(r["regulons"] / "homo_sapiens.symbols.gmt") == [["x%y_z", "P00003", "b", "c"]]
    net = read_tsv_dicts(r["regulons"] / "unspecified_organism.uniprot.tsv")
    assert [(n["source"], n["target"], n["weight"], n["n_sources"]) for n in net] == [
        ("P00001", "Q00001", "1", "1"), ("P00001", "Q00002", "1", "2"), ("P00002", "Q00001", "1", "1")
    ]
    sym = read_tsv_dicts(r["regulons"] / "unspecified_organism.symbols.tsv")
    assert [(n["source"], n["target"], n["tf_name"], n["target_name"], n["pubmed_ids"]) for n in sym] == [
        ("Ar_P00001", "GENE_A", "Ar", "GENE A", "1"), ("AR_P00002", "GENE_A", "AR", "GENE A", "2;10")
    ]
    small = regulons(tmp_path / "small", interactions, gmt_evidence="small_scale")
    assert gmt(small["regulons"] / "unspecified_organism.uniprot.gmt") == [
        ["P00001", "Ar", "Q00002"], ["P00002", "AR", "Q00001"]
    ]
    # a TF whose targets all lack a name gets no symbol set
    assert gmt(small["regulons"] / "unspecified_organism.symbols.gmt") == [["AR_P00002", "P00002", "GENE_A"]]
