from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/parse.smk"
include: "rules/qc.smk"
include: "rules/provenance.smk"


rule all:
    default_target: True
    input:
        "results/tables/records.tsv",
        "results/tables/orthologs.tsv",
        "results/tables/citations.tsv",
        "results/qc/rejected_records.tsv",
        "results/qc/protein_checks.tsv",
        "results/proteins/proteins.fasta",
        "results/tables/proteins.tsv",
        "results/provenance/manifest.tsv",
        "results/provenance/versions.tsv",
