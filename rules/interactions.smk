rule merge_interactions:
    input:
        jsonls=batch_outputs("jsonl"),
        records=declared("records"),
        downloads=tflink_download_files,
        tables=interaction_tables,
        code=library("merge_interactions"),
    output:
        interactions=declared("interactions"),
        missing_downloads=declared("missing_downloads"),
        rejected=declared("rejected_interactions"),
        conflicts=declared("interaction_conflicts"),
        summary=declared("interactions_summary"),
    log:
        "logs/merge_interactions/merge_interactions.log",
    benchmark:
        "benchmarks/merge_interactions/merge_interactions.tsv"
    conda:
        "../envs/python.yaml"
    threads: 2
    resources:
        mem_mb=scaled(INTERACTIONS_MEM_MB),
        runtime=scaled(60),
    params:
        on_bad_record=config["on_bad_record"],
        sort_memory_mb=config["interactions"]["sort_memory_mb"],
    script:
        "../scripts/merge_interactions.py"


rule split_interactions:
    input:
        interactions=declared("interactions"),
        code=library("split_interactions"),
    output:
        by_tf=directory(declared("by_tf_dir")),
        by_target=directory(declared("by_target_dir")),
        index=declared("split_index"),
    log:
        "logs/split_interactions/split_interactions.log",
    benchmark:
        "benchmarks/split_interactions/split_interactions.tsv"
    conda:
        "../envs/python.yaml"
    threads: 2
    resources:
        mem_mb=scaled(INTERACTIONS_MEM_MB),
        runtime=scaled(60),
    params:
        sort_memory_mb=config["interactions"]["sort_memory_mb"],
    script:
        "../scripts/split_interactions.py"


rule build_regulons:
    input:
        interactions=declared("interactions"),
        code=library("build_regulons"),
    output:
        regulons=directory(declared("regulons_dir")),
        index=declared("regulons_index"),
    log:
        "logs/build_regulons/build_regulons.log",
    benchmark:
        "benchmarks/build_regulons/build_regulons.tsv"
    conda:
        "../envs/python.yaml"
    threads: 1
    resources:
        mem_mb=scaled(1000),
        runtime=scaled(60),
    params:
        gmt_evidence=config["interactions"]["gmt_evidence"],
        gmt_min_targets=config["interactions"]["gmt_min_targets"],
        network_evidence=config["interactions"]["network_evidence"],
    script:
        "../scripts/build_regulons.py"
