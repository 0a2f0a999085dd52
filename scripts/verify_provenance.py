"""Verify provenance (gene_records.provenance.verify_provenance): python scripts/verify_provenance.py manifest=results/provenance/manifest.tsv"""
from gene_records.cli import run
from gene_records.provenance import verify_provenance

run(verify_provenance, globals().get("snakemake"))
