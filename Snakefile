from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


# Snakemake's own report (snakemake --report results/report/workflow.html).
report: "rules/report/workflow.rst"


include: "rules/common.smk"


# The default target is the first rule (common.smk defines none). No
# `default_target:` here: in a workflow that imports this one as a module it
# would take over the importer's own default target.
rule all:
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
        "results/tables/cell_expression.tsv",
        "results/tables/cell_expression_fold_change.tsv",
        "results/tables/cell_expression_csi.tsv",
        "results/tables/insitu_expression.tsv",
        "results/tables/insitu_matrix.tsv",
        "results/tables/genes.tsv",
        "results/tables/ortholog_links.tsv",
        "results/tables/interactions.tsv",
        "results/qc/missing_downloads.tsv",
        "results/qc/rejected_interactions.tsv",
        "results/qc/interaction_conflicts.tsv",
        "results/qc/interactions_summary.tsv",
        "results/tf_targets/by_tf",
        "results/tf_targets/by_target",
        "results/tf_targets/index.tsv",
        "results/tf_targets/regulons_symbols.gmt",
        "results/tf_targets/regulons_uniprot.gmt",
        "results/report/summary.html",
        "results/report/summary.md",
        "results/report/gene_records_mqc.tsv",


include: "rules/parse.smk"
include: "rules/qc.smk"
include: "rules/provenance.smk"
include: "rules/expression.smk"
include: "rules/interactions.smk"
include: "rules/report.smk"
