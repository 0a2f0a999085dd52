"""gene-records: parse, check and join raw gene and protein records.

The package holds every piece of logic of the workflow; the Snakemake rules only
name inputs, outputs and parameters and call the step functions in
:mod:`gene_records.steps` through the scripts in ``scripts/``.
"""

__version__ = "1.0.0"
