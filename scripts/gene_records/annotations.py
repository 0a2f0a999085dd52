"""Per-record annotation tables: orthologs and citations."""

from __future__ import annotations

import logging

from .records import load_records
from .tables import CITATIONS, ORTHOLOGS

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


def _sort_key(row: list) -> tuple:
    return tuple(str(c) for c in row)


def tabulate_annotations(jsonls: list[str], records: str, orthologs: str, citations: str) -> None:
    """Write orthologs.tsv and citations.tsv from the parsed records."""
    orows, crows = [], []
    n = 0
    for rec in load_records(jsonls, records):
        orows.extend(ortholog_rows(rec))
        crows.extend(citation_rows(rec))
        n += 1
    orows.sort(key=_sort_key)
    crows.sort(key=_sort_key)
    ORTHOLOGS.write(orthologs, orows)
    CITATIONS.write(citations, crows)
    log.info("%d records: %d ortholog rows, %d citation rows", n, len(orows), len(crows))
