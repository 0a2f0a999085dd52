"""Parse one batch of records and write its partial tables (gene_records.batch_map.map_batch); a Snakemake script, or run: python scripts/parse_records.py --help."""
from gene_records.batch_map import map_batch
from gene_records.cli import run

run(map_batch, globals().get("snakemake"))
