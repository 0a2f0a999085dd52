rule write_parquet:
    input:
        interactions=declared("interactions"),
        cell_expression=declared("cell_expression"),
        insitu_expression=declared("insitu_expression"),
        genes=declared("genes"),
        code=library("write_parquet"),
    output:
        interactions_parquet=declared("interactions_parquet"),
        cell_expression_parquet=declared("cell_expression_parquet"),
        insitu_expression_parquet=declared("insitu_expression_parquet"),
        genes_parquet=declared("genes_parquet"),
    log:
        "logs/write_parquet/write_parquet.log",
    benchmark:
        "benchmarks/write_parquet/write_parquet.tsv"
    conda:
        "../envs/python.yaml"
    threads: 1
    resources:
        mem_mb=scaled(2000),
        runtime=scaled(60),
    script:
        "../scripts/write_parquet.py"


rule write_datapackage:
    input:
        outputs=datapackage_inputs,
        code=library("write_datapackage"),
    output:
        datapackage=declared("datapackage"),
    log:
        "logs/write_datapackage/write_datapackage.log",
    benchmark:
        "benchmarks/write_datapackage/write_datapackage.tsv"
    conda:
        "../envs/python.yaml"
    threads: 1
    resources:
        mem_mb=scaled(1000),
        runtime=scaled(30),
    script:
        "../scripts/write_datapackage.py"
