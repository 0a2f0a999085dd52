# Both steps import the whole interactions package (its __init__ re-exports both).
INTERACTIONS_LIBRARY = library(
    "extsort",
    "tables",
    "tsv",
    "interactions/__init__",
    "interactions/columns",
    "interactions/merge",
    "interactions/normalise",
    "interactions/pool",
    "interactions/rejects",
    "interactions/sources",
    "interactions/split",
)


rule merge_interactions:
    input:
        jsonls=batch_outputs("jsonl"),
        records="results/tables/records.tsv",
        downloads=tflink_download_files,
        tables=interaction_tables,
        code=INTERACTIONS_LIBRARY,
    output:
        interactions="results/tables/interactions.tsv",
        missing_downloads="results/qc/missing_downloads.tsv",
        rejected="results/qc/rejected_interactions.tsv",
        conflicts="results/qc/interaction_conflicts.tsv",
        summary="results/qc/interactions_summary.tsv",
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
        interactions="results/tables/interactions.tsv",
        code=INTERACTIONS_LIBRARY,
    output:
        by_tf=directory("results/tf_targets/by_tf"),
        by_target=directory("results/tf_targets/by_target"),
        index="results/tf_targets/index.tsv",
        gmt_symbols="results/tf_targets/regulons_symbols.gmt",
        gmt_uniprot="results/tf_targets/regulons_uniprot.gmt",
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
        gmt_evidence=config["interactions"]["gmt_evidence"],
        gmt_min_targets=config["interactions"]["gmt_min_targets"],
        sort_memory_mb=config["interactions"]["sort_memory_mb"],
    script:
        "../scripts/split_interactions.py"
