"""The map step: one pass over a parse batch's records writes every partial table.

Rule ``tabulate_batch`` runs once per batch, in the same Snakemake group as
the batch's parse (a cluster submits no extra job), and decodes the batch's
JSONL once. The reduce steps (``tabulate_annotations``, ``check_proteins``,
``tabulate_expression``, ``link_genes``) merge the partials of every batch as
streams, so a changed record costs its batch's map plus the merges, not a
decoding of the whole collection (README: "Performance").
"""

from __future__ import annotations

import logging

from . import annotations, expression, genes, protein_qc
from .batches import first_copies
from .protein_qc import DEFAULT_MASS_TOLERANCE_DA, DEFAULT_MASS_TOLERANCE_DA_PER_RESIDUE
from .records import iter_jsonl

log = logging.getLogger("gene_records")


def tabulate_batch(
    jsonl: str,
    orthologs: str,
    citations: str,
    cell_expression: str,
    insitu_expression: str,
    insitu_cells: str,
    protein_checks: str,
    proteins: str,
    fasta_entries: str,
    gene_summaries: str,
    mass_tolerance_da: float = DEFAULT_MASS_TOLERANCE_DA,
    mass_tolerance_da_per_residue: float = DEFAULT_MASS_TOLERANCE_DA_PER_RESIDUE,
) -> None:
    """Write the partial tables of one parse batch (``jsonl``; of a record id
    given by several files, the copy whose path sorts first): its rows of
    orthologs, citations, cell and in situ expression (and its in situ matrix
    cells), protein checks, proteins and FASTA entries, and its record
    summaries for the gene view; each sorted as the final table."""
    records = list(first_copies(iter_jsonl([jsonl])))
    annotations.write_partials(records, orthologs, citations)
    expression.write_partials(records, cell_expression, insitu_expression, insitu_cells)
    protein_qc.write_partials(
        records, protein_checks, proteins, fasta_entries, mass_tolerance_da, mass_tolerance_da_per_residue
    )
    genes.write_summaries(records, gene_summaries)
    log.info("%d records: partial tables written", len(records))
