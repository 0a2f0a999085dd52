"""Check proteins (gene_records.proteins.check_proteins); a Snakemake script, or run: python scripts/check_proteins.py --help."""
from gene_records.cli import run
from gene_records.proteins import check_proteins

run(check_proteins, globals().get("snakemake"))
