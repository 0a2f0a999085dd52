"""TF -> target interactions: TFLink pages, per-protein downloads and whole-organism tables,
merged into ``results/tables/interactions.tsv`` and split per TF and per target.

Where things are:

* :mod:`.columns` -- interactions.tsv's columns as row positions, from ``tables.INTERACTIONS``;
* :mod:`.normalise` -- one canonical form per value (accessions, ids, PubMed ids, names,
  evidence) and the cached normalisers of the hot loops;
* :mod:`.sources` -- the inputs and their formats: pages, per-protein downloads
  (:func:`find_downloads`), whole-organism tables in byte ranges, line reading;
* :mod:`.rejects` -- the bad inputs (``on_bad_record``);
* :mod:`.merge` -- the merge rule and the merge step (:func:`merge_interactions`);
* :mod:`.pool` -- the process pool both steps use;
* :mod:`.split` -- the split step (:func:`split_interactions`): per-TF and per-target files,
  the index;
* :mod:`.regulons` -- the regulon step (:func:`build_regulons`): per-organism GMT gene sets and
  TF -> target networks (``source``, ``target``, ``weight``) and their index;
* :mod:`.synth` -- realistic synthetic whole-organism tables (tests, benchmarks).
"""

from __future__ import annotations

from .merge import merge_group, merge_interactions
from .normalise import BadValue, norm_accession, norm_ids, norm_name, norm_pubmed
from .sources import DOWNLOAD_COLUMNS, TABLE_COLUMNS, find_downloads, other_generation
from .regulons import build_regulons
from .split import split_interactions

__all__ = [
    "BadValue",
    "DOWNLOAD_COLUMNS",
    "TABLE_COLUMNS",
    "build_regulons",
    "find_downloads",
    "merge_group",
    "merge_interactions",
    "norm_accession",
    "norm_ids",
    "norm_name",
    "norm_pubmed",
    "other_generation",
    "split_interactions",
]
