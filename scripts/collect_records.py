"""Collect records (gene_records.parse.collect_records); a Snakemake script, or run: python scripts/collect_records.py --help."""
from gene_records.cli import run
from gene_records.parse import collect_records

run(collect_records, globals().get("snakemake"))
