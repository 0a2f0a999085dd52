"""Typed Parquet copies of the long tables (gene_records.parquet.write_parquet); a Snakemake script, or run: python scripts/write_parquet.py --help."""
from gene_records.cli import run
from gene_records.parquet import write_parquet

run(write_parquet, globals().get("snakemake"))
