"""Merge TF/target interactions (gene_records.interactions.reduce.merge_interactions); a Snakemake script, or run: python scripts/merge_interactions.py --help."""

from gene_records.cli import run
from gene_records.interactions.reduce import merge_interactions

run(merge_interactions, globals().get("snakemake"))
