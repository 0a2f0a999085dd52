"""Normalise the TFLink pages of one parse batch into page partials (gene_records.interactions.partials.tabulate_page_interactions); a Snakemake script, or run: python scripts/tabulate_page_interactions.py --help."""

from gene_records.cli import run
from gene_records.interactions import tabulate_page_interactions

run(tabulate_page_interactions, globals().get("snakemake"))
