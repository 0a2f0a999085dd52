rule check_proteins:
    input:
        facts_parts=partials("batch_protein_facts"),
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
        mass_tolerance_da=config["protein_qc"]["mass_tolerance_da"],
        mass_tolerance_da_per_residue=config["protein_qc"][
            "mass_tolerance_da_per_residue"
        ],
        fasta_line_width=config["protein_qc"]["fasta_line_width"],
    script:
        "../scripts/check_proteins.py"
