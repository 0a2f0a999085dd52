# The map step: one job per batch parses its records and, from them, writes
# the batch's partial tables (gene_records.batch_map.map_batch), which the
# reduce steps merge.
rule parse_records:
    input:
        listing=batch_listing,
        code=library("parse_records"),
    output:
        jsonl=declared("batch_jsonl"),
        index=declared("batch_index"),
        rejected=declared("batch_rejected"),
        record_manifest=declared("batch_record_manifest"),
        orthologs=declared("batch_orthologs"),
        citations=declared("batch_citations"),
        cell_expression=declared("batch_cell_expression"),
        insitu_expression=declared("batch_insitu_expression"),
        insitu_cells=declared("batch_insitu_cells"),
        protein_facts=declared("batch_protein_facts"),
        gene_summaries=declared("batch_gene_summaries"),
        page_interactions=declared("batch_page_interactions"),
        pages=declared("batch_pages"),
        page_rejects=declared("batch_page_rejects"),
    log:
        "logs/parse_records/{batch}.log",
    benchmark:
        "benchmarks/parse_records/{batch}.tsv"
    wildcard_constraints:
        batch=BATCH_RE,
    # On a cluster, --group-components parse_batches=N (profiles/slurm) runs N
    # batches per submitted job; without it every batch is its own job.
    group:
        "parse_batches"
    conda:
        "../envs/python.yaml"
    threads: 1
    resources:
        mem_mb=scaled(1000),
        runtime=scaled(20),
    params:
        on_bad_record=config["on_bad_record"],
        max_record_bytes=config["max_record_bytes"],
    script:
        "../scripts/parse_records.py"


rule collect_records:
    input:
        indexes=batch_outputs("index"),
        jsonls=batch_outputs("jsonl"),
        rejected_batches=batch_outputs("rejected"),
        manifests=partials("batch_record_manifest"),
        code=library("collect_records"),
    output:
        records=declared("records"),
        rejected=declared("rejected_records"),
        manifest=declared("record_manifest"),
    log:
        "logs/collect_records/collect_records.log",
    benchmark:
        "benchmarks/collect_records/collect_records.tsv"
    conda:
        "../envs/python.yaml"
    threads: 1
    resources:
        mem_mb=scaled(2000),
        runtime=scaled(20),
    params:
        on_bad_record=config["on_bad_record"],
    script:
        "../scripts/collect_records.py"


rule tabulate_annotations:
    input:
        orthologs_parts=partials("batch_orthologs"),
        citations_parts=partials("batch_citations"),
        indexes=batch_outputs("index"),
        code=library("tabulate_annotations"),
    output:
        orthologs=declared("orthologs"),
        citations=declared("citations"),
    log:
        "logs/tabulate_annotations/tabulate_annotations.log",
    benchmark:
        "benchmarks/tabulate_annotations/tabulate_annotations.tsv"
    conda:
        "../envs/python.yaml"
    threads: 1
    resources:
        mem_mb=scaled(2000),
        runtime=scaled(20),
    script:
        "../scripts/tabulate_annotations.py"
