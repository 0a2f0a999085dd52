"""Parsers on every real record, with values read from the files by hand."""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import RECORDS, SHARED_CORPUS, SOS2, SOX2, SOX4, SOX14, all_record_files

from gene_records.records import parse_file, to_json


@pytest.mark.parametrize("path", all_record_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_real_record_parses(path):
    rec = parse_file(str(path))
    assert rec["source"] in ("genular", "tflink", "geisha")
    assert rec["record_id"].startswith(rec["source"] + "-")
    json.loads(to_json(rec))  # JSON-ready


def test_bundled_records_are_the_corpus_byte_for_byte():
    if not SHARED_CORPUS.is_dir():
        pytest.skip(f"{SHARED_CORPUS} not present (only CI and developers have it)")
    for sub in ("seeds", "tflink", "geisha"):
        shared = sorted(p.name for p in (SHARED_CORPUS / sub).iterdir())
        bundled = sorted(p.name for p in (RECORDS / sub).iterdir())
        assert shared == bundled
        for name in shared:
            assert (SHARED_CORPUS / sub / name).read_bytes() == (RECORDS / sub / name).read_bytes()


def test_record_ids_unique_across_corpus():
    ids = [parse_file(str(p))["record_id"] for p in all_record_files()]
    assert len(ids) == len(set(ids)) == 86


def test_sox2_genular():
    rec = parse_file(str(SOX2))
    assert rec["record_id"] == "genular-6657"
    assert (rec["symbol"], rec["ncbi_gene_id"], rec["ensembl_gene_id"]) == ("SOX2", "6657", "ENSG00000181449")
    assert rec["name"] == "SRY-box transcription factor 2"
    assert rec["organism"] == "Homo sapiens"  # from the entry name SOX2_HUMAN
    cells = rec["cell_expression"]
    assert len(cells) == 100
    assert cells[0] == {
        "cell_name": "sensory neuron",
        "cell_ontology_id": "CL:0000101",
        "fold_change": 4.9295,
        "cell_significance_index": 28.02,
    }
    rpc = [c for c in cells if c["cell_ontology_id"] == "CL:0002672"]
    assert rpc == [
        {
            "cell_name": "retinal progenitor cell",
            "cell_ontology_id": "CL:0002672",
            "fold_change": 2.8757,
            "cell_significance_index": 161.37,
        }
    ]
    obsolete = [c for c in cells if c["cell_name"].startswith("obsolete")]
    assert obsolete[0]["cell_ontology_id"] == "CL:4023070"
    assert [c for c in cells if c["cell_ontology_id"] == "CL:0000095"][0]["fold_change"] == -0.0022
    assert len(rec["citations"]) == 11
    assert rec["citations"][0] == {
        "pubmed_id": "7849401",
        "title": "The cDNA sequence and chromosomal location of the human SOX2 gene.",
        "doi": "10.1007/bf00411460",
    }
    assert rec["citations"][-1]["doi"] == "10.1074/jbc.ra118.005336"
    prot = rec["protein"]
    assert (prot["stated_length"], prot["stated_mass_da"], prot["stated_crc64"]) == ("317", "34310", "EFCCAFE3E3A2B67B")
    assert len(prot["sequence"]) == 317
    assert prot["sequence"].startswith("MYNMMETELKPPGPQQTSGG") and prot["sequence"].endswith("GPVPGTAINGTLPLSHM")
    assert (prot["entry_name"], prot["name"], prot["genular_protein_id"]) == (
        "SOX2_HUMAN",
        "Transcription factor SOX-2",
        "399741046",
    )
    assert prot["accessions"] == [] and rec["uniprot_accession"] == ""  # the page lists none
    assert rec["other_information"].startswith("**Key Characteristics:**")


def test_sox4_tflink():
    rec = parse_file(str(SOX4))
    assert rec["record_id"] == "tflink-Q06945"
    assert (rec["symbol"], rec["ncbi_gene_id"], rec["organism"]) == ("SOX4", "6659", "Homo sapiens")
    assert rec["number_of_interactions"] == 6827
    assert len(rec["tfs"]) == 51 and len(rec["targets"]) == 100
    assert rec["tfs"][0] == {
        "name": "ERG",
        "uniprot": "P11308",
        "ncbi_gene_ids": ["2078"],
        "source_databases": ["TRRUST"],
        "detection_methods": ["inferred by curator"],
        "pubmed_ids": ["24435928", "29087512"],
        "small_scale_evidence": "Yes",
    }
    ctcf = [e for e in rec["tfs"] if e["name"] == "CTCF"][0]  # entry folded across two lines
    assert ctcf["detection_methods"] == ["chromatin immunoprecipitation assay", "inferred by curator"]
    assert ctcf["source_databases"] == ["ORegAnno", "PAZAR", "ReMap"]
    assert ctcf["pubmed_ids"] == ["18971253", "26578589", "29126285"]
    assert rec["targets"][-1]["name"] == "MRPL11" and rec["targets"][-1]["uniprot"] == "Q9Y3B7"
    assert [o["uniprot_accession"] for o in rec["orthologs"]] == ["Q06831", "A0A0R4IQD2"]
    assert rec["tfs_download"] == "TFLink_tfs_of_Q06945.tsv"
    assert rec["targets_download"] == "TFLink_targets_of_Q06945.tsv"
    assert rec["extra"] == {"bindingSites_download": "", "binding_sites_ls": ""}


def test_sox14_tflink_single_unquoted_target():
    rec = parse_file(str(SOX14))
    assert rec["record_id"] == "tflink-Q04892"
    assert len(rec["tfs"]) == 95 and len(rec["targets"]) == 1
    assert rec["targets"][0]["name"] == "Calb2" and rec["targets"][0]["ncbi_gene_ids"] == ["12308"]
    assert rec["organism"] == "Mus musculus"


def test_sos2_geisha():
    rec = parse_file(str(SOS2))
    assert rec["record_id"] == "geisha-423572"
    assert (rec["symbol"], rec["organism"], rec["cgnc_id"]) == ("SOS2", "Gallus gallus", "9322")
    assert len(rec["images"]) == 10 and len(rec["orthologs"]) == 4
    assert rec["images"][0]["stage"] == "stage 4"
    assert rec["images"][0]["locations"] == ["Epiblast", "Primitive Streak"]
    assert rec["images"][3]["locations"] == [
        "Anterior/Second Heart Field",
        "Headfold",
        "Lateral Plate Mesoderm",
        "Neural Plate/Tube",
        "Paraxial Mesoderm",
        "Primitive Streak",
    ]
    assert rec["images"][9]["location"] is None and rec["images"][9]["locations"] == []
    human = rec["orthologs"][0]
    assert (human["species"], human["ncbi_gene_id"], human["ensembl_gene_id"]) == ("Human", "6655", "ENSG00000100485")
    assert rec["probe"]["forward_primer"] == "GTTTCTCTCTGTGAAGACGAAC"
    assert rec["probe"]["template_length"] == "808"
    assert rec["aliases"] == ["son of sevenless homolog 2"]


def test_tflink_quirks():
    tbp = parse_file(str(RECORDS / "tflink" / "p20226.md"))
    assert tbp["jaspar_matrices"] == ["MA0108.2"]
    assert tbp["binding_sites"][0][:3] == ["TFLinkSS09285106", "P20226", "TBP"]
    fsbp = [e for e in tbp["targets"] if e["name"] == "FSBP"][0]
    assert fsbp["ncbi_gene_ids"] == ["100861412", "25788"]
    assert tbp["extra"]["bindingSites_download_gff3"] == "TFLink_P20226_TFBS_annot.gff3"
    assert tbp["body"].startswith("\\>TFLinkSS09285051")

    yeast = parse_file(str(RECORDS / "tflink" / "a0a023pyd3.md"))
    assert yeast["symbol"] == "" and yeast["ncbi_gene_id"] == ""  # '-' is missing
    assert yeast["record_id"] == "tflink-A0A023PYD3"

    worm = parse_file(str(RECORDS / "tflink" / "a0a060q5z9.md"))
    assert len(worm["tfs"]) == 1 and worm["tfs"][0]["name"] == "snpc-4" and worm["targets"] == []

    fish = parse_file(str(RECORDS / "tflink" / "q566y8.md"))
    assert [o["uniprot_accession"] for o in fish["orthologs"]] == [
        "Q96A72",
        "P61326",
        "P61327",
        "A0A023T778",
        "F1M0X6",
        "Q27W02",
        "P49028",
        "P49029",
    ]
    fly = parse_file(str(RECORDS / "tflink" / "a0a023gpj1.md"))
    assert "Su(var)205" in [e["name"] for e in fly["tfs"]]


def test_geisha_quirks():
    dlx6 = parse_file(str(RECORDS / "geisha" / "Dlx6.md"))
    assert dlx6["record_id"] == "geisha-DLX6" and dlx6["ncbi_gene_id"] == ""
    hsd = parse_file(str(RECORDS / "geisha" / "HSD17B4.md"))
    assert hsd["record_id"] == "geisha-HSD17B4"
    assert hsd["organism"] == "Gallus gallus"  # no species key: GEISHA is chicken
    assert hsd["extra"] == {"date": "2023-01-01", "draft": False, "gene": "HSD17B4"}
    brd8 = parse_file(str(RECORDS / "geisha" / "BRD8.md"))
    assert [i["stage"] for i in brd8["images"]] == ["EGKXI", "HH3+", "HH6", "HH8+"]
    grhl2 = parse_file(str(RECORDS / "geisha" / "GRHL2.md"))
    assert grhl2["citations"][0]["pubmed_id"] == "27339986"


def _same_data(a: dict, b: dict) -> None:
    for key in ("sha256", "source_file"):
        a.pop(key), b.pop(key)
    assert a == b


@pytest.mark.parametrize("src", [SOX2, SOX4, SOS2], ids=["genular", "tflink", "geisha"])
def test_valid_variants_give_the_same_data(src, copy_record):
    original = parse_file(str(src))
    raw = src.read_bytes()
    variants = {
        "crlf": raw.replace(b"\n", b"\r\n"),
        "bom": b"\xef\xbb\xbf" + raw,
        "trailing_ws": b"\n".join(line + b"  " for line in raw.split(b"\n")),
        "gz": gzip.compress(raw),
        "bom_crlf": b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n"),
    }
    for name, data in variants.items():
        variant = parse_file(str(copy_record(src, name=f"{name}_{src.name}", data=data)))
        _same_data(dict(original), variant)


def test_extra_front_matter_keys_are_kept(copy_record):
    data = SOS2.read_bytes().replace(b"title: SOS2\n", b"title: SOS2\nlab_note: checked twice\n")
    rec = parse_file(str(copy_record(SOS2, data=data)))
    assert rec["extra"]["lab_note"] == "checked twice"
    assert len(rec["images"]) == 10


def test_stop_and_gap_characters_in_a_sequence_are_kept(copy_record):
    raw = SOX2.read_bytes()
    data = raw.replace(b"    GPVPGTAING TLPLSHM", b"    *GPVPGTAING TLPLSHM-")
    rec = parse_file(str(copy_record(SOX2, data=data)))
    assert rec["protein"]["sequence"].endswith("*GPVPGTAINGTLPLSHM-")
    assert len(rec["protein"]["sequence"]) == 319


def test_geisha_qualified_locations_stay_whole():
    from gene_records.geisha import split_locations

    assert split_locations("Endoderm, early, Heart, Mesoderm, late") == ["Endoderm, early", "Heart", "Mesoderm, late"]
    assert split_locations(None) == [] and split_locations("") == []
    locs = [loc for p in (RECORDS / "geisha").iterdir() for i in parse_file(str(p))["images"] for loc in i["locations"]]
    assert "early" not in locs and "Endoderm, early" in locs


def test_a_cell_type_listed_twice_with_different_values_is_an_error(copy_record):
    from gene_records.errors import RecordError

    raw = SOX2.read_bytes()
    dup = b"  \xe2\x80\xa2 Cell Name: sensory neuron (CL0000101)\n    Fold Change: 1.0000\n    Cell Significance Index: 2.0000\n"
    data = raw.replace(b"  \xe2\x80\xa2 Cell Name: respiratory goblet cell", dup + b"  \xe2\x80\xa2 Cell Name: respiratory goblet cell")
    with pytest.raises(RecordError, match="listed twice with different values"):
        parse_file(str(copy_record(SOX2, data=data)))


# ------------------------------------------------------------------ ids: one home, two named policies


def test_pubmed_ids_lenient_and_strict_agree_on_every_real_spelling():
    from gene_records.ids import parse_pubmed_ids, parse_pubmed_ids_strict

    # spellings read from resources/tflink_downloads and resources/records/tflink
    real = {
        "https://www.ncbi.nlm.nih.gov/pubmed/?term=29126285%5Buid%5D+OR+27924024%5Buid%5D": ["27924024", "29126285"],
        "27924024%5Buid%5D": ["27924024"],
        "20094846,10329730,8602863,29087512": ["8602863", "10329730", "20094846", "29087512"],
        "19148141;29087512;27924024;27924024": ["19148141", "27924024", "29087512"],
        "007": ["7"],
    }
    for text, want in real.items():
        assert parse_pubmed_ids(text) == parse_pubmed_ids_strict(text) == want
    for missing in ("", "-", "NA", None):
        assert parse_pubmed_ids(missing) == parse_pubmed_ids_strict(missing) == []


def test_pubmed_ids_lenient_drops_what_strict_refuses():
    from gene_records.ids import parse_pubmed_ids, parse_pubmed_ids_strict

    # lenient (the parsers): keep what the page states, drop the rest
    assert parse_pubmed_ids("27924024;PMC123") == ["27924024"]
    assert parse_pubmed_ids("see 27924024") == ["27924024"]
    # strict (interactions.tsv): a reference is never lost silently
    with pytest.raises(ValueError, match="'PMC123' is not a PubMed id"):
        parse_pubmed_ids_strict("27924024;PMC123")
    with pytest.raises(ValueError, match="'see' is not a PubMed id"):
        parse_pubmed_ids_strict("see 27924024")
    # the strict token accepts [uid] in any letter case; the lenient one only in lower case
    assert parse_pubmed_ids_strict("27924024[UID]") == ["27924024"]
    assert parse_pubmed_ids("27924024[UID]") == []


def test_ncbi_ids_in_page_order_or_numerically_sorted():
    from gene_records.ids import id_sort_key, sorted_ids, split_ids

    # "100532731,648": BMI1 in resources/tflink_downloads/TFLink_tfs_of_A0A024R261.tsv
    assert split_ids("100532731,648") == ["100532731", "648"]  # records keep the page's order
    assert sorted_ids("100532731,648") == ["648", "100532731"]  # interactions.tsv: numeric order
    assert split_ids("8294;121504;8294") == ["8294", "121504"]
    assert sorted_ids("121504,554313,8294,121504") == ["8294", "121504", "554313"]
    for missing in ("", "-", "NA", " NA ", "NA;-", None):
        assert split_ids(missing) == sorted_ids(missing) == []
    assert sorted_ids("12, NA ,x7,3") == ["3", "12", "x7"]  # non-numbers after numbers
    assert sorted(["10", "9", "A1"], key=id_sort_key) == ["9", "10", "A1"]
