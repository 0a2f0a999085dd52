"""Every output of the workflow, declared once: path, columns, types, sort key, meaning.

This module is the contract downstream pipelines depend on. Producers write
through these declarations, consumers read through them (:mod:`gene_records.tsv`),
``rule all`` and the rules' output paths come from them (``rules/common.smk``),
and the column tables in ``docs/outputs.md`` and the README are generated from
them (:mod:`gene_records.docs`; a test fails when they disagree).

It is long because it is the documentation: one declaration per table, no logic.
"""

from __future__ import annotations

from .tsv import BOOLEAN, INTEGER, LIST, NUMBER, STRING, Column, Output, Table

C = Column

# ------------------------------------------------------------ shared columns
RECORD_ID = C("record_id", STRING, "the record: `genular-<NCBI gene id>`, `tflink-<UniProt accession>`, "
              "`geisha-<NCBI gene id>` (`geisha-<SYMBOL>` for a GEISHA page without a gene id)", required=True)
SOURCE = C("source", STRING, "the portal: `genular`, `tflink` or `geisha`", required=True)
SYMBOL = C("symbol", STRING, "the gene symbol as the page gives it")
ORGANISM = C("organism", STRING, "scientific name (`Homo sapiens`)")
NCBI_IDS = C("ncbi_gene_id", LIST, "NCBI (Entrez) gene ids, `;`-joined when the source gives several", items=STRING)
UNIPROT = C("uniprot_accession", STRING, "UniProtKB accession")
SHA256 = C("sha256", STRING, "sha256 of the file's bytes (hex)", required=True)
_REJECT_REASON = C("reason", STRING, "one line: the place in the file and the problem", required=True)

_INTERACTION_COLUMNS = (
    C("tf_uniprot", STRING, "UniProt accession of the TF (the regulator)", required=True),
    C("target_uniprot", STRING, "UniProt accession of the target (a protein can regulate itself)", required=True),
    C("tf_ncbi_gene_id", LIST, "NCBI gene ids of the TF (several when the inputs give several, ascending); "
      "empty when unknown", items=STRING),
    C("target_ncbi_gene_id", LIST, "NCBI gene ids of the target, as for the TF", items=STRING),
    C("tf_name", STRING, "gene/protein name of the TF; empty when unknown"),
    C("target_name", STRING, "gene/protein name of the target; empty when unknown"),
    C("detection_methods", LIST, "e.g. `chromatin immunoprecipitation assay;inferred by curator`", items=STRING),
    C("pubmed_ids", LIST, "PubMed ids, ascending: `24435928;29087512`", items=STRING),
    C("organism", STRING, "e.g. `Homo sapiens`"),
    C("source_databases", LIST, "e.g. `GTRD;ReMap;TRRUST`", items=STRING),
    C("small_scale_evidence", STRING, "`Yes`, `No` or empty"),
    C("origins", LIST, "the inputs that asserted the pair: `page:<record_id>`, `download:<file name>`, "
      "`table:<file name>`", items=STRING, required=True),
)
_RECORD_COLUMNS = (
    RECORD_ID,
    SOURCE,
    C("source_file", STRING, "the raw file, as the config's `records` paths lead to it, in table form "
      "(`%XX` for `%`, control characters and bytes that are not UTF-8: gene_records.paths)", required=True),
    SYMBOL,
    C("name", STRING, "the gene or protein name"),
    ORGANISM,
    NCBI_IDS,
    C("ensembl_gene_id", STRING, "Ensembl gene id"),
    UNIPROT,
    C("sha256", STRING, "sha256 of the raw file (hex)", required=True),
)
_REJECTED_RECORD_COLUMNS = (
    C("source_file", STRING, "the raw file or directory entry, in table form (gene_records.paths)", required=True),
    _REJECT_REASON,
)

# ------------------------------------------------------------------ parse
BATCH_LISTING = Table(
    "batch_listing", ".snakemake/gene_records/batches/batch_{batch}.tsv",
    (C("source_file", STRING, "a record file or directory entry of the batch, in table form", required=True),
     C("kind", STRING, "`file`, or `unreadable` (discovery refused to read it)", required=True),
     C("detail", STRING, "a file's `<mtime in ns> <size>` (`missing` if it vanished), or why it is unreadable")),
    "per-batch input, written while the workflow plans (only when it changes): the entries of one parse "
    "batch, the parse job's one input in place of the record files", "parse",
    sort_key=("source_file",), target=False, unique=True)
BATCH_INDEX = Table(
    "batch_index", "results/parsed/batch_{batch}.index.tsv", _RECORD_COLUMNS,
    "per-batch intermediate: the records.tsv rows of one parse batch", "parse",
    sort_key=("record_id",), target=False, unique=True)
