"""The cross-source gene view (genes.tsv) and links across species (ortholog_links.tsv)."""

from __future__ import annotations

from pathlib import Path

import pytest
from batching import map_batches
from conftest import SOX2, all_record_files
from test_expression import derive_genular, write_inputs

from gene_records.errors import RecordError
from gene_records.interaction_counts import count_interactions
from gene_records.gene_summaries import normalise_species, summarise
from gene_records.genes import (
    group_genes,
    link_genes,
    link_orthologs,
    read_protein_status,
)
from gene_records.io import write_tsv
from gene_records.tables import GENES, ORTHOLOG_LINKS, PROTEIN_CHECKS
from gene_records.tsv import read_tsv, read_tsv_dicts
from gene_records.records import load_records

INTERACTION_COLUMNS = (
    "tf_uniprot",
    "target_uniprot",
    "tf_ncbi_gene_id",
    "target_ncbi_gene_id",
    "tf_name",
    "target_name",
    "detection_methods",
    "pubmed_ids",
    "organism",
    "source_databases",
    "small_scale_evidence",
    "origins",
)


def interaction(tf, target, tf_ncbi, target_ncbi, tf_name, target_name) -> list[str]:
    return [
        tf,
        target,
        tf_ncbi,
        target_ncbi,
        tf_name,
        target_name,
        "chip-seq",
        "29087512",
        "Homo sapiens",
        "GTRD",
        "No",
        "page",
    ]


# Small tables in the layout of results/qc/protein_checks.tsv and results/tables/interactions.tsv.
QC_ROWS = [
    ["genular-6657", "", "317", "317", "34310", "34309.6", "0.4", "11.7", "0.98", "EFCCAFE3E3A2B67B", "EFCCAFE3E3A2B67B", "pass", ""],
    [
        "genular-6655",
        "",
        "317",
        "317",
        "34310",
        "34309.6",
        "0.4",
        "11.7",
        "0.98",
        "EFCCAFE3E3A2B67B",
        "0000000000000000",
        "fail",
        "crc64",
    ],
]
INTERACTION_ROWS = [
    # SOX4 (TFLink Q06945, NCBI 6659) regulates SOX2: the Genular SOX2 record has no UniProt
    # accession, so the row reaches it through its NCBI gene id 6657.
    interaction("Q06945", "P48431", "6659", "6657", "SOX4", "SOX2"),
    # the same TF named again without an accession for the target: still one TF of SOX2
    interaction("Q06945", "", "6659", "6657", "SOX4", "SOX2"),
    interaction("P11308", "Q06945", "2078", "6659", "ERG", "SOX4"),
    interaction("Q06945", "Q9Y2T1", "6659", "8313", "SOX4", "AXIN2"),
    # a protein can regulate itself
    interaction("O00358", "O00358", "2304", "2304", "FOXE1", "FOXE1"),
]


def write_side_tables(folder: Path) -> tuple[str, str]:
    qc = folder / "protein_checks.tsv"
    inter = folder / "interactions.tsv"
    write_tsv(str(qc), PROTEIN_CHECKS.header, QC_ROWS)
    write_tsv(str(inter), INTERACTION_COLUMNS, INTERACTION_ROWS)
    return str(qc), str(inter)


def derived_sos2(folder: Path) -> Path:
    """A Genular page for human SOS2 (Entrez 6655), derived from the SOX2 page."""
    return derive_genular(
        SOX2, folder / "sos2.txt", "6655", "SOS2", "ENSG00000100485", {"sensory neuron": ("1.5", "2")}
    )


def derived_prmt5(folder: Path) -> Path:
    """Human PRMT5 (Entrez 10419): the GEISHA PRMT5 page states a Human ortholog without ids."""
    return derive_genular(SOX2, folder / "prmt5.txt", "10419", "PRMT5", "ENSG00000100462", {})


def derived_sox4(folder: Path) -> Path:
    """A Genular page for SOX4 (Entrez 6659): the same gene as the TFLink page Q06945."""
    return derive_genular(SOX2, folder / "sox4.txt", "6659", "SOX4", "ENSG00000124766", {})


def summaries_of(folder: Path, files: list[Path]):
    jsonls, records = write_inputs(folder, files)
    return [summarise(r) for r in load_records(jsonls, records)]


