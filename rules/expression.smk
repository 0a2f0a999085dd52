rule tabulate_expression:
    input:
        jsonls=batch_outputs("jsonl"),
        records="results/tables/records.tsv",
        code=library("expression"),
    output:
        cell_expression="results/tables/cell_expression.tsv",
        fold_change_matrix="results/tables/cell_expression_fold_change.tsv",
        csi_matrix="results/tables/cell_expression_csi.tsv",
        insitu_expression="results/tables/insitu_expression.tsv",
        insitu_matrix="results/tables/insitu_matrix.tsv",
    log:
        "logs/tabulate_expression/tabulate_expression.log",
    benchmark:
        "benchmarks/tabulate_expression/tabulate_expression.tsv"
    conda:
        "../envs/python.yaml"
    threads: 1
    resources:
        mem_mb=scaled(2000),
        runtime=scaled(30),
    script:
        "../scripts/tabulate_expression.py"


rule link_genes:
    input:
        jsonls=batch_outputs("jsonl"),
        records="results/tables/records.tsv",
        protein_checks="results/qc/protein_checks.tsv",
        interactions="results/tables/interactions.tsv",
        code=library("expression", "genes", "interactions/__init__", "interactions/columns", "tables", "tsv"),
    output:
        genes="results/tables/genes.tsv",
        ortholog_links="results/tables/ortholog_links.tsv",
    log:
        "logs/link_genes/link_genes.log",
    benchmark:
        "benchmarks/link_genes/link_genes.tsv"
    conda:
        "../envs/python.yaml"
    threads: 1
    resources:
        mem_mb=scaled(2000),
        runtime=scaled(30),
    script:
        "../scripts/link_genes.py"