BATCH_REJECTED = Table(
    "batch_rejected", "results/parsed/batch_{batch}.rejected.tsv", _REJECTED_RECORD_COLUMNS,
    "per-batch intermediate: the records of one parse batch that were rejected", "parse",
    sort_key=("source_file", "reason"), target=False, unique=True)
BATCH_JSONL = Output(
    "batch_jsonl", "results/parsed/batch_{batch}.jsonl", "jsonl",
    "per-batch intermediate: one canonical JSON record per line, sorted by record_id", "parse", target=False)
RECORDS = Table(
    "records", "results/tables/records.tsv", _RECORD_COLUMNS,
    "one row per accepted record", "parse", sort_key=("record_id",), unique=True)
REJECTED_RECORDS = Table(
    "rejected_records", "results/qc/rejected_records.tsv", _REJECTED_RECORD_COLUMNS,
    "every record that was rejected (`on_bad_record: skip`); header only when none was", "parse",
    sort_key=("source_file", "reason"), unique=True)
RECORD_MANIFEST = Table(
    "record_manifest", "results/records/manifest.tsv",
    (RECORD_ID, C("json_file", STRING, "the JSON file, relative to `results/records/`", required=True), SHA256),
    "the canonical JSON file of every accepted record", "parse", sort_key=("record_id",), unique=True)
RECORD_JSON = Output(
    "record_json", "results/records/{record_id}.json", "json",
    "one canonical JSON file per record (sorted keys, compact, UTF-8, one line); its layout is the JSON "
    "Schema `scripts/gene_records/schemas/record.schema.json`", "parse", target=False)
ORTHOLOGS = Table(
    "orthologs", "results/tables/orthologs.tsv",
    (RECORD_ID, SOURCE, SYMBOL, ORGANISM,
     C("ortholog_species", STRING, "the species as the page names it (`Human`, `Rattus norvegicus`)"),
     C("ortholog_ncbi_gene_id", STRING, "the ortholog's NCBI gene id"),
     C("ortholog_ensembl_gene_id", STRING, "the ortholog's Ensembl gene id"),
     C("ortholog_uniprot", STRING, "the ortholog's UniProt accession"),
     C("ortholog_mod_id", STRING, "the ortholog's model-organism database id")),
    "one row per ortholog a record states", "parse",
    order="sorted by every column, left to right")
CITATIONS = Table(
    "citations", "results/tables/citations.tsv",
    (RECORD_ID, SOURCE,
     C("pubmed_id", STRING, "PubMed id"),
     C("doi", STRING, "DOI"),
     C("title", STRING, "title"),
     C("authors", STRING, "authors, as the page writes them"),
     C("year", STRING, "year of publication, as the page writes it")),
    "one row per citation (Genular citations, GEISHA papers)", "parse",
    order="sorted by every column, left to right")

# ------------------------------------------------------------- protein QC
PROTEIN_CHECKS = Table(
    "protein_checks", "results/qc/protein_checks.tsv",
    (RECORD_ID,
     C("uniprot_accession", STRING, "the protein's first UniProtKB accession from the page; empty when the page lists none"),
     C("stated_length", STRING, "the stated length; the text as given when it could not be read"),
     C("computed_length", INTEGER, "characters in the sequence"),
     C("stated_mass_da", STRING, "the stated mass, 2 decimals; the text as given when it could not be read"),
     C("computed_mass_da", NUMBER, "Biopython's average mass plus the ambiguity-code masses, 2 decimals; "
       "empty when the sequence has invalid characters or is missing"),
     C("mass_delta_da", NUMBER, "stated - computed, 2 decimals; empty when either side is missing"),
     C("mass_delta_ppm", NUMBER, "the same relative to the computed mass, ppm, 1 decimal"),
     C("mass_tolerance_da", NUMBER, "the allowed absolute difference for this length, 2 decimals"),
     C("stated_crc64", STRING, "the stated checksum, upper case, 16 hex digits (the text as given when invalid)"),
     C("computed_crc64", STRING, "Biopython's CRC64 of the sequence"),
     C("status", STRING, "`pass` or `fail`", required=True),
     C("reason", STRING, "empty on pass; otherwise every failed check, `; `-joined (see Protein QC)")),
    "one row per protein (Genular pages)", "qc", sort_key=("record_id",), unique=True)
PROTEINS = Table(
    "proteins", "results/tables/proteins.tsv",
    (RECORD_ID, SOURCE, SYMBOL, ORGANISM,
     C("uniprot_accession", STRING, "the protein's first UniProtKB accession"),
     C("entry_name", STRING, "the UniProt entry name (`SOX2_HUMAN`)"),
     C("protein_name", STRING, "the protein name"),
     C("length", INTEGER, "computed length"),
     C("mass_da", NUMBER, "computed mass, 2 decimals"),
     C("crc64", STRING, "computed CRC64"),
     C("status", STRING, "`pass` or `fail`, as in protein_checks.tsv", required=True)),
    "one row per protein (pass or fail)", "qc", sort_key=("record_id",), unique=True)
