# Map per input, reduce by merging: each input of the interactions is
# normalised once into a sorted partial (per parse batch by parse_records,
# once for the downloads, once per whole-organism table), which stays until that input
# changes; merge_interactions merges the partials as streams (sort -m).
rule normalise_downloads:
    input:
        downloads=tflink_download_files,
        code=library("normalise_downloads"),
    output:
        rows=declared("download_rows"),
        rejects=declared("download_rejects"),
    log:
        "logs/normalise_downloads/normalise_downloads.log",
    benchmark:
        "benchmarks/normalise_downloads/normalise_downloads.tsv"
    conda:
        "../envs/python.yaml"
    threads: 1
    resources:
        mem_mb=scaled(1000),
        runtime=scaled(30),
    script:
        "../scripts/normalise_downloads.py"


rule normalise_interaction_table:
    input:
        table=interaction_table,
        code=library("normalise_interaction_table"),
    output:
        rows=declared("table_interactions"),
        rejects=declared("table_rejects"),
        counts=declared("table_counts"),
    log:
        "logs/normalise_interaction_table/{table}.log",
    benchmark:
        "benchmarks/normalise_interaction_table/{table}.tsv"
    wildcard_constraints:
        table=TABLE_RE,
    conda:
        "../envs/python.yaml"
    threads: 2
    resources:
        mem_mb=scaled(INTERACTIONS_MEM_MB),
        runtime=scaled(60),
    params:
        sort_memory_mb=config["interactions"]["sort_memory_mb"],
    script:
        "../scripts/normalise_interaction_table.py"


rule merge_interactions:
    input:
        page_rows=partials("batch_page_interactions"),
        pages=partials("batch_pages"),
        page_rejects=partials("batch_page_rejects"),
        batch_indexes=batch_outputs("index"),
        download_rows=declared("download_rows"),
        download_rejects=declared("download_rejects"),
        table_rows=table_partials("table_interactions"),
        table_rejects=table_partials("table_rejects"),
        table_counts=table_partials("table_counts"),
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
        # the download files in look-up order (names only: their rows come
        # from the downloads' partial) and the tables as the config names them
        downloads=TFLINK_DOWNLOAD_FILES,
        tables=config["interaction_tables"],
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
