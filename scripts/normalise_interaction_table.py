"""Normalise one whole-organism interaction table into a sorted partial (gene_records.interactions.partials.normalise_interaction_table); a Snakemake script, or run: python scripts/normalise_interaction_table.py --help."""

from gene_records.cli import run
from gene_records.interactions.partials import normalise_interaction_table

run(normalise_interaction_table, globals().get("snakemake"))