PROTEINS_FASTA = Output(
    "proteins_fasta", "results/proteins/proteins.fasta", "fasta",
    "every protein whose status is `pass`, sorted by record_id; header `>sp|ACCESSION|ENTRY_NAME name "
    "OS=organism GN=symbol` (UniProt's layout), `>record_id ENTRY_NAME name OS=... GN=...` without an accession",
    "qc")

# ----------------------------------------------------------- interactions
INTERACTIONS = Table(
    "interactions", "results/tables/interactions.tsv", _INTERACTION_COLUMNS,
    "one row per distinct (TF, target) pair, merged from pages, downloads and whole-organism tables",
    "interactions", sort_key=("tf_uniprot", "target_uniprot"), unique=True)
BY_TF = Table(
    "by_tf", "results/tf_targets/by_tf/{tf_uniprot}.tsv", _INTERACTION_COLUMNS,
    "all targets of one TF: the rows of interactions.tsv with that TF", "interactions",
    sort_key=("tf_uniprot", "target_uniprot"), target=False, unique=True)
BY_TARGET = Table(
    "by_target", "results/tf_targets/by_target/{target_uniprot}.tsv", _INTERACTION_COLUMNS,
    "all TFs of one target: the rows of interactions.tsv with that target", "interactions",
    sort_key=("tf_uniprot", "target_uniprot"), target=False, unique=True)
BY_TF_DIR = Output(
    "by_tf_dir", "results/tf_targets/by_tf", "directory", "one `<tf_uniprot>.tsv` per TF (see by_tf)",
    "interactions")
BY_TARGET_DIR = Output(
    "by_target_dir", "results/tf_targets/by_target", "directory",
    "one `<target_uniprot>.tsv` per target (see by_target)", "interactions")
SPLIT_INDEX = Table(
    "split_index", "results/tf_targets/index.tsv",
    (C("uniprot", STRING, "the accession", required=True),
     C("name", STRING, "its most frequent non-empty name in its rows (ties: the smallest); empty when none"),
     C("role", STRING, "`tf` (file in `by_tf/`) or `target` (file in `by_target/`)", required=True),
     C("n_interactions", INTEGER, "rows in the file", required=True),
     C("path", STRING, "the file, relative to the index's folder: `by_tf/Q06945.tsv`", required=True)),
    "one row per split file", "interactions", sort_key=("uniprot", "role"), unique=True)
REGULONS_DIR = Output(
    "regulons_dir", "results/tf_targets/regulons", "directory",
    "per organism `<slug>`: the gene sets `<slug>.uniprot.gmt` and `<slug>.symbols.gmt` and the networks "
    "`<slug>.uniprot.tsv` and `<slug>.symbols.tsv` (see regulons_index)", "interactions")
GMT_UNIPROT = Output(
    "regulons_uniprot", "results/tf_targets/regulons/{slug}.uniprot.gmt", "gmt",
    "gene sets of one organism: set name = TF accession, description = its name with white space and `%` "
    "percent-encoded (`OR2M7%20D`; the accession when it has none), members = target accessions",
    "interactions", target=False)
GMT_SYMBOLS = Output(
    "regulons_symbols", "results/tf_targets/regulons/{slug}.symbols.gmt", "gmt",
    "gene sets of one organism: set name = the TF's name with each run of white space `_` (`<name>_<ACC>` "
    "when names are equal ignoring case; the accession when it has none), description = its accession, "
    "members = target names, white space as `_` (targets without a name are left out and counted)",
    "interactions", target=False)
REGULON_NETWORK = Table(
    "regulon_network", "results/tf_targets/regulons/{slug}.{flavour}.tsv",
    (C("source", STRING, "the TF: its accession (`uniprot` flavour) or its symbol set name, as in "
       "`<slug>.symbols.gmt` (`symbols` flavour)", required=True),
     C("target", STRING, "the target: its accession, or one of its names with white space as `_` "
       "(`symbols`; a target without a name has no row)", required=True),
     C("weight", INTEGER, "`1`: TFLink states no mode of regulation, so every edge counts as activating",
       required=True),
     C("small_scale_evidence", STRING, "`Yes`, `No` or empty (`symbols`: `Yes` when any merged pair has it)"),
     C("source_databases", LIST, "e.g. `GTRD;ReMap;TRRUST` (`symbols`: of every merged pair)", items=STRING),
     C("pubmed_ids", LIST, "PubMed ids, ascending", items=STRING),
     C("n_sources", INTEGER, "how many source databases", required=True),
     C("tf_uniprot", STRING, "the TF's accession", required=True),
     C("target_uniprot", LIST, "the target's accession (`symbols`: every target with that name)", items=STRING,
       required=True),
     C("tf_name", STRING, "the TF's name as interactions.tsv gives it (its most frequent one in `symbols`)"),
     C("target_name", LIST, "the target's name as interactions.tsv gives it", items=STRING)),
    "TF -> target network of one organism in the long form TF-activity tools take (decoupler's `source`, "
    "`target`, `weight`); `flavour` is `uniprot` (one row per pair of interactions.tsv) or `symbols` (one "
    "row per TF and target name)", "interactions", target=False,
    order="by `tf_uniprot`, then `target`")
