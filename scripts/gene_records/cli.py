"""Run a step function from a Snakemake ``script:`` rule or from the command line.

Every script in ``scripts/`` is three lines: import :func:`run` and a step
function, and call ``run(step, globals().get("snakemake"))``. Under Snakemake the
rule's named ``input``, ``output`` and ``params`` become the step's keyword
arguments; on the command line they are given as ``name=value`` pairs (a name
repeated for a list argument)::

    python scripts/parse_records.py records=a.txt records=b.txt \\
        jsonl=out.jsonl index=out.tsv rejected=rej.tsv on_bad_record=skip

A bad input ends the step with one line on stderr (and in the log), naming the
file, the place and the problem, and exit status 1; never a traceback.
"""

from __future__ import annotations

import inspect
import logging
import sys
import typing

from .errors import ConfigError, RecordError

log = logging.getLogger("gene_records")


class StepFailed(Exception):
    """Raised by a step after it has logged its error lines."""


def _named(namedlist) -> dict:
    out = {}
    for key in namedlist.keys():
        value = getattr(namedlist, key)
        out[key] = [str(v) for v in value] if isinstance(value, list) else value
    return out


def _setup_logging(log_path: str | None) -> None:
    log.handlers.clear()
    log.setLevel(logging.INFO)
    log.propagate = False
    err = logging.StreamHandler(sys.stderr)
    err.setLevel(logging.WARNING)
    err.setFormatter(logging.Formatter("gene-records %(levelname)s: %(message)s"))
    log.addHandler(err)
    if log_path:
        fh = logging.FileHandler(log_path, mode="w", encoding="utf-8")
        fh.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        log.addHandler(fh)


def _convert(func, kwargs: dict) -> dict:
    hints = typing.get_type_hints(func)
    sig = inspect.signature(func)
    out = {}
    for name, value in kwargs.items():
        if name not in sig.parameters:
            raise ConfigError(f"{func.__name__}: unknown argument {name!r}")
        hint = hints.get(name)
        origin = typing.get_origin(hint)
        if origin is list:
            out[name] = list(value) if isinstance(value, (list, tuple)) else [value]
        elif hint is int and not isinstance(value, int):
            out[name] = int(value)
        elif hint is float and not isinstance(value, (int, float)):
            out[name] = float(value)
        elif hint is dict and isinstance(value, str):
            import json

            out[name] = json.loads(value)
        elif isinstance(value, list) and origin is not list and hint is not dict:
            if len(value) != 1:
                raise ConfigError(f"{func.__name__}: argument {name!r} takes one value, got {len(value)}")
            out[name] = value[0]
        else:
            out[name] = value
    return out


def _from_argv(func, argv: list[str]) -> dict:
    if not argv or argv[0] in ("-h", "--help"):
        print(inspect.getdoc(func) or func.__name__)
        print("\narguments:", ", ".join(inspect.signature(func).parameters))
        raise SystemExit(0 if argv else 2)
    kwargs: dict = {}
    for arg in argv:
        if "=" not in arg:
            raise ConfigError(f"expected name=value, got {arg!r}")
        name, value = arg.split("=", 1)
        kwargs.setdefault(name, []).append(value)
    return kwargs


def run(func, smk=None, argv: list[str] | None = None) -> None:
    """Call ``func`` with the rule's (or the command line's) arguments."""
    log_path = None
    try:
        if smk is not None:
            kwargs = {}
            for part in (smk.input, smk.output, smk.params):
                for key, value in _named(part).items():
                    if part is smk.input and key == "code":
                        continue  # library files: inputs only so that code changes rerun the rule
                    if key in kwargs:
                        raise ConfigError(f"rule argument {key!r} is given twice")
                    kwargs[key] = value
            if "threads" in inspect.signature(func).parameters:
                kwargs["threads"] = smk.threads
            log_path = str(smk.log[0]) if len(smk.log) else None
        else:
            kwargs = _from_argv(func, sys.argv[1:] if argv is None else argv)
            log_path = (kwargs.pop("log", [None]) or [None])[0]
        _setup_logging(log_path)
        func(**_convert(func, kwargs))
    except (RecordError, ConfigError) as exc:
        _setup_logging(log_path) if not log.handlers else None
        log.error(str(exc))
        raise SystemExit(1) from None
    except StepFailed:
        raise SystemExit(1) from None
