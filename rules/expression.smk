rule tabulate_expression:
    input:
        cell_parts=partials("batch_cell_expression"),
        insitu_parts=partials("batch_insitu_expression"),
        insitu_cells_parts=partials("batch_insitu_cells"),
        summaries=partials("batch_gene_summaries"),
        indexes=batch_outputs("index"),
        code=library("tabulate_expression"),
    output:
        cell_expression=declared("cell_expression"),
        fold_change_matrix=declared("cell_expression_fold_change"),
        csi_matrix=declared("cell_expression_csi"),
        insitu_expression=declared("insitu_expression"),
        insitu_matrix=declared("insitu_matrix"),
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
        gene_summaries=partials("batch_gene_summaries"),
        indexes=batch_outputs("index"),
        protein_checks=declared("protein_checks"),
        interactions=declared("interactions"),
        code=library("link_genes"),
    output:
        genes=declared("genes"),
        ortholog_links=declared("ortholog_links"),
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