REGULON_INDEX = Table(
    "regulons_index", "results/tf_targets/regulons.tsv",
    (C("organism", STRING, "the organism of interactions.tsv; empty for the pairs without one"),
     C("slug", STRING, "its file name part: lower case, each run of characters other than `a-z0-9` one `_` "
       "(`homo_sapiens`; `unspecified_organism` for the empty organism)", required=True),
     C("pairs", INTEGER, "its rows in interactions.tsv", required=True),
     C("gmt_pairs", INTEGER, "those left for the gene sets by `interactions.gmt_evidence`", required=True),
     C("uniprot_sets", INTEGER, "gene sets in `<slug>.uniprot.gmt`", required=True),
     C("symbol_sets", INTEGER, "gene sets in `<slug>.symbols.gmt`", required=True),
     C("renamed_sets", INTEGER, "TFs named `<name>_<ACC>` because names were equal ignoring case", required=True),
     C("gmt_pairs_without_target_symbol", INTEGER, "gene-set pairs whose target has no name: in the uniprot "
       "sets, not in the symbol sets", required=True),
     C("network_pairs", INTEGER, "rows of `<slug>.uniprot.tsv` (after `interactions.network_evidence`)",
       required=True),
     C("symbol_network_rows", INTEGER, "rows of `<slug>.symbols.tsv`", required=True),
     C("network_pairs_without_target_symbol", INTEGER, "network pairs whose target has no name: in the "
       "uniprot network, not in the symbol network", required=True),
     C("uniprot_gmt", STRING, "the file, relative to the index's folder", required=True),
     C("symbols_gmt", STRING, "the file", required=True),
     C("uniprot_network", STRING, "the file", required=True),
     C("symbols_network", STRING, "the file", required=True)),
    "one row per organism of interactions.tsv: its regulon files and counts", "interactions",
    sort_key=("slug",), unique=True)
MISSING_DOWNLOADS = Table(
    "missing_downloads", "results/qc/missing_downloads.tsv",
    (RECORD_ID,
     C("field", STRING, "`tfs_download` or `targets_download`", required=True),
     C("file_name", STRING, "the file the page names", required=True)),
    "downloads that pages name but that were not found", "interactions",
    sort_key=("record_id", "field", "file_name"), unique=True)
REJECTED_INTERACTIONS = Table(
    "rejected_interactions", "results/qc/rejected_interactions.tsv",
    (C("file", STRING, "the input (page record id or file)", required=True),
     C("where", STRING, "`line N` (files) or `field 'tfs', entry N` (pages)"),
     C("scope", STRING, "`file` (a whole download or table: bad header, empty file) or `row` (one row: wrong "
       "number of fields, quoted fields, an accession that is not a plain identifier, evidence not Yes/No, "
       "a PubMed id that is not one, invalid UTF-8)", required=True),
     _REJECT_REASON),
    "bad interaction inputs skipped with `on_bad_record: skip`", "interactions",
    order="pages and downloads first (sorted), then the tables' rows in table and line order")
INTERACTION_CONFLICTS = Table(
    "interaction_conflicts", "results/qc/interaction_conflicts.tsv",
    (C("tf_uniprot", STRING, "the TF", required=True),
     C("target_uniprot", STRING, "the target", required=True),
     C("field", STRING, "the column the inputs disagree on", required=True),
     C("merged_value", STRING, "the value interactions.tsv holds"),
     C("other_values", STRING, "the other values, ` \\| `-joined")),
    "inputs that disagree on a name, the organism, the NCBI ids or the evidence", "interactions",
    sort_key=("tf_uniprot", "target_uniprot"),
    order="sorted by `tf_uniprot`, then `target_uniprot`, then `field` in column order")
INTERACTIONS_SUMMARY = Table(
    "interactions_summary", "results/qc/interactions_summary.tsv",
    (C("metric", STRING, "`pages`, `page_rows`, `downloads` (read), `downloads_without_page`, "
       "`downloads_not_read_duplicates`, `download_rows`, `missing_downloads`, `tables`, `table_rows`, "
       "`input_rows` (= the three row counts), `interactions` (pairs), `rejected_files`, `rejected_rows`, "
       "`conflicts`", required=True),
     C("value", INTEGER, "the count", required=True)),
    "counts of the interaction inputs and outputs", "interactions", order="one row per metric, in the order listed")

