"""Parse records (gene_records.parse.parse_batch); a Snakemake script, or run: python scripts/parse_records.py --help."""
from gene_records.cli import run
from gene_records.parse import parse_batch

run(parse_batch, globals().get("snakemake"))
