"""The partial tables of a parse batch: one pass over its records writes them all.

:func:`tabulate_records` writes, from a batch's decoded records, the partial
tables the reduce steps (``tabulate_annotations``, ``check_proteins``,
``tabulate_expression``, ``link_genes``, ``collect_records``) merge as
streams, and the records' JSON files; so a changed record costs its batch's
map plus the merges, not a decoding of the whole collection (README:
"Performance"). The map job of each batch (rule ``parse_records``,
:func:`gene_records.batch_map.map_batch`) calls it after the parse;
:func:`tabulate_batch` (``gene-records tabulate-batch``) runs it on an
existing batch JSONL.
"""

from __future__ import annotations

import json
import logging
import os

from . import annotations, expression, proteins
from .batches import first_copies
from .errors import RecordError
from .gene_summaries import write_summaries
from .parse import write_record_files
from .tables import BATCH_RECORD_MANIFEST, RECORD_MANIFEST

log = logging.getLogger("gene_records")

# results/records/ (the records' JSON files) seen from results/partials/
RECORDS_FROM_PARTIALS = os.path.relpath(
    os.path.dirname(RECORD_MANIFEST.path), os.path.dirname(BATCH_RECORD_MANIFEST.path)
)


def read_batch(jsonl: str) -> tuple[list[dict], list[str]]:
    """The records of a batch JSONL, decoded, and their lines (canonical JSON
    and a newline), in file order."""
    decoded, lines = [], []
    with open(jsonl, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                decoded.append(json.loads(line))
            except ValueError as exc:
                raise RecordError(jsonl, f"line {n}", f"not JSON ({exc}); rerun parse_records") from None
            lines.append(line)
    return decoded, lines


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
    tabulate_records(*read_batch(jsonl), record_manifest, orthologs, citations, cell_expression,
                     insitu_expression, insitu_cells, protein_facts, gene_summaries, json_dir)


def tabulate_records(
    decoded: list[dict],
    lines: list[str],
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
    """:func:`tabulate_batch` of a batch's records already decoded (:func:`read_batch`)."""
    line_of = {id(rec): line for rec, line in zip(decoded, lines)}
    records = list(first_copies(decoded))
    if not json_dir:  # where the declarations put them relative to the partials (a module prefix moves both)
        json_dir = os.path.normpath(os.path.join(os.path.dirname(record_manifest), RECORDS_FROM_PARTIALS))
    written = write_record_files(records, json_dir, record_manifest, [line_of[id(r)] for r in records])
    annotations.write_partials(records, orthologs, citations)
    expression.write_partials(records, cell_expression, insitu_expression, insitu_cells)
    proteins.write_partials(records, protein_facts)
    write_summaries(records, gene_summaries)
    log.info("%d records: partial tables written, %d JSON files (re)written", len(records), written)

