"""Test helper: run the map step (tabulate_batch) over batch JSONL files, as
the workflow does per parse batch, and give the reduce steps' inputs."""

from __future__ import annotations

from pathlib import Path

from gene_records.batch_tables import tabulate_batch
from gene_records.records import iter_jsonl, summary_row
from gene_records.tables import BATCH_INDEX

PARTS = (
    "record_manifest",
    "orthologs",
    "citations",
    "cell_expression",
    "insitu_expression",
    "insitu_cells",
    "protein_facts",
    "gene_summaries",
)


def map_batches(folder: Path, jsonls: list[str], **kw) -> dict[str, list[str]]:
    """Each batch's index (as parse_records writes it: every copy of a record)
    and partial tables under ``folder``; ``{part name: [paths]}`` plus
    ``"indexes"``, in the order of ``jsonls``."""
    out: dict[str, list[str]] = {name: [] for name in (*PARTS, "indexes")}
    for i, jsonl in enumerate(jsonls):
        d = Path(folder) / f"map_{i}"
        d.mkdir(parents=True, exist_ok=True)
        index = str(d / "index.tsv")
        BATCH_INDEX.write(index, [summary_row(r) for r in iter_jsonl([jsonl])])
        paths = {n: str(d / (f"{n}.jsonl" if n == "gene_summaries" else f"{n}.tsv")) for n in PARTS}
        tabulate_batch(jsonl, **paths, json_dir=str(d / "records"), **kw)
        for n in PARTS:
            out[n].append(paths[n])
        out["indexes"].append(index)
    return out
