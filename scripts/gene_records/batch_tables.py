"""The map step: one job per parse batch parses its records and writes every partial table.

Rule ``parse_records`` runs :func:`map_batch` once per batch: it parses the
batch's record files (:func:`gene_records.parse.parse_batch`), decodes the
batch's JSONL once and writes from it the partial tables of the reduce steps
(``tabulate_annotations``, ``check_proteins``, ``tabulate_expression``,
``link_genes``, ``collect_records``) and the page partials of
``merge_interactions``. The reduce steps merge the partials of every batch as
streams, so a changed record costs its batch's map plus the merges, not a
decoding of the whole collection (README: "Performance"). One job, not three:
at 20,000 records the three per-batch jobs cost 16 process starts and JSONL
decodings each.

:func:`tabulate_batch` (``gene-records tabulate-batch``) writes the partial
tables of an existing batch JSONL.
"""

from __future__ import annotations

import json
import logging
import os

from . import annotations, expression, genes, proteins
from .batches import first_copies
from .errors import RecordError
from .interactions.partials import map_pages
from .io import DEFAULT_MAX_RECORD_BYTES
from .parse import parse_batch, write_record_files
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
    genes.write_summaries(records, gene_summaries)
    log.info("%d records: partial tables written, %d JSON files (re)written", len(records), written)


def map_batch(
    jsonl: str,
    index: str,
    rejected: str,
    record_manifest: str,
    orthologs: str,
    citations: str,
    cell_expression: str,
    insitu_expression: str,
    insitu_cells: str,
    protein_facts: str,
    gene_summaries: str,
    page_interactions: str,
    pages: str,
    page_rejects: str,
    records: list[str] = (),
    listing: str = "",
    on_bad_record: str = "fail",
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    unreadable: list[str] = (),
) -> None:
    """Parse one batch of record files and write its partial tables.

    The parse (``jsonl``, ``index``, ``rejected``; ``records``, ``listing``,
    ``on_bad_record``, ``max_record_bytes`` and ``unreadable`` as for
    :func:`gene_records.parse.parse_batch`), then, from the JSONL decoded
    once, the partial tables of :func:`tabulate_batch` and the page partials
    of :func:`gene_records.interactions.partials.map_pages`
    (``page_interactions``, ``pages``, ``page_rejects``).
    """
    parse_batch(jsonl, index, rejected, records=records, listing=listing, on_bad_record=on_bad_record,
                max_record_bytes=max_record_bytes, unreadable=unreadable)
    decoded, lines = read_batch(jsonl)
    tabulate_records(decoded, lines, record_manifest, orthologs, citations, cell_expression,
                     insitu_expression, insitu_cells, protein_facts, gene_summaries)
    map_pages(decoded, page_interactions, pages, page_rejects)
