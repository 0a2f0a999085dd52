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
        # every final output, as declared in scripts/gene_records/tables.py
        ALL_TARGETS,


include: "rules/parse.smk"
include: "rules/qc.smk"
include: "rules/provenance.smk"
include: "rules/expression.smk"
include: "rules/interactions.smk"
include: "rules/report.smk"
include: "rules/package.smk"