# ------------------------------------------------------------------ unit


def test_normalise_species():
    assert normalise_species("Human") == "Homo sapiens"
    assert normalise_species("Fruit Fly") == "Drosophila melanogaster"
    assert normalise_species("Xenopus") == "Xenopus tropicalis"
    assert normalise_species("Zebrafish") == "Danio rerio"
    assert normalise_species("Mus musculus") == "Mus musculus"
    assert normalise_species(" Platypus ") == "Platypus"
    assert normalise_species(None) == ""


def rec(record_id, organism, ncbi="", symbol="", **kw):
    return summarise(
        {"record_id": record_id, "source": "tflink", "organism": organism, "ncbi_gene_id": ncbi, "symbol": symbol, **kw}
    )


def test_records_sharing_an_ncbi_id_within_a_species_are_one_gene():
    summaries = [
        rec("a", "Homo sapiens", "1;2"),
        rec("b", "Homo sapiens", "2"),
        rec("c", "Homo sapiens", "3"),
        rec("d", "Mus musculus", "1"),
        rec("e", "Homo sapiens", "", "SOX2"),
        rec("f", "Homo sapiens", "", "SOX2"),  # a shared symbol alone never merges
    ]
    groups = sorted(sorted(summaries[i].record_id for i in g) for g in group_genes(summaries))
    assert groups == [["a", "b"], ["c"], ["d"], ["e"], ["f"]]


def test_protein_status_and_missing_columns(tmp_path):
    qc, _ = write_side_tables(tmp_path)
    assert read_protein_status(qc, {"genular-6657": 0, "genular-6655": 1}) == {0: {"pass"}, 1: {"fail"}}
    bad = tmp_path / "bad.tsv"
    write_tsv(str(bad), ("record_id", "state"), [["genular-6657", "pass"]])
    with pytest.raises(RecordError, match=r"bad.tsv: line 1: header does not match the protein_checks declaration .*column 2 is 'state', expected 'uniprot_accession'"):
        read_protein_status(str(bad), {})


def test_count_interactions_counts_distinct_partners(tmp_path):
    _, inter = write_side_tables(tmp_path)
    # genes: 0 = SOX2 (NCBI 6657, no UniProt), 1 = SOX4 (Q06945), 2 = FOXE1 (O00358)
    tfs, targets = count_interactions(inter, {"Q06945": [1], "O00358": [2]}, {"6657": [0], "6659": [1]})
    assert tfs == {0: 1, 1: 1, 2: 1}
    assert targets == {1: 2, 2: 1}
    short = tmp_path / "short.tsv"
    short.write_text("\t".join(INTERACTION_COLUMNS) + "\nQ06945\tP48431\n", encoding="utf-8")
    with pytest.raises(RecordError, match="short.tsv: line 2: 2 fields, the header has 12"):
        count_interactions(str(short), {}, {})


# ------------------------------------------------------------------ ortholog links on real records


def links_by_pair(rows):
    return {(r[0], r[5]): dict(zip(ORTHOLOG_LINKS.header, r)) for r in rows}


def test_chicken_sos2_links_to_human_entrez_6655(tmp_path):
    summaries = summaries_of(tmp_path / "in", [*all_record_files(), derived_sos2(tmp_path / "extra")])
    links = links_by_pair(link_orthologs(summaries))
    link = links[("geisha-423572", "genular-6655")]
    assert link == {
        "record_id": "geisha-423572",
        "source": "geisha",
        "symbol": "SOS2",
        "organism": "Gallus gallus",
        "ortholog_species": "Human",
        "linked_record_id": "genular-6655",
        "linked_source": "genular",
        "linked_symbol": "SOS2",
        "linked_organism": "Homo sapiens",
        "join_type": "ncbi_gene_id;ensembl_gene_id",
        "join_ids": "6655;ENSG00000100485",
    }
    # the Genular page states no orthologs: no link back
    assert ("genular-6655", "geisha-423572") not in links


def test_tflink_uniprot_orthologs_link_human_and_rat_foxe1(tmp_path):
    summaries = summaries_of(tmp_path / "in", all_record_files())
    links = links_by_pair(link_orthologs(summaries))
    # o00358.md (human FOXE1) lists the rat ortholog O08771; o08771.md lists O00358 back
    assert {k: (v["join_type"], v["join_ids"], v["ortholog_species"]) for k, v in links.items()} == {
        ("tflink-O00358", "tflink-O08771"): ("uniprot_accession", "O08771", "Rattus norvegicus"),
        ("tflink-O08771", "tflink-O00358"): ("uniprot_accession", "O00358", "Homo sapiens"),
    }


