rule write_provenance:
    input:
        records=declared("records"),
        rejected=declared("rejected_records"),
        outputs=final_outputs,
        code=library("write_provenance"),
    output:
        manifest=declared("manifest"),
        versions=declared("versions"),
    log:
        "logs/write_provenance/write_provenance.log",
    benchmark:
        "benchmarks/write_provenance/write_provenance.tsv"
    conda:
        "../envs/python.yaml"
    threads: 2
    resources:
        mem_mb=scaled(1000),
        runtime=scaled(30),
    params:
        config=config,
        tflink_downloads=config["tflink_downloads"],
        interaction_tables=config["interaction_tables"],
        # sha256, size and rows of every file read, by stat: an unchanged file
        # is not read again (not an output: the manifest is the same without it)
        hash_cache=".snakemake/gene_records/provenance_hash_cache.tsv",
    script:
        "../scripts/write_provenance.py"
