"""Which config keys say what a run gives, and which only how it is scheduled.

Small on purpose: ``rules/common.smk`` imports it when Snakemake builds the DAG,
so that a rule receives only the keys that can change its outputs.
"""

from __future__ import annotations

# Config keys that only say how the work is scheduled, never what it gives:
# left out of the report's config, so that the report is the same for any
# batch size or sort buffer, and changing them does not rerun it.
EXECUTION_KEYS = (("records_per_batch",), ("interactions", "sort_memory_mb"))


def shown_config(config: dict) -> dict:
    """The config in effect without :data:`EXECUTION_KEYS`."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in config.items()}
    for path in EXECUTION_KEYS:
        node = out
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return out
