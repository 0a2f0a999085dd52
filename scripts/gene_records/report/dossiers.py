"""Gene dossiers, the report's last section: for each of the genes seen by the
most sources, its facts from genes.tsv and its records with links out to the
portals (built only from well-formed identifiers, see :mod:`.model`)."""

from __future__ import annotations

from .model import (
    Facts,
    Heading,
    Para,
    Section,
    Table,
    ensembl_link,
    geisha_link,
    id_links,
    ncbi_link,
    tflink_link,
    uniprot_link,
)
from .readers import to_int


def dossier_section(total: int, genes: list[dict], recs: dict[str, dict]) -> Section:
    s = Section("genes", "Genes")
    s.blocks.append(
        Para(
            [
                f"{total:,} genes (records of one organism that share an NCBI gene id). "
                f"Dossiers of {len(genes):,}"
                + (
                    " (those seen by the most sources, then with the most records; every "
                    "gene is in results/tables/genes.tsv)."
                    if len(genes) < total
                    else "."
                )
                + " Links go to the original portals; nothing is loaded from them."
            ]
        )
    )
    for g in genes:
        symbols = g.get("symbols") or "(no symbol)"
        organism = g.get("organism") or "(no organism)"
        s.blocks.append(Heading(f"{symbols.replace(';', ', ')} — {organism}"))
        facts = [
            ("NCBI gene", id_links(g.get("ncbi_gene_id", ""), ncbi_link) or "none"),
            ("sources", (g.get("sources") or "").replace(";", ", ")),
        ]
        says = {
            "cell_types": "cell types with a fold change (Genular)",
            "cell_types_positive_fc": "of which fold change > 0",
            "tfs": "TFs regulating it (interactions)",
            "targets": "targets it regulates (interactions)",
            "insitu_images": "in situ images (GEISHA)",
            "insitu_stages": "in situ stages (GEISHA)",
            "protein_qc": "protein QC",
            "ortholog_links": "linked orthologous records",
        }
        for key, label in says.items():
            v = g.get(key, "")
            if v not in ("", None) and not (key in ("tfs", "targets", "ortholog_links") and v == "0"):
                facts.append((label, to_int(v) if to_int(v) is not None else v.replace(";", ", ")))
        s.blocks.append(Facts(facts))
        rows = []
        for rid in [r for r in (g.get("record_ids") or "").split(";") if r]:
            r = recs.get(rid, {})
            src = r.get("source", "")
            links: list = []
            links += id_links(r.get("uniprot_accession", ""), uniprot_link)
            links += id_links(r.get("ensembl_gene_id", ""), ensembl_link)
            if src == "tflink":
                links += [x for x in (tflink_link(a) for a in r.get("uniprot_accession", "").split(";")) if x]
            if src == "geisha":
                links += [x for x in (geisha_link(a) for a in r.get("ncbi_gene_id", "").split(";")) if x]
            rows.append(
                [
                    rid,
                    src,
                    r.get("symbol", ""),
                    r.get("name", ""),
                    id_links(r.get("ncbi_gene_id", ""), ncbi_link),
                    links,
                ]
            )
        s.blocks.append(
            Table("Records", ["record_id", "source", "symbol", "name", "NCBI gene", "links"], rows, len(rows))
        )
    return s
