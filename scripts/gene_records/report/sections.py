"""The report's sections: each builder turns the readers' summaries into one
:class:`~.model.Section` of paragraphs, fact lists, tables and plots (the run,
records, protein QC, interactions, expression, gene dossiers).

Every shown table is bounded (``cap`` rows, with a note naming the file that
holds them all); numbers stay numbers until a renderer formats them.
"""

from __future__ import annotations

import os
from collections import Counter

import yaml

from .. import tables
from ..config_keys import EXECUTION_KEYS, shown_config
from . import plots
from .model import Facts, Heading, Para, Plot, Pre, Section, Table, result_link, tflink_link, uniprot_link
from .readers import FirstRows, Heatmap, InsituStats, InteractionStats, ProteinStats, RecordStats

SOURCE_FORMATS = {
    "genular": "Genular gene page (text)",
    "tflink": "TFLink protein page (Markdown, YAML front matter)",
    "geisha": "GEISHA gene page (Markdown, YAML front matter)",
}
SOURCE_ORDER = ("genular", "tflink", "geisha")


# ------------------------------------------------------------------ inputs on disk


def _folder_stats(folder: str) -> tuple[int, int]:
    n = size = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in files:
            if not f.startswith("."):
                n += 1
                try:
                    size += os.path.getsize(os.path.join(root, f))
                except OSError:
                    pass
    return n, size


def _size(n_bytes: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if n_bytes < 1000 or unit == "TB":
            return f"{n_bytes:,} {unit}" if unit == "bytes" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1000
    return ""


# ------------------------------------------------------------------ the sections


def top(counter: Counter, n: int) -> list[tuple[str, int]]:
    """The ``n`` largest counts, most first (ties by value)."""
    return sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))[:n]


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def typed_outputs(config: dict) -> list:
    """The files for downstream tools the run writes next to the tables:
    the data package and, with ``parquet`` on, the Parquet copies."""
    return [o for o in tables.OUTPUTS.values() if o.stage == "package" and tables.written(o, config)]


def run_section(
    config: dict,
    stats: RecordStats,
    n_rejected: int,
    per_entry: Counter,
    rej_entry: Counter,
    versions: list[tuple[str, str]],
) -> Section:
    s = Section("run", "The run")
    s.blocks.append(
        Facts(
            [
                ("record files read", stats.total + n_rejected),
                ("records accepted", stats.total),
                ("records rejected", n_rejected),
                ("on_bad_record", config.get("on_bad_record", "")),
            ]
        )
    )
    rows = []
    for e in config.get("records", []):
        kind = "folder" if os.path.isdir(e) else "file" if os.path.isfile(e) else "missing"
        rows.append([e, kind, per_entry.get(e, 0), rej_entry.get(e, 0)])
    s.blocks.append(Table("Record inputs (config: records)", ["path", "kind", "accepted", "rejected"], rows, len(rows)))
    rows = []
    for src in sorted(stats.by_source, key=lambda x: (SOURCE_ORDER.index(x) if x in SOURCE_ORDER else 9, x)):
        rows.append([src, SOURCE_FORMATS.get(src, "other"), stats.by_source[src], stats.gz_by_source.get(src, 0)])
    s.blocks.append(Table("Record formats", ["source", "format", "records", "gzipped"], rows, len(rows)))
    rows = []
    for folder in config.get("tflink_downloads", []):
        if os.path.isdir(folder):
            n, size = _folder_stats(folder)
            rows.append(["TFLink downloads (tflink_downloads)", folder, n, _size(size)])
        else:
            rows.append(["TFLink downloads (tflink_downloads)", folder, 0, "missing"])
    for table in config.get("interaction_tables", []):
        size = os.path.getsize(table) if os.path.isfile(table) else None
        rows.append(
            [
                "interaction table (interaction_tables)",
                table,
                1 if size is not None else 0,
                _size(size) if size is not None else "missing",
            ]
        )
    s.blocks.append(Table("Other inputs", ["kind", "path", "files", "size"], rows, len(rows)))
    rows = [[result_link(o.path), o.description] for o in typed_outputs(config)]
    s.blocks.append(Table("Typed copies and the data package (README: Reading the outputs)", ["file", "what"], rows,
                          len(rows)))  # fmt: skip
    s.blocks.append(
        Table("Workflow and package versions", ["component", "version"], [list(v) for v in versions], len(versions))
    )
    s.blocks.append(Heading("Config in effect"))
    s.blocks.append(
        Para(
            [
                "Every key but those that only schedule the work and never change a result ("
                + ", ".join(".".join(p) for p in EXECUTION_KEYS)
                + ")."
            ]
        )
    )
    s.blocks.append(
        Pre(yaml.safe_dump(shown_config(config), sort_keys=True, allow_unicode=True, default_flow_style=False))
    )
    return s


