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

import contextlib
import errno
import gc
import inspect
import json
import logging
import os
import sys
import typing

from .errors import ConfigError, RecordError
from .paths import display

log = logging.getLogger("gene_records")

# The cyclic garbage collector's thresholds while a step runs. A step builds
# hundreds of thousands of small objects that live until it ends (decoded
# records, rows); at Python's default (700 allocations) every one of them is
# scanned again and again by collections that find no cycle to free. With
# these, one 1,234-record batch of the 20,000-record benchmark was tabulated
# in 2.3 s instead of 4.7 s (parsed in 2.6 s instead of 3.4 s). Reference
# counting still frees everything that is not a cycle, and cycles are still
# collected, less often: the whole 20,000-record run peaked at 348 MB (one
# process), against 368 MB before.
STEP_GC_THRESHOLDS = (50_000, 20, 100)


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
        if origin is not list and isinstance(value, list):
            if len(value) != 1:
                raise ConfigError(f"{func.__name__}: argument {name!r} takes one value, got {len(value)}")
            value = value[0]
        try:
            if origin is list:
                out[name] = list(value) if isinstance(value, (list, tuple)) else [value]
            elif hint is int and not isinstance(value, int):
                out[name] = int(value)
            elif hint is float and not isinstance(value, (int, float)):
                out[name] = float(value)
            elif hint is dict and isinstance(value, str):
                out[name] = json.loads(value)
            else:
                out[name] = value
        except ValueError:
            raise ConfigError(f"{func.__name__}: argument {name!r}: {value!r} is not a valid {hint}") from None
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


def _record_call(func, kwargs: dict) -> None:
    """With GENE_RECORDS_RECORD_CALLS=FILE set, append this step call to FILE
    (one JSON line), so that benchmarks/scale.py can replay the very same
    library calls in one process without Snakemake."""
    target = os.environ.get("GENE_RECORDS_RECORD_CALLS")
    if target:
        line = json.dumps({"module": func.__module__, "func": func.__name__, "kwargs": kwargs, "cwd": os.getcwd()})
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def replay_calls(path: str) -> int:
    """Run the step calls recorded in ``path`` in this process, in their order."""
    import importlib

    n = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            call = json.loads(line)
            func = getattr(importlib.import_module(call["module"]), call["func"])
            func(**call["kwargs"])
            n += 1
    return n


@contextlib.contextmanager
def _step_gc():
    """:data:`STEP_GC_THRESHOLDS` while a step runs, and what was there before
    kept out of the collector's scans (``gc.freeze``); both undone after (a
    test may call many steps in one process; ``gc.unfreeze`` also releases
    what a caller froze before, which no step process does)."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*STEP_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


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
            remove_stale_temporaries([str(o) for o in smk.output], func.__name__)
        else:
            kwargs = _from_argv(func, sys.argv[1:] if argv is None else argv)
            log_path = (kwargs.pop("log", [None]) or [None])[0]
        _setup_logging(log_path)
        kwargs = _convert(func, kwargs)
        _record_call(func, kwargs)
        with _step_gc():
            func(**kwargs)
    except (RecordError, ConfigError) as exc:
        _setup_logging(log_path) if not log.handlers else None
        log.error(str(exc))
        raise SystemExit(1) from None
    except StepFailed:
        raise SystemExit(1) from None
    except OSError as exc:
        # a full disk, a file that vanished or cannot be opened: one line
        # naming the file (or, for a write that does not know its file, the
        # step's outputs), never a traceback
        _setup_logging(log_path) if not log.handlers else None
        log.error(os_error_line(exc, kwargs if "kwargs" in locals() else {}, smk))
        raise SystemExit(1) from None


def remove_stale_temporaries(outputs: list[str], step: str) -> int:
    """Remove what a killed earlier run of this job left next to its outputs:
    ``.<output name>.*.tmp`` (:class:`gene_records.io.AtomicWriter`) and
    ``.<step>-*`` work folders (e.g. ``.split_interactions-*``). Only SIGKILL
    or a power cut leaves them (a failing step removes its own); they are
    never taken for outputs (hidden names), but would pile up. The names
    belong to this job alone, so a job running beside it is not touched."""
    import shutil

    removed = 0
    for out in outputs:
        folder = os.path.dirname(out) or "."
        base = os.path.basename(out.rstrip("/"))
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            own_tmp = name.startswith(f".{base}.") and name.endswith(".tmp")
            if own_tmp or name.startswith(f".{step}-"):
                path = os.path.join(folder, name)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    try:
                        os.unlink(path)
                    except OSError:
                        continue
                removed += 1
    return removed


def os_error_line(exc: OSError, kwargs: dict, smk=None) -> str:
    """One line for an ``OSError`` of a step: ``<file>: <problem>``."""
    problem = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        problem += " (free some space and run again: no partial output was left)"
    names = [exc.filename, exc.filename2]
    names = [display(os.fsdecode(n) if isinstance(n, bytes) else str(n)) for n in names if n is not None]
    if names:
        return f"{' -> '.join(names)}: {problem}"
    if smk is not None:
        outputs = [str(o) for o in smk.output]
    else:
        outputs = [str(v) for v in kwargs.values() if isinstance(v, str) and os.sep in v]
    shown = ", ".join(display(o) for o in outputs[:5]) + (f" and {len(outputs) - 5} more" if len(outputs) > 5 else "")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):  # only writes raise these
        return f"writing {shown or 'the outputs'}: {problem}"
    return f"{shown or 'the step'} (the step's outputs): {problem}"