# The intermediates of merge_interactions (map per input, reduce by merging):
# per parse batch, once for the downloads, once per whole-organism table.
_MERGED_BY_SORT = ("the first line is `#` and the header of interactions.tsv (it sorts before every row); the rows "
                   "are sorted as whole lines in byte order (`LC_ALL=C sort`), so by `tf_uniprot`, then "
                   "`target_uniprot`: merge_interactions merges the partials with `sort -m`")
_PARTIAL_REJECT = (
    C("where", STRING, "`line N` (files) or `field 'tfs', entry N` (pages)"),
    C("scope", STRING, "`file` (the input is rejected), `row` (the row is), `error` (it cannot be read on: "
      "the merge stops whatever `on_bad_record`) or, for a table, `unreadable` (a table that cannot be read to "
      "its end: the merge stops with `fail`, skips the table with `skip`)", required=True),
    _REJECT_REASON,
)
BATCH_PAGE_INTERACTIONS = Output(
    "batch_page_interactions", "results/parsed/batch_{batch}.page_interactions.tsv", "tsv",
    "per-batch intermediate: the interaction rows of one parse batch's TFLink pages (one copy of a record "
    "given twice), normalised, in the columns of interactions.tsv with one origin `page:<record_id>` each; "
    + _MERGED_BY_SORT, "interactions", target=False)
BATCH_PAGES = Table(
    "batch_pages", "results/parsed/batch_{batch}.pages.tsv",
    (RECORD_ID,
     C("uniprot_accession", STRING, "the page's protein", required=True),
     C("ncbi_gene_id", LIST, "its NCBI gene ids, normalised as in interactions.tsv, in table form "
       "(gene_records.paths: the exact text)", items=STRING),
     C("name", STRING, "its name, normalised as in interactions.tsv, in table form"),
     C("tfs_download", STRING, "the download the page names for its TFs, in table form (gene_records.paths); "
       "empty when none"),
     C("targets_download", STRING, "the download it names for its targets, as `tfs_download`"),
     C("rows", INTEGER, "its rows in the batch's page interactions", required=True)),
    "per-batch intermediate: one row per TFLink page of one parse batch (one copy of a record given twice): "
    "what the merge needs to read the page's downloads", "interactions",
    sort_key=("record_id",), target=False, unique=True)
BATCH_PAGE_REJECTS = Table(
    "batch_page_rejects", "results/parsed/batch_{batch}.page_rejects.tsv",
    (RECORD_ID, C("file", STRING, "the page's file, in table form", required=True)) + _PARTIAL_REJECT,
    "per-batch intermediate: the bad entries of one parse batch's TFLink pages", "interactions",
    target=False, order="by `record_id`, then in the page's order")
DOWNLOAD_ROWS = Table(
    "download_rows", "results/parsed/downloads.interactions.tsv",
    (C("file", STRING, "the download, in table form", required=True),
     C("uniprot", STRING, "the other protein (the TF in `tfs_of_<ACC>.tsv`, the target in "
       "`targets_of_<ACC>.tsv`)", required=True),
     C("ncbi_gene_id", LIST, "its NCBI gene ids, in table form (gene_records.paths: the exact text)", items=STRING),
     C("name", STRING, "its name"),
     C("detection_methods", LIST, "as in interactions.tsv", items=STRING),
     C("pubmed_ids", LIST, "as in interactions.tsv", items=STRING),
     C("organism", STRING, "as in interactions.tsv"),
     C("source_databases", LIST, "as in interactions.tsv", items=STRING),
     C("small_scale_evidence", STRING, "`Yes`, `No` or empty")),
    "intermediate: every row of every per-protein download, normalised; the merge adds the protein the "
    "download is read for", "interactions", target=False,
    order="the downloads in look-up order, the rows of each in file order")
DOWNLOAD_REJECTS = Table(
    "download_rejects", "results/parsed/downloads.rejects.tsv",
    (C("file", STRING, "the download, in table form", required=True),
     C("kind", STRING, "`tfs` or `targets` for a header that is not that list's (the merge uses the note when "
       "it reads the file as that list); empty otherwise")) + _PARTIAL_REJECT,
    "intermediate: the problems of the per-protein downloads; the merge fails on or lists those of the "
    "downloads it reads", "interactions", target=False, order="the downloads in look-up order, then line order")
TABLE_INTERACTIONS = Output(
    "table_interactions", "results/parsed/table_{table}.interactions.tsv", "tsv",
    "intermediate: the rows of one whole-organism table (`{table}`: its file name and a hash of its path), "
    "normalised, in the columns of interactions.tsv with the origin `t#<hash>` (the merge writes "
    "`table:<file name>`); " + _MERGED_BY_SORT, "interactions", target=False)
TABLE_REJECTS = Table(
    "table_rejects", "results/parsed/table_{table}.rejects.tsv", _PARTIAL_REJECT,
    "intermediate: the problems of one whole-organism table", "interactions", target=False, order="line order")
