"""Tabulate one parse batch (gene_records.batch_tables.tabulate_batch); a Snakemake script, or run: python scripts/tabulate_batch.py --help."""

from gene_records.batch_tables import tabulate_batch
from gene_records.cli import run

run(tabulate_batch, globals().get("snakemake"))
