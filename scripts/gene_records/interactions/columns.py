"""The columns of interactions.tsv, as positions in a row, from its declaration.

Every reader of this package builds rows of ``tables.INTERACTIONS``'s columns
(each input row with a single origin); the merge and the split address their
fields by these positions. They come from the declaration, so a renamed or
reordered column fails here at import, never silently in a hot loop.
"""

from __future__ import annotations

from ..tables import INTERACTIONS

HEADER = INTERACTIONS.header
HEADER_LINE = INTERACTIONS.header_line().encode("utf-8")
# The first line of a sorted partial (.partials): ``#`` sorts before every row (a row starts with
# an accession, a plain identifier), so the line stays first through sort and sort -m.
PARTIAL_HEADER_LINE = b"#" + HEADER_LINE

TF = INTERACTIONS.index("tf_uniprot")
TARGET = INTERACTIONS.index("target_uniprot")
TF_NCBI = INTERACTIONS.index("tf_ncbi_gene_id")
TARGET_NCBI = INTERACTIONS.index("target_ncbi_gene_id")
TF_NAME = INTERACTIONS.index("tf_name")
TARGET_NAME = INTERACTIONS.index("target_name")
METHODS = INTERACTIONS.index("detection_methods")
PUBMED = INTERACTIONS.index("pubmed_ids")
ORGANISM = INTERACTIONS.index("organism")
SOURCES = INTERACTIONS.index("source_databases")
EVIDENCE = INTERACTIONS.index("small_scale_evidence")
ORIGINS = INTERACTIONS.index("origins")

# The readers (sources.py) write the fields in this order without naming them
# (the whole-organism tables' hot loop joins raw byte strings), and the merge
# finds a row's pair in its first two fields and its origin in the last.
if (
    TF,
    TARGET,
    TF_NCBI,
    TARGET_NCBI,
    TF_NAME,
    TARGET_NAME,
    METHODS,
    PUBMED,
    ORGANISM,
    SOURCES,
    EVIDENCE,
    ORIGINS,
) != tuple(range(len(HEADER))):
    raise ImportError(
        "tables.INTERACTIONS: the interactions readers and merge expect the columns "
        + ", ".join(HEADER)
        + " in this order"
    )