TABLE_COUNTS = Table(
    "table_counts", "results/parsed/table_{table}.counts.tsv",
    (C("metric", STRING, "`rows` (in the table's partial), `lines` (data lines read)", required=True),
     C("value", INTEGER, "the count", required=True)),
    "intermediate: counts of one whole-organism table", "interactions", target=False,
    order="one row per metric, in the order listed")

# ------------------------------------------------------------- expression
CELL_EXPRESSION = Table(
    "cell_expression", "results/tables/cell_expression.tsv",
    (RECORD_ID, SYMBOL,
     C("ncbi_gene_id", STRING, "the gene's NCBI id, as the page gives it"),
     C("cell_ontology_id", STRING, "Cell Ontology id in `CL:0000101` form", required=True),
     C("cell_name", STRING, "the cell type name as written, including `obsolete ...` terms"),
     C("obsolete", BOOLEAN, "`true` when the name starts with `obsolete `", required=True),
     C("fold_change", NUMBER, "the page's fold change (can be negative)"),
     C("cell_significance_index", NUMBER, "the page's Cell Significance Index (CSI; can be negative)")),
    "Genular cell-type expression, long format: one row per gene and cell type", "expression",
    sort_key=("record_id", "cell_ontology_id", "cell_name"), unique=True)
_MATRIX_KEYS = (
    C("cell_ontology_id", STRING, "Cell Ontology id", required=True),
    C("cell_name", STRING, "the cell type name"),
)
_MATRIX_EXTRA = ("one column per Genular gene, named by its symbol (`SYMBOL (record_id)` when two records "
                 "share a symbol ignoring case; the record id without a symbol), sorted ignoring case")
FOLD_CHANGE_MATRIX = Table(
    "cell_expression_fold_change", "results/tables/cell_expression_fold_change.tsv", _MATRIX_KEYS,
    "cell types x genes: the fold change; empty when the gene's page does not list the cell type",
    "expression", sort_key=("cell_ontology_id", "cell_name"), extra=_MATRIX_EXTRA,
    extra_column=C("<gene>", NUMBER, "fold change"), unique=True)
CSI_MATRIX = Table(
    "cell_expression_csi", "results/tables/cell_expression_csi.tsv", _MATRIX_KEYS,
    "cell types x genes: the Cell Significance Index; empty when the gene's page does not list the cell type",
    "expression", sort_key=("cell_ontology_id", "cell_name"), extra=_MATRIX_EXTRA,
    extra_column=C("<gene>", NUMBER, "Cell Significance Index"), unique=True)
INSITU_EXPRESSION = Table(
    "insitu_expression", "results/tables/insitu_expression.tsv",
    (RECORD_ID, SYMBOL,
     C("species", STRING, "the record's organism (`Gallus gallus`)"),
     C("stage", STRING, "the stage label exactly as written (`stage 10`, `HH3+`, `stage XII`, `unknown`, or empty)"),
     C("hh_stage", INTEGER, "the Hamburger-Hamilton stage number, when the label gives one"),
     C("location", STRING, "one anatomical location (`unspecified location`: the image gives none)", required=True),
     C("image_url", STRING, "the image"),
     C("source", STRING, "who published the image (can be empty)")),
    "GEISHA in situ expression, long format: one row per image and anatomical location", "expression",
    sort_key=("record_id", "hh_stage", "stage", "location", "image_url"),
    order="sorted by `record_id`, then `hh_stage` (unstaged rows last), then `stage`, `location` and `image_url`")
INSITU_MATRIX = Table(
    "insitu_matrix", "results/tables/insitu_matrix.tsv",
    (RECORD_ID, SYMBOL),
    "GEISHA genes x anatomical locations: the stages at which the gene was seen there", "expression",
    sort_key=("record_id",),
    extra="one column per location of insitu_expression.tsv (including `unspecified location`), sorted ignoring case",
    extra_column=C("<location>", LIST, "HH stage numbers ascending, then labels without one; "
                   "empty: not seen there", items=STRING), unique=True)

# ------------------------------------------------------------------ genes
GENES = Table(
    "genes", "results/tables/genes.tsv",
    (C("organism", STRING, "scientific name"),
     C("ncbi_gene_id", LIST, "the gene's NCBI ids, ascending; empty when none is known", items=STRING),
     C("symbols", LIST, "the distinct symbols of its records", items=STRING),
     C("record_ids", LIST, "its records", items=STRING, required=True),
     C("sources", LIST, "the sources that describe it (`genular`, `geisha`, `tflink`)", items=STRING, required=True),
     C("cell_types", INTEGER, "Genular cell types listed (empty without a Genular record)"),
     C("cell_types_positive_fc", INTEGER, "those with fold change > 0 (empty without a Genular record)"),
     C("tfs", INTEGER, "distinct TFs regulating the gene in interactions.tsv", required=True),
     C("targets", INTEGER, "distinct targets it regulates in interactions.tsv", required=True),
     C("insitu_images", INTEGER, "GEISHA images (empty without a GEISHA record; `0` for a page with no images)"),
     C("insitu_stages", LIST, "the stages the images show (as in the in situ matrix)", items=STRING),
     C("protein_qc", LIST, "the `status` values (`pass`, `fail`) of its records in protein_checks.tsv; "
       "empty when no protein was checked", items=STRING),
     C("ortholog_links", INTEGER, "records of other species that ortholog_links.tsv links to or from it",
       required=True)),
    "one row per gene: the records of one organism that share an NCBI gene id", "genes",
    sort_key=("organism", "ncbi_gene_id", "record_ids"),
    order="sorted by `organism`, then the first NCBI id (numerically), then `record_ids`")
