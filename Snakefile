# gene-records, run in a clone: `snakemake --cores 2` (or `make run`).
# Everything is in workflow/Snakefile, the entry point that also works when the
# workflow is imported as a module from a git tag (that file says why).
from snakemake.utils import min_version

min_version("9.0")

# What `include: "workflow/Snakefile"` runs, but keeping that file's first rule,
# `all`, as the default target (a plain include: never sets the default target).
workflow.include("workflow/Snakefile", overwrite_default_target=True)
