from gene_records.cli import run
from gene_records.report import build_report

run(build_report, globals().get("snakemake"))
