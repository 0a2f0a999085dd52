"""Per-record annotation tables: orthologs and citations."""

from __future__ import annotations

import logging

from .batches import merge_partials
from .tables import BATCH_CITATIONS as CITATIONS_PART
from .tables import BATCH_ORTHOLOGS as ORTHOLOGS_PART

log = logging.getLogger("gene_records")

def ortholog_rows(rec: dict) -> list[list]:
    return [
        [
            rec["record_id"],
            rec["source"],
            rec.get("symbol", ""),
            rec.get("organism", ""),
            o.get("species", ""),
            o.get("ncbi_gene_id", ""),
            o.get("ensembl_gene_id", ""),
            o.get("uniprot_accession", ""),
            o.get("mod_id", ""),
        ]
        for o in rec.get("orthologs", [])
    ]


def citation_rows(rec: dict) -> list[list]:
    return [
        [
            rec["record_id"],
            rec["source"],
            c.get("pubmed_id", ""),
            c.get("doi", ""),
            c.get("title", ""),
            c.get("authors", ""),
            c.get("year", ""),
        ]
        for c in rec.get("citations", [])
    ]


def row_sort_key(row: list) -> tuple:
    """Both tables are sorted by every column, as text, left to right."""
    return tuple(str(c) for c in row)


def write_partials(records: list[dict], orthologs: str, citations: str) -> None:
    """The map step's part: a batch's rows of both tables, sorted."""
    ORTHOLOGS_PART.write(orthologs, sorted((r for rec in records for r in ortholog_rows(rec)), key=row_sort_key))
    CITATIONS_PART.write(citations, sorted((r for rec in records for r in citation_rows(rec)), key=row_sort_key))


def tabulate_annotations(
    orthologs_parts: list[str], citations_parts: list[str], indexes: list[str], orthologs: str, citations: str
) -> None:
    """Write orthologs.tsv and citations.tsv: the batches' partial tables
    (rule parse_records, the map), merged in order."""
    n_o = merge_partials(ORTHOLOGS_PART, orthologs_parts, indexes, orthologs)
    n_c = merge_partials(CITATIONS_PART, citations_parts, indexes, citations)
    log.info("%d batches: %d ortholog rows, %d citation rows", len(indexes), n_o, n_c)
