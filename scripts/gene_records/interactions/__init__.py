"""TF -> target interactions: TFLink pages, per-protein downloads and whole-organism tables,
merged into ``results/tables/interactions.tsv`` and split per TF and per target.

Where things are:

* :mod:`.columns` -- interactions.tsv's columns as row positions, from ``tables.INTERACTIONS``;
* :mod:`.normalise` -- one canonical form per value (accessions, ids, PubMed ids, names,
  evidence) and the cached normalisers of the hot loops;
* :mod:`.sources` -- the inputs and their formats: pages, per-protein downloads
  (:func:`find_downloads`), whole-organism tables in byte ranges, line reading;
* :mod:`.partials` -- the map steps: each input normalised once into a sorted
  partial (:func:`map_pages` in each parse batch's map job, :func:`normalise_downloads`, :func:`normalise_interaction_table`
  per table);
* :mod:`.rejects` -- the bad inputs (``on_bad_record``);
* :mod:`.merge` -- the merge rule, and the merge of sorted partials as streams;
* :mod:`.reduce` -- the merge step (:func:`merge_interactions`), and
  :func:`merge_collection` (the maps and the merge on a whole collection in one call);
* :mod:`.split` -- the split step (:func:`split_interactions`): per-TF and per-target files,
  the index;
* :mod:`.regulons` -- the regulon step (:func:`build_regulons`): per-organism GMT gene sets and
  TF -> target networks (``source``, ``target``, ``weight``) and their index;
* :mod:`.synth` -- realistic synthetic whole-organism tables (tests, benchmarks).
"""

from __future__ import annotations

import importlib

# Public name -> the module that holds it. The package imports none of its
# modules itself: a name is imported from its module when first asked for
# (``from gene_records.interactions import merge_interactions`` works). So a
# step that imports one module (``from gene_records.interactions.partials
# import map_pages``) loads only that module and what it imports, and
# gene_records.wiring reruns it only when one of those changes; the steps'
# scripts import from the modules.
_WHERE = {
    "BadValue": "normalise",
    "DOWNLOAD_COLUMNS": "sources",
    "TABLE_COLUMNS": "sources",
    "build_regulons": "regulons",
    "find_downloads": "sources",
    "map_pages": "partials",
    "merge_collection": "reduce",
    "merge_group": "merge",
    "merge_interactions": "reduce",
    "norm_accession": "normalise",
    "norm_ids": "normalise",
    "norm_name": "normalise",
    "norm_pubmed": "normalise",
    "normalise_downloads": "partials",
    "normalise_interaction_table": "partials",
    "other_generation": "sources",
    "split_interactions": "split",
    "table_key": "partials",
    "tabulate_page_interactions": "partials",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
