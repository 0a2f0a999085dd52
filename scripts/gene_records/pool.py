"""A small process pool for the steps: forked workers, or the jobs run in this process.

The merge normalises byte ranges of whole-organism tables in parallel; the
split writes the per-TF files in a second process while GNU sort orders the
rows by target; provenance hashes half of the files it reads in a second
process. They use the same three calls::

    pool = process_pool(workers)          # None: run the jobs here
    job = submit(pool, func, *args)       # .result() as for a future
    ...
    stop(pool)                            # in ``finally``: on an error, do not wait
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor


def process_pool(workers: int) -> ProcessPoolExecutor | None:
    """A pool of ``workers`` forked processes, or ``None`` (run the jobs in this process).

    Only ``fork`` is used: a spawned child would re-import the Snakemake
    script that started the step. (Imported here: a one-thread run never needs them.)
    """
    import concurrent.futures
    import multiprocessing

    if workers < 1 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))


class Inline:
    """A job run in this process, when its result is asked for (the interface of a future)."""

    def __init__(self, func, *args):
        self.func, self.args = func, args
        self._done = False
        self._result = None

    def result(self):
        if not self._done:
            self._result = self.func(*self.args)
            self._done = True
        return self._result


def submit(pool, func, *args):
    """``func(*args)`` as a job of ``pool``, or an :class:`Inline` job without a pool."""
    return pool.submit(func, *args) if pool is not None else Inline(func, *args)


def stop(pool) -> None:
    """Stop ``pool`` without waiting for its queued jobs; end its running workers.

    For the ``finally`` of a step stopped by an error (after a normal
    ``pool.shutdown()``, pass ``None``): the other jobs' results are no longer
    wanted, and a worker must not outlive the step.
    """
    if pool is None:
        return
    # the executor's own table of its processes (no public API gives them)
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for w in workers:
        if w.is_alive():
            w.terminate()
    for w in workers:
        w.join(10)
