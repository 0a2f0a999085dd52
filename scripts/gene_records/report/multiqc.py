"""MultiQC custom content: the run's QC summary as a one-row general-stats
style table, its columns described in the YAML header MultiQC reads."""

from __future__ import annotations

MQC_COLUMNS = (
    ("records", "Records", "accepted records"),
    ("records_rejected", "Rejected", "records rejected (see results/qc/rejected_records.tsv)"),
    ("genular", "Genular", "accepted Genular gene pages"),
    ("tflink", "TFLink", "accepted TFLink protein pages"),
    ("geisha", "GEISHA", "accepted GEISHA gene pages"),
    ("proteins_checked", "Proteins", "protein sequences checked"),
    ("proteins_failed", "Proteins failed", "proteins whose length, mass or CRC64 does not match"),
    ("interactions", "Interactions", "distinct TF-target pairs"),
    ("missing_downloads", "Missing downloads", "TFLink downloads named by pages but not found"),
    ("genes", "Genes", "genes (records of one organism sharing an NCBI gene id)"),
)


def multiqc_tsv(values: dict[str, int | None], sample: str = "gene-records") -> str:
    """MultiQC custom content: a table with one row (this run), its columns
    described in the YAML header that MultiQC reads from the ``#`` lines."""
    lines = [
        "# id: 'gene_records'",
        "# section_name: 'gene-records'",
        "# description: 'QC summary of the gene-records workflow: records accepted and rejected, "
        "protein checks, interactions.'",
        "# plot_type: 'table'",
        "# pconfig:",
        "#     id: 'gene_records_table'",
        "#     title: 'gene-records: QC summary'",
        "#     namespace: 'gene-records'",
        "# headers:",
    ]
    for key, title, desc in MQC_COLUMNS:
        lines += [
            f"#     {key}:",
            f"#         title: '{title}'",
            f"#         description: '{desc}'",
            "#         format: '{:,.0f}'",
        ]
        if key in ("records_rejected", "proteins_failed", "missing_downloads"):
            lines.append("#         scale: 'OrRd'")
    lines.append("\t".join(["Sample", *(k for k, _, _ in MQC_COLUMNS)]))
    lines.append("\t".join([sample, *("" if values.get(k) is None else str(values[k]) for k, _, _ in MQC_COLUMNS)]))
    return "\n".join(lines) + "\n"
