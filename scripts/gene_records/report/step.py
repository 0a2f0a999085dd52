"""The report step, :func:`build_report`: read the tables, build the sections,
render the page in HTML and Markdown, and write the plots, the three small
tables for Snakemake's report and the MultiQC custom content."""

from __future__ import annotations

import logging

from .. import __version__, tables
from ..errors import ConfigError
from ..io import write_text
from ..provenance import version_rows
from . import plots
from .dossiers import dossier_section
from .model import Link, Para, Plot, Section
from .multiqc import multiqc_tsv
from .readers import (
    read_fold_change,
    read_genes,
    read_insitu,
    read_interactions,
    read_regulons,
    read_missing_downloads,
    read_protein_checks,
    read_record_rows,
    read_records,
    read_rejected,
)
from .render import render_html, render_markdown
from .sections import (
    expression_section,
    interactions_section,
    protein_section,
    records_section,
    run_section,
    top,
)

log = logging.getLogger("gene_records")


def build_report(
    records: str,
    rejected: str,
    html: str,
    markdown: str,
    multiqc: str,
    plot_records: str,
    plot_proteins: str,
    plot_degrees: str,
    plot_heatmap: str,
    plot_insitu: str,
    table_sources: str,
    table_protein_failures: str,
    table_top_tfs: str,
    config: dict,
    protein_checks: str = "",
    interactions: str = "",
    regulons: str = "",
    missing_downloads: str = "",
    fold_change: str = "",
    insitu: str = "",
    genes: str = "",
    max_table_rows: int = 200,
    max_genes: int = 200,
    heatmap_max_genes: int = 50,
    heatmap_max_cell_types: int = 60,
    max_locations: int = 40,
) -> None:
    """Write the summary report of a run.

    Reads records.tsv and rejected_records.tsv, and (each optional: an empty
    value leaves its section saying it was not produced) protein_checks.tsv,
    interactions.tsv, the regulon index (regulons.tsv), missing_downloads.tsv, the fold-change matrix,
    insitu_expression.tsv and genes.tsv. Writes ``html`` (one self-contained
    page), ``markdown`` (the same facts), ``multiqc`` (MultiQC custom
    content), the five plots as SVG files (also inline in the page) and three
    small TSV tables for Snakemake's report. ``config`` is the config in
    effect (shown on the page).
    """
    for name, value in (
        ("max_table_rows", max_table_rows),
        ("max_genes", max_genes),
        ("heatmap_max_genes", heatmap_max_genes),
        ("heatmap_max_cell_types", heatmap_max_cell_types),
        ("max_locations", max_locations),
    ):
        if value < 1:
            raise ConfigError(f"report: {name} must be at least 1, not {value}")
    cap = max_table_rows
    entries = list(config.get("records", []))
    stats, per_entry = read_records(records, entries)
    rej, problems, rej_entry = read_rejected(rejected, cap, entries)
    missing = read_missing_downloads(missing_downloads, cap) if missing_downloads else None
    ps = read_protein_checks(protein_checks, cap) if protein_checks else None
    ist = read_interactions(interactions) if interactions else None
    regulon_rows = read_regulons(regulons) if regulons else []
    hm = read_fold_change(fold_change, heatmap_max_genes, heatmap_max_cell_types) if fold_change else None
    if hm is not None:
        log.info(
            "fold-change matrix: %d genes x %d cell types; heatmap %d x %d",
            hm.n_genes,
            hm.n_cell_types,
            len(hm.genes),
            len(hm.cell_types),
        )
    ins = read_insitu(insitu) if insitu else None
    if genes:
        n_genes, dossier_genes = read_genes(genes, max_genes)
        wanted = {r for g in dossier_genes for r in (g.get("record_ids") or "").split(";") if r}
        recs = read_record_rows(records, wanted)
    else:
        n_genes, dossier_genes, recs = None, [], {}
    versions = version_rows()

    sections = [
        run_section(config, stats, rej.total, per_entry, rej_entry, versions),
        records_section(stats, rej, problems, missing, cap),
        protein_section(ps, config),
        interactions_section(ist, cap, regulon_rows),
        expression_section(hm, ins, cap, max_locations),
    ]
    if n_genes is not None:
        sections.append(dossier_section(n_genes, dossier_genes, recs))
    else:
        sections.append(Section("genes", "Genes", [Para(["Not produced by this run (no genes.tsv)."])]))
    subtitle = (
        f"{stats.total:,} records accepted, {rej.total:,} rejected"
        + (f"; {sum(ps.status.values()):,} proteins checked, {ps.status.get('pass', 0):,} passed" if ps else "")
        + (f"; {ist.total:,} interactions" if ist else "")
        + f". gene-records {__version__}."
    )
    write_text(html, render_html(sections, subtitle))
    write_text(markdown, render_markdown(sections, subtitle))
    log.info("wrote %s and %s", html, markdown)

    plot_files = {
        "records_by_source.svg": plot_records,
        "protein_mass_delta.svg": plot_proteins,
        "interaction_degrees.svg": plot_degrees,
        "fold_change_heatmap.svg": plot_heatmap,
        "insitu_stage_location.svg": plot_insitu,
    }
    made = {b.name: b.svg for sec in sections for b in sec.blocks if isinstance(b, Plot)}
    placeholders = {
        "protein_mass_delta.svg": "Protein QC",
        "interaction_degrees.svg": "Interactions",
        "fold_change_heatmap.svg": "Fold change",
        "insitu_stage_location.svg": "In situ",
    }
    for name, path in plot_files.items():
        write_text(path, made.get(name) or plots.no_data(placeholders.get(name, name), "not produced by this run"))

    tables.REPORT_RECORDS_BY_SOURCE.write(
        table_sources,
        sorted(([s, o, n] for (s, o), n in stats.by_source_organism.items()), key=lambda r: (r[0], -r[2], r[1])),
    )
    tables.REPORT_PROTEIN_FAILURES.write(
        table_protein_failures,
        ([r[0], r[1].text if isinstance(r[1], Link) else r[1], *r[2:]] for r in (ps.failing.rows if ps else [])),
    )
    tables.REPORT_TOP_TFS.write(
        table_top_tfs,
        ([tf, ist.tf_names.get(tf, ""), n] for tf, n in top(ist.tf_targets, 100)) if ist else [],
    )

    n_fail = (sum(ps.status.values()) - ps.status.get("pass", 0)) if ps else None
    values = {
        "records": stats.total,
        "records_rejected": rej.total,
        "genular": stats.by_source.get("genular", 0),
        "tflink": stats.by_source.get("tflink", 0),
        "geisha": stats.by_source.get("geisha", 0),
        "proteins_checked": sum(ps.status.values()) if ps else None,
        "proteins_failed": n_fail,
        "interactions": ist.total if ist else None,
        "missing_downloads": missing[1].total if missing else None,
        "genes": n_genes,
    }
    write_text(multiqc, multiqc_tsv(values))
    log.info("report done: %d sections, %d plots", len(sections), len(plot_files))
