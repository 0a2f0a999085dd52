"""The map job of a parse batch (rule ``parse_records``): parse, then every partial table.

:func:`map_batch` parses the batch's record files
(:func:`gene_records.parse.parse_batch`), decodes the JSON lines it wrote once
(from memory, not read back) and writes from them the partial tables of the
reduce steps
(:func:`gene_records.batch_tables.tabulate_records`) and the page partials of
``merge_interactions`` (:func:`gene_records.interactions.partials.map_pages`).
One job, not three: at 20,000 records, three jobs per batch cost 32 more
process starts and two more decodings of every batch.
"""

from __future__ import annotations

import json

from .batch_tables import tabulate_records
from .interactions.partials import map_pages
from .io import DEFAULT_MAX_RECORD_BYTES
from .parse import parse_batch


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
    :func:`gene_records.parse.parse_batch`), then, from the JSON lines it
    wrote, decoded once, the partial tables of :func:`gene_records.batch_tables.tabulate_batch`
    and the page partials of :func:`gene_records.interactions.partials.map_pages`
    (``page_interactions``, ``pages``, ``page_rejects``).
    """
    lines = parse_batch(jsonl, index, rejected, records=records, listing=listing, on_bad_record=on_bad_record,
                        max_record_bytes=max_record_bytes, unreadable=unreadable)
    decoded = [json.loads(line) for line in lines]  # what it wrote, not read back
    tabulate_records(decoded, lines, record_manifest, orthologs, citations, cell_expression,
                     insitu_expression, insitu_cells, protein_facts, gene_summaries)
    map_pages(decoded, page_interactions, pages, page_rejects)
