"""Check proteins (gene_records.protein_qc.check_proteins); a Snakemake script, or run: python scripts/check_proteins.py --help."""
from gene_records.cli import run
from gene_records.protein_qc import check_proteins

run(check_proteins, globals().get("snakemake"))