def records_section(
    stats: RecordStats, rejected: FirstRows, problems: Counter, missing: tuple[list[str], FirstRows] | None, cap: int
) -> Section:
    s = Section("records", "Records")
    s.blocks.append(
        Para(
            [
                f"{stats.total:,} accepted records from {len(stats.by_source)} source(s) and "
                f"{len({o for _, o in stats.by_source_organism}):,} organism(s); {rejected.total:,} rejected."
            ]
        )
    )
    combos = sorted(
        stats.by_source_organism.items(),
        key=lambda kv: (SOURCE_ORDER.index(kv[0][0]) if kv[0][0] in SOURCE_ORDER else 9, kv[0][0], -kv[1], kv[0][1]),
    )
    rows = [[src, org or "(none)", n, _pct(n, stats.total)] for (src, org), n in combos]
    s.blocks.append(
        Table(
            "Records per source and organism",
            ["source", "organism", "records", "share"],
            rows[:cap],
            len(rows),
            "results/tables/records.tsv",
            "by source, most records first",
        )
    )
    bars = [(f"{src} / {org or '(none)'}", n) for (src, org), n in combos[:30]]
    s.blocks.append(
        Plot(
            "records_by_source.svg",
            plots.bar_chart(bars, "Records per source and organism", "records"),
            "Accepted records per source and organism"
            + (f" (the {len(bars)} largest of {len(combos)} groups)." if len(combos) > len(bars) else "."),
        )
    )
    s.blocks.append(Heading("Rejected records"))
    prob_rows = [[p, n] for p, n in top(problems, cap)]
    s.blocks.append(
        Table(
            "Rejections by problem",
            ["problem", "records"],
            prob_rows,
            len(problems),
            "results/qc/rejected_records.tsv",
            "most frequent first",
        )
    )
    s.blocks.append(
        Table(
            "Rejected records",
            ["source_file", "reason"],
            rejected.rows,
            rejected.total,
            "results/qc/rejected_records.tsv",
            "in file order",
        )
    )
    s.blocks.append(Heading("Missing downloads"))
    if missing is None:
        s.blocks.append(Para(["Not produced by this run (no interactions stage)."]))
    else:
        header, first = missing
        s.blocks.append(Para([f"{first.total:,} download(s) named by pages were not found in tflink_downloads."]))
        s.blocks.append(
            Table(
                "Missing downloads",
                header,
                first.rows,
                first.total,
                "results/qc/missing_downloads.tsv",
                "in file order",
            )
        )
    return s