ORTHOLOG_LINKS = Table(
    "ortholog_links", "results/tables/ortholog_links.tsv",
    (RECORD_ID, SOURCE, SYMBOL, ORGANISM,
     C("ortholog_species", STRING, "the species as the page names it"),
     C("linked_record_id", STRING, "the record it links to", required=True),
     C("linked_source", STRING, "its source", required=True),
     C("linked_symbol", STRING, "its symbol"),
     C("linked_organism", STRING, "its organism"),
     C("join_type", LIST, "which identifiers matched (`ncbi_gene_id`, `ensembl_gene_id`, "
       "`uniprot_accession`), or `symbol`", items=STRING, required=True),
     C("join_ids", LIST, "the matched values, in the same order", items=STRING)),
    "stated orthologs that match a record of another species", "genes",
    sort_key=("record_id", "linked_record_id"))

# ----------------------------------------------------------------- report
REPORT_HTML = Output("summary_html", "results/report/summary.html", "html",
                     "the summary page, self-contained (open this first)", "report")
REPORT_MD = Output("summary_md", "results/report/summary.md", "markdown",
                   "the same sections, tables and facts in Markdown", "report")
REPORT_MQC = Output("multiqc", "results/report/gene_records_mqc.tsv", "multiqc",
                    "MultiQC custom content (a general-stats style table)", "report")
_PLOTS = {
    "records_by_source": "accepted records per source and organism",
    "protein_mass_delta": "stated - computed protein mass against length",
    "interaction_degrees": "targets per TF and TFs per target",
    "fold_change_heatmap": "fold change of the strongest genes across cell types",
    "insitu_stage_location": "in situ images by HH stage and location",
}
PLOT_RECORDS, PLOT_PROTEINS, PLOT_DEGREES, PLOT_HEATMAP, PLOT_INSITU = (
    Output(f"plot_{k}", f"results/report/plots/{k}.svg", "svg", v, "report", target=False)
    for k, v in _PLOTS.items()
)
REPORT_RECORDS_BY_SOURCE = Table(
    "report_records_by_source", "results/report/tables/records_by_source.tsv",
    (SOURCE, ORGANISM, C("records", INTEGER, "accepted records", required=True)),
    "accepted records per source and organism (every combination)", "report",
    sort_key=("source", "records", "organism"), target=False,
    order="sorted by `source`, then `records` (most first), then `organism`")
REPORT_PROTEIN_FAILURES = Table(
    "report_protein_failures", "results/report/tables/protein_failures.tsv",
    (RECORD_ID,
     C("uniprot_accession", STRING, "UniProtKB accession"),
     C("stated_length", STRING, "as in protein_checks.tsv"),
     C("computed_length", INTEGER, "as in protein_checks.tsv"),
     C("mass_delta_da", NUMBER, "as in protein_checks.tsv"),
     C("reason", STRING, "as in protein_checks.tsv")),
    "the failing proteins (at most `report.max_table_rows`, by record_id)", "report",
    sort_key=("record_id",), target=False)
REPORT_TOP_TFS = Table(
    "report_top_tfs", "results/report/tables/top_tfs.tsv",
    (C("tf_uniprot", STRING, "the TF", required=True),
     C("tf_name", STRING, "its name"),
     C("targets", INTEGER, "its targets", required=True)),
    "the 100 TFs with the most targets", "report", target=False,
    order="by `targets` (most first), then `tf_uniprot`")

# --------------------------------------------- typed copies, data package
PARQUET_TABLES = ("interactions", "cell_expression", "insitu_expression", "genes")
PARQUET_INTERACTIONS, PARQUET_CELL_EXPRESSION, PARQUET_INSITU_EXPRESSION, PARQUET_GENES = (
    Output(f"{t}_parquet", f"results/parquet/{t}.parquet", "parquet",
           f"typed copy of `{t}.tsv` (declared types; a `list` column is `list<string>`, an empty cell `[]`); "
           "written when the config's `parquet` is true", "package", switch="parquet")
    for t in PARQUET_TABLES
)
DATAPACKAGE = Output(
    "datapackage", "results/datapackage.json", "json",
    "Frictionless Data Package: one tabular resource with its Table Schema (types, missing values, "
    "primary key, required columns) per table of the run, split files included", "package")

