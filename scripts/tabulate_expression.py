"""Tabulate expression (gene_records.expression.tabulate_expression); a Snakemake script, or run: python scripts/tabulate_expression.py --help."""

from gene_records.cli import run
from gene_records.expression import tabulate_expression

run(tabulate_expression, globals().get("snakemake"))