def protein_section(ps: ProteinStats | None, config: dict) -> Section:
    s = Section("proteins", "Protein QC")
    if ps is None:
        s.blocks.append(Para(["Not produced by this run."]))
        return s
    n = sum(ps.status.values())
    n_pass = ps.status.get("pass", 0)
    qc = config.get("protein_qc", {}) or {}
    tol_da, tol_res = qc.get("mass_tolerance_da"), qc.get("mass_tolerance_da_per_residue")
    s.blocks.append(
        Facts(
            [
                ("proteins checked", n),
                ("passed", n_pass),
                ("failed", n - n_pass),
                ("pass rate", _pct(n_pass, n)),
                ("mass tolerance", f"{tol_da} Da + {tol_res} Da per residue" if tol_da is not None else "default"),
            ]
        )
    )
    s.blocks.append(
        Table(
            "Failed checks",
            ["check", "proteins"],
            [[k, v] for k, v in top(ps.failed_checks, 50)],
            len(ps.failed_checks),
        )
    )
    s.blocks.append(
        Table(
            "Failing proteins",
            ["record_id", "uniprot_accession", "stated_length", "computed_length", "mass_delta_da", "reason"],
            ps.failing.rows,
            ps.failing.total,
            "results/qc/protein_checks.tsv",
            "by record_id",
        )
    )
    s.blocks.append(
        Plot(
            "protein_mass_delta.svg",
            plots.mass_delta_plot(ps.points, tol_da, tol_res),
            "Stated minus computed average mass against sequence length; dashed: the tolerance "
            "window. Length and CRC64 must match exactly, so a protein can fail inside the window.",
        )
    )
    return s


def interactions_section(st: InteractionStats | None, cap: int, regulons: list | None = None) -> Section:
    s = Section("interactions", "Interactions")
    if st is None:
        s.blocks.append(Para(["Not produced by this run (no interactions stage)."]))
        return s
    s.blocks.append(
        Facts(
            [
                ("interactions (distinct TF-target pairs)", st.total),
                ("TFs", len(st.tf_targets)),
                ("targets", len(st.target_tfs)),
                ("organisms", len(st.organisms)),
            ]
        )
    )
    s.blocks.append(
        Table(
            "By source database",
            ["source database", "interactions", "share"],
            [[k, v, _pct(v, st.total)] for k, v in top(st.sources, cap)],
            len(st.sources),
            "results/tables/interactions.tsv",
            "most first",
        )
    )
    s.blocks.append(
        Table(
            "By small-scale evidence",
            ["small_scale_evidence", "interactions", "share"],
            [[k, v, _pct(v, st.total)] for k, v in top(st.small_scale, cap)],
            len(st.small_scale),
        )
    )
    s.blocks.append(
        Table(
            "By detection method",
            ["detection method", "interactions"],
            [[k, v] for k, v in top(st.methods, 30)],
            len(st.methods),
            "results/tables/interactions.tsv",
            "most first",
        )
    )
    s.blocks.append(
        Table(
            "By organism", ["organism", "interactions"], [[k, v] for k, v in top(st.organisms, cap)], len(st.organisms)
        )
    )
    if st.origins:
        s.blocks.append(
            Table(
                "By kind of input that asserted it (origins)",
                ["kind", "interactions", "share"],
                [[k, v, _pct(v, st.total)] for k, v in top(st.origins, cap)],
                len(st.origins),
            )
        )
    if regulons:
        s.blocks.append(
            Table(
                "Regulons per organism (results/tf_targets/regulons/: GMT gene sets and source/target/weight networks)",
                ["organism", "UniProt gene sets", "symbol gene sets", "pairs whose target has no symbol",
                 "files"],
                [[r["organism"] or "(none given)", r["uniprot_sets"], r["symbol_sets"],
                  r["gmt_pairs_without_target_symbol"],
                  [result_link(f"results/tf_targets/{r[k]}")
                   for k in ("uniprot_gmt", "symbols_gmt", "uniprot_network", "symbols_network")]]
                 for r in regulons[:cap]],
                len(regulons),
                "results/tf_targets/regulons.tsv",
                "by slug",
            )
        )
    best = top(st.tf_targets, 25)
    rows = [[uniprot_link(tf) or tf, st.tf_names.get(tf, ""), n, tflink_link(tf) or ""] for tf, n in best]
    s.blocks.append(
        Table(
            "Top TFs by number of targets",
            ["tf_uniprot", "tf_name", "targets", "TFLink"],
            rows,
            len(st.tf_targets),
            "results/tf_targets/index.tsv",
            "most targets first",
        )
    )
    s.blocks.append(
        Plot(
            "interaction_degrees.svg",
            plots.degree_plot(Counter(st.tf_targets.values()), Counter(st.target_tfs.values())),
            "How many TFs have k targets (blue) and how many targets have k TFs (orange), "
            "k in doubling bins; counts on a log scale.",
        )
    )
    return s


