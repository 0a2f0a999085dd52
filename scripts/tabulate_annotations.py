"""Tabulate annotations (gene_records.annotations.tabulate_annotations); a Snakemake script, or run: python scripts/tabulate_annotations.py --help."""
from gene_records.cli import run
from gene_records.annotations import tabulate_annotations

run(tabulate_annotations, globals().get("snakemake"))
