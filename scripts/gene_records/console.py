"""The ``gene-records`` command: one subcommand per workflow step.

``pip install .`` (or ``pip install -e .``) installs it. Each subcommand calls
the same step function as the rule of the same name (``check_proteins`` ->
``gene-records check-proteins``; ``parse-batch``, ``tabulate-batch`` and
``tabulate-page-interactions`` run the parts of ``parse-records`` one by
one), so a shell script, Nextflow or CWL can run
the steps without Snakemake::

    gene-records --version
    gene-records parse-batch --records a.txt --records b.txt \\
        --jsonl out.jsonl --index out.tsv --rejected rej.tsv --on-bad-record skip
    gene-records check-proteins --help

The options and ``--help`` are generated from the step's signature and
docstring (a ``list[...]`` argument is given once per value). The parsed
options become the ``name=value`` pairs of :func:`gene_records.cli.run`, which
converts them by the step's type hints and turns bad input into one line on
stderr and exit status 1, exactly as for ``python scripts/<rule>.py``.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
import typing

from . import __version__
from .cli import run

# subcommand -> (module, step function); the rule of the same name (dashes ->
# underscores) runs the same function through scripts/<rule>.py.
STEPS: dict[str, tuple[str, str]] = {
    "parse-records": ("gene_records.batch_map", "map_batch"),
    "parse-batch": ("gene_records.parse", "parse_batch"),
    "tabulate-batch": ("gene_records.batch_tables", "tabulate_batch"),
    "collect-records": ("gene_records.parse", "collect_records"),
    "tabulate-annotations": ("gene_records.annotations", "tabulate_annotations"),
    "check-proteins": ("gene_records.proteins", "check_proteins"),
    "tabulate-expression": ("gene_records.expression", "tabulate_expression"),
    "link-genes": ("gene_records.genes", "link_genes"),
    "tabulate-page-interactions": ("gene_records.interactions.partials", "tabulate_page_interactions"),
    "normalise-downloads": ("gene_records.interactions.partials", "normalise_downloads"),
    "normalise-interaction-table": ("gene_records.interactions.partials", "normalise_interaction_table"),
    "merge-interactions": ("gene_records.interactions.reduce", "merge_interactions"),
    "split-interactions": ("gene_records.interactions.split", "split_interactions"),
    "build-regulons": ("gene_records.interactions.regulons", "build_regulons"),
    "build-report": ("gene_records.report", "build_report"),
    "write-parquet": ("gene_records.parquet", "write_parquet"),
    "write-datapackage": ("gene_records.datapackage", "write_datapackage"),
    "write-provenance": ("gene_records.provenance", "write_provenance"),
    "verify-provenance": ("gene_records.provenance", "verify_provenance"),
}


def step_function(command: str):
    module, name = STEPS[command]
    return getattr(importlib.import_module(module), name)


def _hint_text(hint) -> str:
    return getattr(hint, "__name__", None) if typing.get_origin(hint) is None else str(hint)


def step_parser(command: str, func, prog: str | None = None) -> argparse.ArgumentParser:
    """An argparse parser for one step, generated from its signature."""
    doc = inspect.getdoc(func) or func.__name__
    parser = argparse.ArgumentParser(
        prog=prog or f"gene-records {command}",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    hints = typing.get_type_hints(func)
    for name, param in inspect.signature(func).parameters.items():
        hint = hints.get(name, str)
        is_list = typing.get_origin(hint) is list
        required = param.default is inspect.Parameter.empty
        flags = [f"--{name.replace('_', '-')}"] + ([f"--{name}"] if "_" in name else [])
        help_text = _hint_text(hint) or "text"
        if is_list:
            help_text += ", given once per value"
        if hint is dict:
            help_text += " (JSON)"
        if not required:
            help_text += f" (default: {param.default!r})"
        parser.add_argument(
            *flags,
            dest=name,
            metavar=name.upper(),
            action="append" if is_list else "store",
            required=required,
            help=help_text,
        )
    parser.add_argument("--log", metavar="FILE", help="also write the step's log to FILE")
    return parser


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    top = argparse.ArgumentParser(
        prog="gene-records",
        description="Run one step of the gene-records workflow (the function its rule runs). "
        "`gene-records STEP --help` lists the step's arguments.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="steps:\n" + "\n".join(f"  {c:<22} {m}.{f}" for c, (m, f) in STEPS.items()),
    )
    top.add_argument("--version", action="version", version=f"gene-records {__version__}")
    top.add_argument("step", choices=sorted(STEPS), metavar="STEP", help="one of the steps listed below")
    top.add_argument("arguments", nargs=argparse.REMAINDER, help="the step's options (STEP --help)")
    if not argv:
        top.print_help()
        raise SystemExit(2)
    ns = top.parse_args(argv[:1]) if argv[0] not in ("-h", "--help", "--version") else top.parse_args(argv)
    func = step_function(ns.step)
    options = vars(step_parser(ns.step, func).parse_args(argv[1:]))
    # Back to the name=value pairs of gene_records.cli (one pair per list value),
    # which converts them by the type hints and reports errors in one line.
    pairs = []
    for name, value in options.items():
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            pairs.append(f"{name}={item}")
    run(func, argv=pairs)


if __name__ == "__main__":  # python -m gene_records.console
    main()
