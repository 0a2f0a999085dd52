"""Normalise every per-protein TFLink download into one partial (gene_records.interactions.partials.normalise_downloads); a Snakemake script, or run: python scripts/normalise_downloads.py --help."""

from gene_records.cli import run
from gene_records.interactions.partials import normalise_downloads

run(normalise_downloads, globals().get("snakemake"))
