"""The map step: one pass over a parse batch's records writes every partial table.

Rule ``tabulate_batch`` runs once per batch, in the same Snakemake group as
the batch's parse (a cluster submits no extra job), and decodes the batch's
JSONL once. The reduce steps (``tabulate_annotations``, ``check_proteins``,
``tabulate_expression``, ``link_genes``) merge the partials of every batch as
streams, so a changed record costs its batch's map plus the merges, not a
decoding of the whole collection (README: "Performance").
"""

from __future__ import annotations

import json
import logging
import os

from . import annotations, expression, genes, proteins
from .batches import first_copies
from .errors import RecordError
from .parse import write_record_files
from .tables import BATCH_RECORD_MANIFEST, RECORD_MANIFEST

log = logging.getLogger("gene_records")

# results/records/ (the records' JSON files) seen from results/partials/
RECORDS_FROM_PARTIALS = os.path.relpath(
    os.path.dirname(RECORD_MANIFEST.path), os.path.dirname(BATCH_RECORD_MANIFEST.path)
)


def tabulate_batch(
    jsonl: str,
    record_manifest: str,
    orthologs: str,
    citations: str,
    cell_expression: str,
    insitu_expression: str,
    insitu_cells: str,
    protein_facts: str,
    gene_summaries: str,
    json_dir: str = "",
) -> None:
    """Write the partial tables of one parse batch (``jsonl``; of a record id
    given by several files, the copy whose path sorts first): each record's
    canonical JSON file in ``json_dir`` (default: results/records/ beside the
    partials' folder; when it changed) and its manifest
    row, its rows of orthologs, citations, cell and in situ expression (and its in situ matrix
    cells), its proteins measured (length, mass, CRC64; judged by
    check_proteins) and its record summaries for the gene view; each sorted
    as the final table."""
    lines: dict[int, str] = {}  # each record's JSONL line: its canonical JSON, not encoded again
    decoded = []
    with open(jsonl, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError as exc:
                raise RecordError(jsonl, f"line {n}", f"not JSON ({exc}); rerun parse_records") from None
            lines[id(rec)] = line
            decoded.append(rec)
    records = list(first_copies(decoded))
    if not json_dir:  # where the declarations put them relative to the partials (a module prefix moves both)
        json_dir = os.path.normpath(os.path.join(os.path.dirname(record_manifest), RECORDS_FROM_PARTIALS))
    written = write_record_files(records, json_dir, record_manifest, [lines[id(r)] for r in records])
    annotations.write_partials(records, orthologs, citations)
    expression.write_partials(records, cell_expression, insitu_expression, insitu_cells)
    proteins.write_partials(records, protein_facts)
    genes.write_summaries(records, gene_summaries)
    log.info("%d records: partial tables written, %d JSON files (re)written", len(records), written)
