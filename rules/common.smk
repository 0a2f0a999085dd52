import os
import sys

from snakemake.utils import validate

# ---- config: validated against the schema, defaults filled in -------------
validate(config, workflow.source_path("../config/config.schema.yaml"))

# ---- the library -----------------------------------------------------------
# source_path() copies single files to a cache, so the package (a folder) is
# reached through the folder of this file; shipped single files use source_path().
WORKFLOW_DIR = os.path.normpath(os.path.join(str(workflow.current_basedir), ".."))
SCRIPTS = os.path.join(WORKFLOW_DIR, "scripts")
LIBRARY = os.path.join(SCRIPTS, "gene_records")
sys.path.insert(0, SCRIPTS)
from gene_records.parse import assign_batches, discover_entries  # noqa: E402
from gene_records.paths import encode_path  # noqa: E402


def library(*modules):
    """The library files a rule's step uses: inputs, so a code change reruns it."""
    core = ("__init__", "cli", "errors", "io", "ids", "paths", "records")
    return [f"{LIBRARY}/{m}.py" for m in sorted(set(core + modules))]


# ---- record discovery and stable batches ---------------------------------
# Only regular files become inputs. Entries that cannot be read safely
# (dangling or outside links, FIFOs, sockets, devices) are never inputs (a
# missing input would stop the whole DAG, a FIFO would block): each goes to
# its batch's parse job as a param and is rejected there with its reason.
# Record files whose names Snakemake cannot handle (bytes that are not UTF-8
# break its lock files) reach the parse job as a param too, in table form.
RECORD_FILES, UNREADABLE = discover_entries(config["records"])
BATCHES = assign_batches(
    sorted(RECORD_FILES + list(UNREADABLE)), config["records_per_batch"]
)
BATCH_RE = r"[0-9]+"


def batch_records(wildcards):
    """Input function: the record files of one batch (user paths: local())."""
    return [
        local(f)
        for f in BATCHES[wildcards.batch]
        if f not in UNREADABLE and encode_path(f) == f
    ]


def batch_escaped_records(wildcards):
    """Param function: the batch's record files whose names Snakemake cannot
    take as inputs (not UTF-8, control characters), `<table form>TAB<mtime
    ns>TAB<size>`: a changed file changes the param, which reruns the batch."""
    out = []
    for f in BATCHES[wildcards.batch]:
        if f not in UNREADABLE and encode_path(f) != f:
            try:
                st = os.stat(f)
                signature = f"{st.st_mtime_ns}\t{st.st_size}"
            except OSError:  # gone since discovery: the parse job says so
                signature = "missing"
            out.append(f"{encode_path(f)}\t{signature}")
    return out


def batch_unreadable(wildcards):
    """Param function: the batch's unreadable entries, `<table form>TAB<reason>`."""
    return [
        f"{encode_path(f)}\t{UNREADABLE[f]}"
        for f in BATCHES[wildcards.batch]
        if f in UNREADABLE
    ]


def batch_outputs(kind):
    """All batches' files of one kind (jsonl, index, rejected)."""
    suffix = {"jsonl": "jsonl", "index": "index.tsv", "rejected": "rejected.tsv"}[kind]
    return [f"results/parsed/batch_{b}.{suffix}" for b in BATCHES]


def scaled(base):
    """A resource that grows with each attempt (retries get more)."""

    def resource(wildcards, attempt):
        return base * attempt

    return resource


def final_outputs(wildcards):
    """Input function: every target of rule all but the provenance files, so
    that write_provenance runs last."""
    return [f for f in rules.all.input if "results/provenance/" not in f]


# ---- TF/target interactions (rules/interactions.smk) -----------------------
from gene_records.interactions import find_downloads  # noqa: E402

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
