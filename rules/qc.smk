rule check_proteins:
    input:
        checks_parts=partials("batch_protein_checks"),
        proteins_parts=partials("batch_proteins"),
        fasta_parts=partials("batch_fasta_entries"),
        indexes=batch_outputs("index"),
        code=library("check_proteins"),
    output:
        checks=declared("protein_checks"),
        fasta=declared("proteins_fasta"),
        proteins=declared("proteins"),
    log:
        "logs/check_proteins/check_proteins.log",
    benchmark:
        "benchmarks/check_proteins/check_proteins.tsv"
    conda:
        "../envs/python.yaml"
    threads: 1
    resources:
        mem_mb=scaled(1000),
        runtime=scaled(30),
    params:
        fasta_line_width=config["protein_qc"]["fasta_line_width"],
    script:
        "../scripts/check_proteins.py"