def test_a_symbol_alone_links_only_when_no_identifier_can_decide(tmp_path):
    extra = tmp_path / "extra"
    # PRMT5.md (geisha-101750306) lists a Human ortholog with no ids at all
    summaries = summaries_of(tmp_path / "in", [*all_record_files(), derived_prmt5(extra)])
    links = links_by_pair(link_orthologs(summaries))
    link = links[("geisha-101750306", "genular-10419")]
    assert (link["join_type"], link["join_ids"], link["ortholog_species"]) == ("symbol", "PRMT5", "Human")
    # a human record named SOS2 whose Entrez id is not the stated 6655 is another gene: no link
    wrong = derive_genular(SOX2, extra / "sos2_wrong.txt", "999999", "SOS2", "ENSG00000000002", {})
    summaries = summaries_of(tmp_path / "in2", [*all_record_files(), wrong])
    assert not [r for r in link_orthologs(summaries) if r[0] == "geisha-423572"]


def test_records_of_one_species_are_never_ortholog_links(tmp_path):
    summaries = [
        summarise(
            {
                "record_id": "tflink-A",
                "source": "tflink",
                "organism": "Homo sapiens",
                "symbol": "A",
                "uniprot_accession": "P11111",
                "orthologs": [{"species": "Homo sapiens", "uniprot_accession": "P22222"}],
            }
        ),
        summarise(
            {
                "record_id": "tflink-B",
                "source": "tflink",
                "organism": "Homo sapiens",
                "symbol": "A",
                "uniprot_accession": "P22222",
            }
        ),
    ]
    assert link_orthologs(summaries) == []


# ------------------------------------------------------------------ the step on the real corpus


