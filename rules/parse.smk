rule parse_records:
    input:
        records=batch_records,
        code=library("parse_records"),
    output:
        jsonl=declared("batch_jsonl"),
        index=declared("batch_index"),
        rejected=declared("batch_rejected"),
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
        unreadable=batch_unreadable,
        escaped_records=batch_escaped_records,
    script:
        "../scripts/parse_records.py"


rule collect_records:
    input:
        indexes=batch_outputs("index"),
        jsonls=batch_outputs("jsonl"),
        rejected_batches=batch_outputs("rejected"),
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
        jsonls=batch_outputs("jsonl"),
        records=declared("records"),
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