# ------------------------------------------------------------- provenance
MANIFEST = Table(
    "manifest", "results/provenance/manifest.tsv",
    (C("kind", STRING, "`input`, `config` or `output`", required=True),
     C("path", STRING, "the file, in table form (gene_records.paths)", required=True),
     C("sha256", STRING, "sha256 of its bytes (of the canonical JSON for the config)", required=True),
     C("size", INTEGER, "bytes"),
     C("rows", INTEGER, "data rows of a TSV, records of a FASTA, lines of a GMT/JSONL; empty otherwise")),
    "every input, the config in effect and every output but the provenance folder", "provenance",
    sort_key=("kind", "path"), order="inputs first, then the config, then outputs; each by path", unique=True)
VERSIONS = Table(
    "versions", "results/provenance/versions.tsv",
    (C("component", STRING, "gene-records, git commit, Python or a package", required=True),
     C("version", STRING, "its version")),
    "versions of the workflow and the software it ran with", "provenance",
    order="gene-records and its git commit, Python, then the packages")

# ------------------------------------------- per-batch partial tables (map)
# What the map step (rule parse_records, gene_records.batch_map.map_batch) writes
# from one parse batch, for the reduce steps to merge without decoding record
# JSON again. A partial of a final table has its columns and order; the
# others are the compact per-record summaries a global view needs.


def _partial(table: Table) -> Table:
    return Table(
        f"batch_{table.name}", f"results/partials/batch_{{batch}}.{table.name}.tsv", table.columns,
        f"per-batch intermediate: the `{table.name}` rows of one parse batch's records, in its order",
        table.stage, sort_key=table.sort_key, order=table.order, target=False, unique=table.unique)


BATCH_RECORD_MANIFEST, BATCH_ORTHOLOGS, BATCH_CITATIONS, BATCH_CELL_EXPRESSION, BATCH_INSITU_EXPRESSION = (
    _partial(t) for t in (RECORD_MANIFEST, ORTHOLOGS, CITATIONS, CELL_EXPRESSION, INSITU_EXPRESSION))
BATCH_INSITU_CELLS = Table(
    "batch_insitu_cells", "results/partials/batch_{batch}.insitu_cells.tsv",
    (RECORD_ID, SYMBOL,
     C("location", STRING, "an anatomical location of insitu_expression.tsv", required=True),
     C("stages", LIST, "the gene's stages there, as a cell of insitu_matrix.tsv", items=STRING, required=True)),
    "per-batch intermediate: the non-empty cells of insitu_matrix.tsv for one parse batch's records",
    "expression", sort_key=("record_id", "location"), target=False, unique=True)
BATCH_PROTEIN_FACTS = Table(
    "batch_protein_facts", "results/partials/batch_{batch}.protein_facts.tsv",
    (RECORD_ID,
     C("facts", STRING, "one JSON object (ASCII): the measured length, mass and CRC64, the checks that need no "
       "tolerance, the record's fields, the FASTA headers and, when it can pass, the sequence", required=True)),
    "per-batch intermediate: one row per protein of one parse batch, measured but not yet judged "
    "(check_proteins applies the mass tolerance)", "qc", sort_key=("record_id",), target=False, unique=True)
BATCH_GENE_SUMMARIES = Output(
    "batch_gene_summaries", "results/partials/batch_{batch}.gene_summaries.jsonl", "jsonl",
    "per-batch intermediate: what the gene view needs of each record of one parse batch "
    "(gene_records.gene_summaries.RecordSummary, one JSON list per line), in batch order", "genes", target=False)

# ------------------------------------------------------------- the index
TABLES: tuple[Table, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Table))
OUTPUTS: dict[str, Table | Output] = {
    v.name: v for v in list(globals().values()) if isinstance(v, (Table, Output))
}
STAGES = ("parse", "qc", "interactions", "expression", "genes", "report", "package", "provenance")


def path(name: str) -> str:
    """The declared path of an output (``rules/*.smk`` name outputs through this)."""
    return OUTPUTS[name].path


def written(output: Table | Output, config: dict | None) -> bool:
    """Whether a run with ``config`` writes ``output``: an output with a
    ``switch`` only when that config key is true (the schema defaults it)."""
    switch = getattr(output, "switch", "")
    return not switch or bool((config or {}).get(switch, False))


def targets(include_provenance: bool = True, config: dict | None = None, exclude: tuple[str, ...] = ()) -> list[str]:
    """The default target: every final output without wildcards, in stage order
    (an output with a ``switch`` only when ``config[switch]`` is true; names
    in ``exclude`` left out)."""
    out = []
    for stage in STAGES:
        if stage == "provenance" and not include_provenance:
            continue
        out += [
            o.path
            for o in OUTPUTS.values()
            if o.stage == stage and o.target and "{" not in o.path and o.name not in exclude
            and written(o, config)
        ]
    return out
