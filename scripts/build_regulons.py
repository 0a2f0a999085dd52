"""Per-organism GMT gene sets and TF -> target networks (gene_records.interactions.regulons.build_regulons); a Snakemake script, or run: python scripts/build_regulons.py --help."""

from gene_records.cli import run
from gene_records.interactions.regulons import build_regulons

run(build_regulons, globals().get("snakemake"))
