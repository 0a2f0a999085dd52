"""Rejected interaction inputs: stop at the first (``on_bad_record: fail``) or list them all (``skip``)."""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Iterator

from ..errors import ConfigError, RecordError
from ..io import format_cell

log = logging.getLogger("gene_records")


class Rejects:
    """Rejected inputs: with ``on_bad_record=fail`` the first one stops the step.

    Rejects of pages and downloads (few) are kept and sorted; rejected rows
    of whole-organism tables (possibly millions) go to ``spool``, a file,
    in table order and line order. The log gets the first
    :attr:`LOG_LIMIT` per file and a count of the rest. :meth:`rows` gives
    the rows of ``rejected_interactions.tsv`` (``tables.REJECTED_INTERACTIONS``).
    """

    LOG_LIMIT = 20

    def __init__(self, on_bad_record: str, spool: str | None = None):
        if on_bad_record not in ("fail", "skip"):
            raise ConfigError(f"on_bad_record must be 'fail' or 'skip', not {on_bad_record!r}")
        self.fail = on_bad_record == "fail"
        self.small: list[tuple[str, str, str, str]] = []
        self.spool_path = spool
        self._spool = open(spool, "w", encoding="utf-8") if spool else None
        self.per_file: Counter = Counter()
        self.n_files = 0
        self.n_rows = 0

    def add(self, path: str, where: str, scope: str, reason: str, table: bool = False) -> None:
        if self.fail:
            raise RecordError(path, where, reason)
        self.per_file[path] += 1
        if self.per_file[path] <= self.LOG_LIMIT:
            log.warning("%s: %s: %s (%s skipped)", path, where, reason, scope)
        if scope == "file":
            self.n_files += 1
        else:
            self.n_rows += 1
        row = (format_cell(path), where, scope, format_cell(reason))
        if table and self._spool is not None:
            self._spool.write("\t".join(row) + "\n")
        else:
            self.small.append(row)

    def rows(self) -> Iterator[tuple[str, ...]]:
        """Pages and downloads sorted by file and place, then the tables' rows in order."""
        for path, n in sorted(self.per_file.items()):
            if n > self.LOG_LIMIT:
                log.warning("%s: %d more rejected (see the rejected table)", path, n - self.LOG_LIMIT)
        yield from sorted(self.small, key=lambda r: (r[0], _natural(r[1]), r[2], r[3]))
        if self._spool is not None:
            self._spool.close()
            with open(self.spool_path, encoding="utf-8") as fh:
                for line in fh:
                    yield tuple(line.rstrip("\n").split("\t"))

    def close(self) -> None:
        if self._spool is not None and not self._spool.closed:
            self._spool.close()


def _natural(text: str) -> tuple:
    """``line 10`` after ``line 9``: digit runs compare as numbers."""
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text))
