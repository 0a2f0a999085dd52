"""Link genes across sources (gene_records.genes.link_genes); a Snakemake script, or run: python scripts/link_genes.py --help."""

from gene_records.cli import run
from gene_records.genes import link_genes

run(link_genes, globals().get("snakemake"))
