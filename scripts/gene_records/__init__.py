"""gene-records: parse, check and join raw gene and protein records.

The package holds every piece of logic of the workflow; the Snakemake rules only
name inputs, outputs and parameters and call the step functions in
:mod:`gene_records.steps` through the scripts in ``scripts/``.
"""

__version__ = "1.0.0"


def load_table(results: str, name: str, lists: str = "split", **wildcards: str):
    """Read a declared table of a results folder into pandas with its declared
    dtypes: see :func:`gene_records.load.load_table` (imported on first use,
    so that the workflow's steps do not import pandas)."""
    from .load import load_table as _load_table

    return _load_table(results, name, lists=lists, **wildcards)
