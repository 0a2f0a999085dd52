"""Write provenance (gene_records.provenance.write_provenance); a Snakemake script, or run: python scripts/write_provenance.py --help."""
from gene_records.cli import run
from gene_records.provenance import write_provenance

run(write_provenance, globals().get("snakemake"))
