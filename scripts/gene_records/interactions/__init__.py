"""TF -> target interactions: TFLink pages, per-protein downloads and whole-organism tables,
merged into ``results/tables/interactions.tsv`` and split per TF and per target.

Where things are:

* :mod:`.columns` -- interactions.tsv's columns as row positions, from ``tables.INTERACTIONS``;
* :mod:`.normalise` -- one canonical form per value (accessions, ids, PubMed ids, names,
  evidence) and the cached normalisers of the hot loops;
* :mod:`.sources` -- the inputs and their formats: pages, per-protein downloads
  (:func:`find_downloads`), whole-organism tables in byte ranges, line reading;
* :mod:`.partials` -- the map steps: each input normalised once into a sorted
  partial (:func:`tabulate_page_interactions` per parse batch, :func:`map_pages`
  over records, :func:`normalise_downloads`, :func:`normalise_interaction_table`
  per table);
* :mod:`.rejects` -- the bad inputs (``on_bad_record``);
* :mod:`.merge` -- the merge rule, and the merge of sorted partials as streams;
* :mod:`.reduce` -- the merge step (:func:`merge_interactions`), and
  :func:`merge_collection` (the maps and the merge on a whole collection in one call);
* :mod:`.pool` -- the process pool the steps use;
* :mod:`.split` -- the split step (:func:`split_interactions`): per-TF and per-target files,
  the index;
* :mod:`.regulons` -- the regulon step (:func:`build_regulons`): per-organism GMT gene sets and
  TF -> target networks (``source``, ``target``, ``weight``) and their index;
* :mod:`.synth` -- realistic synthetic whole-organism tables (tests, benchmarks).
"""

from __future__ import annotations

from .merge import merge_group
from .normalise import BadValue, norm_accession, norm_ids, norm_name, norm_pubmed
from .partials import (
    map_pages,
    normalise_downloads,
    normalise_interaction_table,
    table_key,
    tabulate_page_interactions,
)
from .reduce import merge_collection, merge_interactions
from .sources import DOWNLOAD_COLUMNS, TABLE_COLUMNS, find_downloads, other_generation
from .regulons import build_regulons
from .split import split_interactions

__all__ = [
    "BadValue",
    "DOWNLOAD_COLUMNS",
    "TABLE_COLUMNS",
    "build_regulons",
    "find_downloads",
    "map_pages",
    "merge_collection",
    "merge_group",
    "merge_interactions",
    "norm_accession",
    "norm_ids",
    "norm_name",
    "norm_pubmed",
    "normalise_downloads",
    "normalise_interaction_table",
    "other_generation",
    "split_interactions",
    "table_key",
    "tabulate_page_interactions",
]
