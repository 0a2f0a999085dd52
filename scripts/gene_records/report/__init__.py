"""The summary report (rule build_report): one self-contained HTML page, the same facts in
Markdown, the plots as SVG files, small summary tables for Snakemake's own
report, and MultiQC custom content.

How it is built:

* every input table is *streamed* once (twice for the fold-change matrix and
  records.tsv) into counters and bounded lists: a table shown on the page
  keeps at most ``max_table_rows`` rows and says how many it left out, the
  heatmap keeps ``heatmap_max_genes`` x ``heatmap_max_cell_types`` values,
  the dossiers ``max_genes`` genes. The page for 50,000 records is as large
  as the page for 500.
* the facts go into a small document model (sections of paragraphs, fact
  lists, tables and plots) that two renderers turn into HTML and Markdown, so
  that both always say the same.
* all text that comes from records, tables or the config is escaped by the
  renderers (HTML: ``html.escape``; Markdown: backslash escapes; SVG: XML
  escapes). Links out to the portals are built only from identifiers that
  match their pattern; nothing is fetched, the page carries no script and a
  Content-Security-Policy that forbids loading anything.
* output is deterministic: rows sorted with full keys, numbers formatted
  with fixed rules, no timestamps; the same inputs give the same bytes.

Where things are:

* :mod:`.step` - :func:`build_report`, the step: reads, builds, renders, writes.
* :mod:`.readers` - the nine table readers (through :mod:`gene_records.tables`)
  and the summaries they return.
* :mod:`.sections`, :mod:`.dossiers` - the page's sections, built from those summaries.
* :mod:`.model` - the document model, links out, escaping helpers.
* :mod:`.render` - the HTML and Markdown renderers and the page's CSS.
* :mod:`.plots` - the SVG plots; :mod:`.cluster` - heatmap ordering.
* :mod:`.multiqc` - MultiQC custom content.
"""

from ..config_keys import shown_config
from .step import build_report

__all__ = ["build_report", "shown_config"]