@pytest.fixture(scope="module")
def linked(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("genes")
    extra = folder / "extra"
    files = [*all_record_files(), derived_sos2(extra), derived_prmt5(extra), derived_sox4(extra)]
    jsonls, _ = write_inputs(folder / "in", files)
    qc, inter = write_side_tables(folder)
    out = {"genes": folder / "genes.tsv", "ortholog_links": folder / "ortholog_links.tsv"}
    parts = map_batches(folder / "map", jsonls)
    link_genes(parts["gene_summaries"], parts["indexes"], qc, inter, **{k: str(v) for k, v in out.items()})
    return out


def gene(linked, record_id: str) -> dict:
    rows = [r for r in read_tsv_dicts(str(linked["genes"])) if record_id in r["record_ids"].split(";")]
    assert len(rows) == 1
    return rows[0]


def test_genes_table_columns_and_one_row_per_gene(linked):
    header, rows = read_tsv(str(linked["genes"]))
    assert header == list(GENES.header)
    record_ids = [rid for r in rows for rid in r[3].split(";")]
    # 86 real records + 3 derived; the derived Genular SOX4 joins TFLink SOX4 (NCBI 6659)
    assert len(record_ids) == len(set(record_ids)) == 89
    assert len(rows) == 88


def test_sox2_gene_row(linked):
    sox2 = gene(linked, "genular-6657")
    assert sox2 == {
        "organism": "Homo sapiens",
        "ncbi_gene_id": "6657",
        "symbols": "SOX2",
        "record_ids": "genular-6657",
        "sources": "genular",
        "cell_types": "100",
        "cell_types_positive_fc": "14",  # 14 of the page's 100 fold changes are above 0
        "tfs": "1",  # SOX4, named twice
        "targets": "0",
        "insitu_images": "",
        "insitu_stages": "",
        "protein_qc": "pass",
        "ortholog_links": "0",
    }


def test_one_gene_described_by_two_sources(linked):
    sox4 = gene(linked, "tflink-Q06945")
    assert (sox4["record_ids"], sox4["sources"], sox4["ncbi_gene_id"], sox4["symbols"]) == (
        "genular-6659;tflink-Q06945",
        "genular;tflink",
        "6659",
        "SOX4",
    )
    assert (sox4["tfs"], sox4["targets"], sox4["cell_types"]) == ("1", "2", "100")


def test_chicken_and_human_sos2_rows(linked):
    chicken = gene(linked, "geisha-423572")
    assert (chicken["organism"], chicken["ncbi_gene_id"], chicken["sources"]) == ("Gallus gallus", "423572", "geisha")
    assert chicken["insitu_images"] == "10"
    assert chicken["insitu_stages"] == "4;5;6;7;10;11;17;21;25"
    assert chicken["ortholog_links"] == "1"
    assert (chicken["cell_types"], chicken["protein_qc"], chicken["tfs"]) == ("", "", "0")
    human = gene(linked, "genular-6655")
    assert (human["ortholog_links"], human["protein_qc"], human["cell_types_positive_fc"]) == ("1", "fail", "14")


def test_genes_without_ncbi_id_and_without_images(linked):
    dlx6 = gene(linked, "geisha-DLX6")
    assert (dlx6["ncbi_gene_id"], dlx6["insitu_images"], dlx6["insitu_stages"]) == ("", "0", "")
    brd8 = gene(linked, "geisha-BRD8")
    assert brd8["insitu_stages"].split(";")[:3] == ["3", "6", "8"]
    assert "EGKXI" in brd8["insitu_stages"].split(";")
    foxe1 = gene(linked, "tflink-O00358")
    assert (foxe1["tfs"], foxe1["targets"], foxe1["ortholog_links"]) == ("1", "1", "1")


def test_ortholog_links_table(linked):
    header, rows = read_tsv(str(linked["ortholog_links"]))
    assert header == list(ORTHOLOG_LINKS.header)
    assert [(r[0], r[5], r[9]) for r in rows] == [
        ("geisha-101750306", "genular-10419", "symbol"),
        ("geisha-423572", "genular-6655", "ncbi_gene_id;ensembl_gene_id"),
        ("tflink-O00358", "tflink-O08771", "uniprot_accession"),
        ("tflink-O08771", "tflink-O00358", "uniprot_accession"),
    ]


def test_workflow_links_genes(bundled_run):
    tables = bundled_run / "results" / "tables"
    assert read_tsv(str(tables / "ortholog_links.tsv"))[0] == list(ORTHOLOG_LINKS.header)
    header, rows = read_tsv(str(tables / "genes.tsv"))
    assert header == list(GENES.header)
    genes = {r[3]: dict(zip(header, r)) for r in rows}
    assert len(genes) == 86  # no two bundled records of one species share an NCBI gene id
    sox2 = genes["genular-6657"]
    # tfs_of_A0A024R161.tsv and TFLink_tfs_of_A0A024R261.tsv name SOX2 (P48431, NCBI 6657) as a
    # TF; the Genular record has no UniProt accession: the NCBI id joins them.
    assert (sox2["cell_types"], sox2["cell_types_positive_fc"], sox2["targets"], sox2["protein_qc"]) == (
        "100",
        "14",
        "2",
        "pass",
    )
    assert genes["tflink-Q06945"]["tfs"] == "51"  # the SOX4 page's 51 TFs
    assert genes["geisha-423572"]["insitu_stages"] == "4;5;6;7;10;11;17;21;25"


def test_link_genes_same_bytes_whatever_the_batch_order(tmp_path, linked):
    extra = tmp_path / "extra"
    files = [*all_record_files(), derived_sos2(extra), derived_prmt5(extra), derived_sox4(extra)]
    jsonls, _ = write_inputs(tmp_path / "in", files)
    lines = Path(jsonls[0]).read_text(encoding="utf-8").splitlines(keepends=True)
    first, second = tmp_path / "in" / "batch_1.jsonl", tmp_path / "in" / "batch_2.jsonl"
    first.write_text("".join(lines[::2]), encoding="utf-8")
    second.write_text("".join(lines[1::2]), encoding="utf-8")
    qc, inter = write_side_tables(tmp_path)
    out = {"genes": tmp_path / "genes.tsv", "ortholog_links": tmp_path / "links.tsv"}
    parts = map_batches(tmp_path / "map", [str(second), str(first)])
    link_genes(parts["gene_summaries"], parts["indexes"], qc, inter, **{k: str(v) for k, v in out.items()})
    for key, path in out.items():
        assert path.read_bytes() == linked[key].read_bytes(), key
