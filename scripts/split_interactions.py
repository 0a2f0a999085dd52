"""Split interactions per TF and per target (gene_records.interactions.split.split_interactions); a Snakemake script, or run: python scripts/split_interactions.py --help."""

from gene_records.cli import run
from gene_records.interactions.split import split_interactions

run(split_interactions, globals().get("snakemake"))