def expression_section(hm: Heatmap | None, ins: InsituStats | None, cap: int, max_locations: int) -> Section:
    s = Section("expression", "Expression")
    s.blocks.append(Heading("Single-cell fold change (Genular)"))
    if hm is None:
        s.blocks.append(Para(["Not produced by this run."]))
    else:
        s.blocks.append(Facts([("genes", hm.n_genes), ("cell types", hm.n_cell_types), ("values", hm.n_values)]))
        shown = (
            f"the {len(hm.genes)} genes with the strongest fold changes (root mean square) of {hm.n_genes:,} and "
            f"the {len(hm.cell_types)} cell types with the strongest changes among them of {hm.n_cell_types:,}"
        )
        vmax = max([abs(v) for r in hm.values for v in r if v is not None] + [0.0])
        s.blocks.append(
            Plot(
                "fold_change_heatmap.svg",
                plots.heatmap(
                    "Fold change: genes x cell types",
                    hm.genes,
                    hm.cell_types,
                    hm.values,
                    diverging=True,
                    value_label="fold change",
                    vmax=vmax or 1.0,
                ),
                f"Fold change per gene (rows) and cell type (columns), both ordered by average-linkage "
                f"clustering; grey: no value. Shown: {shown}. Every value is in "
                f"results/tables/cell_expression_fold_change.tsv.",
            )
        )
    s.blocks.append(Heading("In situ hybridisation (GEISHA)"))
    if ins is None:
        s.blocks.append(Para(["Not produced by this run."]))
        return s
    s.blocks.append(
        Facts(
            [
                ("genes", len(ins.genes)),
                ("images", len(ins.images)),
                ("image-location rows", ins.rows),
                ("anatomical locations", len(ins.location_genes)),
                ("rows with a stage label that is not an HH number", sum(ins.other_labels.values())),
            ]
        )
    )
    locs = sorted(ins.location_genes, key=lambda loc: (-len(ins.location_genes[loc]), loc))[:max_locations]
    stages = sorted({st for (_, st) in ins.cells if st != "other"})
    columns = [*stages, *(["other"] if any(st == "other" for (_, st) in ins.cells) else [])]
    values = [[ins.cells.get((loc, st)) or None for st in columns] for loc in locs]
    s.blocks.append(
        Plot(
            "insitu_stage_location.svg",
            plots.heatmap(
                "In situ: anatomical location x HH stage",
                locs,
                [f"HH {c}" if c != "other" else "other label" for c in columns],
                values,
                diverging=False,
                value_label="images",
                cell=14,
            ),
            f"Images per anatomical location (rows: the {len(locs)} locations with the most genes of "
            f"{len(ins.location_genes):,}) and Hamburger-Hamilton stage (columns; 'other label': "
            f"stages such as 'stage XII' or 'unknown' that are not an HH number); grey: none. Every row "
            f"is in results/tables/insitu_expression.tsv.",
        )
    )
    rows = []
    for loc in sorted(ins.location_genes, key=lambda loc: (-len(ins.location_genes[loc]), loc))[:cap]:
        numeric = sorted(x for x in ins.location_stages[loc] if x != "other")
        span = (
            "" if not numeric else f"HH {numeric[0]}" if numeric[0] == numeric[-1] else f"HH {numeric[0]}-{numeric[-1]}"
        )
        images = sum(ins.cells.get((loc, st), 0) for st in columns)
        rows.append([loc, len(ins.location_genes[loc]), images, span])
    s.blocks.append(
        Table(
            "Anatomical locations",
            ["location", "genes", "images", "stages"],
            rows,
            len(ins.location_genes),
            "results/tables/insitu_matrix.tsv",
            "most genes first",
        )
    )
    if ins.other_labels:
        s.blocks.append(
            Table(
                "Stage labels without an HH number",
                ["stage label", "rows"],
                [[k, v] for k, v in top(ins.other_labels, 30)],
                len(ins.other_labels),
            )
        )
    return s
