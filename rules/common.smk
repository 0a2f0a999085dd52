import os
import shutil
import sys

from snakemake.utils import validate

# ---- config: validated against the schema, defaults filled in -------------
validate(config, workflow.source_path("../config/config.schema.yaml"))

# ---- the library -----------------------------------------------------------
# A workflow on disk (a clone, a local module path) runs its own
# scripts/gene_records. A module from git+file://...@tag, github() or gitlab()
# has no folder on disk (current_basedir is a URL): it imports the installed
# package (pip install gene-records; requirements.txt installs it). The folder
# of the copy imported here is LIBRARY, and jobs (venv, --sdm conda, Slurm)
# get that copy first on PYTHONPATH: pure Python, so any env's python runs it.
# An installed copy is first copied to .snakemake/gene_records-<version>/, so
# that PYTHONPATH never holds a whole site-packages (README: as a module).
SCRIPTS = os.path.normpath(os.path.join(str(workflow.current_basedir), "../scripts"))
if os.path.isdir(os.path.join(SCRIPTS, "gene_records")):
    sys.path.insert(0, SCRIPTS)
import gene_records  # noqa: E402

LIBRARY = os.path.dirname(os.path.abspath(gene_records.__file__))
if os.path.dirname(LIBRARY) != SCRIPTS:
    _lib = os.path.abspath(f".snakemake/gene_records-{gene_records.__version__}")
    if not os.path.isdir(_lib):
        _tmp = f"{_lib}.tmp{os.getpid()}"
        _ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(LIBRARY, f"{_tmp}/gene_records", ignore=_ignore)
        try:
            os.replace(_tmp, _lib)
        except OSError:  # another Snakemake process (e.g. a Slurm job) made it first
            shutil.rmtree(_tmp)
    SCRIPTS, LIBRARY = _lib, os.path.join(_lib, "gene_records")
# (Set for the jobs, not read from the user: hence update(), not an envvars:.)
os.environ.update(
    PYTHONPATH=os.pathsep.join(filter(None, [SCRIPTS, os.environ.get("PYTHONPATH")]))
)
from gene_records.parse import assign_batches, discover_entries  # noqa: E402
from gene_records.parse import write_batch_listings  # noqa: E402
from gene_records.config_keys import shown_config  # noqa: E402
from gene_records.tables import path as declared  # noqa: E402
from gene_records.tables import targets  # noqa: E402
from gene_records.wiring import PACKAGE_DIR, step_files  # noqa: E402


def library(script):
    """The library files the step of ``scripts/<script>.py`` imports, directly or
    not (gene_records.wiring follows the real import graph), as files of LIBRARY
    (the copy the jobs run): inputs of the rule, so that a code change reruns
    exactly the rules that use it. source_path() also reads the script of a
    module imported from a git tag (from Snakemake's source cache)."""
    step = workflow.source_path(f"../scripts/{script}.py")
    return [
        os.path.join(LIBRARY, os.path.relpath(f, PACKAGE_DIR)) for f in step_files(step)
    ]


# The default target: every final output declared in gene_records.tables.
ALL_TARGETS = targets(config=config)
# What the report shows of the config: every key but those that only say how
# the work is scheduled (records_per_batch, interactions.sort_memory_mb), so
# that changing them does not rerun the report.
REPORT_CONFIG = shown_config(config)


# ---- record discovery and stable batches ---------------------------------
# Record files are not inputs of the parse jobs: each batch's listing is
# (.snakemake/gene_records/batches/batch_NNNN.tsv, gene_records.parse:
# every entry of the batch with its mtime and size). It is rewritten here,
# while the workflow plans, only when an entry was added, removed or changed,
# so only that batch reruns. Snakemake costs ~0.1 ms per input file each time
# it plans and at every scheduling pass; 150,000 record inputs made that most
# of a rerun's time. It also keeps out of Snakemake's way the names it cannot
# handle (bytes that are not UTF-8 break its lock files) and the entries that
# cannot be read safely (dangling or outside links, FIFOs, sockets, devices):
# the parse job rejects those with their reason.
RECORD_FILES, UNREADABLE = discover_entries(config["records"])
BATCHES = assign_batches(
    sorted(RECORD_FILES + list(UNREADABLE)), config["records_per_batch"]
)


def as_written(path):
    """``path`` as Snakemake writes it: under the importing workflow's module
    prefix (prefix: "gr" -> gr/results/...) when this workflow is imported as a
    module. Snakemake has no documented call for it; its path modifier does it
    (without one, the path as declared: a touched record is then parsed again)."""
    modifier = getattr(workflow.modifier, "path_modifier", None)
    return str(modifier.replace_prefix(path)) if modifier is not None else path


BATCH_LISTINGS = write_batch_listings(
    BATCHES, UNREADABLE, as_written(declared("batch_index"))
)
BATCH_RE = r"[0-9]+"


def batch_listing(wildcards):
    """Input function: the listing of one batch."""
    return BATCH_LISTINGS[wildcards.batch]


def batch_outputs(kind):
    """All batches' files of one kind (jsonl, index, rejected)."""
    name = {
        "jsonl": "batch_jsonl",
        "index": "batch_index",
        "rejected": "batch_rejected",
    }[kind]
    return expand(declared(name), batch=list(BATCHES))


def partials(name):
    """All batches' partial tables of one kind (declared name, e.g.
    "batch_orthologs"): the map step's outputs a reduce merges."""
    return expand(declared(name), batch=list(BATCHES))


def scaled(base):
    """A resource that grows with each attempt (retries get more)."""

    def resource(wildcards, attempt):
        return base * attempt

    return resource


def final_outputs(wildcards):
    """Input function: every target of rule all but the provenance files, so
    that write_provenance runs last."""
    return targets(include_provenance=False, config=config)


def datapackage_inputs(wildcards):
    """Input function: every target of rule all but the provenance files and
    the data package itself, so that write_datapackage describes them all
    and runs before write_provenance."""
    return targets(include_provenance=False, config=config, exclude=("datapackage",))


# ---- TF/target interactions (rules/interactions.smk) -----------------------
from gene_records.interactions.partials import table_key  # noqa: E402
from gene_records.interactions.sources import find_downloads  # noqa: E402

# Per-protein TFLink downloads in look-up order (folder order, then path); a
# missing folder stops the run with a message naming it.
TFLINK_DOWNLOAD_FILES = find_downloads(config["tflink_downloads"])
# GNU sort's buffer plus the Python processes around it.
INTERACTIONS_MEM_MB = config["interactions"]["sort_memory_mb"] + 1000


def tflink_download_files(wildcards):
    """Input function: every per-protein download (user paths: local())."""
    return [local(f) for f in TFLINK_DOWNLOAD_FILES]


def interaction_tables(wildcards):
    """Input function: the whole-organism tables of the config (local())."""
    return [local(f) for f in config["interaction_tables"]]


# Each whole-organism table is normalised by its own job (its partials are
# named by table_key: the file name and a hash of the path).
TABLES_BY_KEY = {table_key(t): t for t in config["interaction_tables"]}
TABLE_RE = r"[A-Za-z0-9_]+-[0-9a-f]{12}"


def interaction_table(wildcards):
    """Input function: the whole-organism table of {table} (a user path: local())."""
    return local(TABLES_BY_KEY[wildcards.table])


def table_partials(name):
    """The partials of one kind (declared name) of every whole-organism table, in config order."""
    return [
        declared(name).format(table=table_key(t)) for t in config["interaction_tables"]
    ]
