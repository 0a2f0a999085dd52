"""Write results/datapackage.json (gene_records.datapackage.write_datapackage); a Snakemake script, or run: python scripts/write_datapackage.py --help."""
from gene_records.cli import run
from gene_records.datapackage import write_datapackage

run(write_datapackage, globals().get("snakemake"))
