"""The one error type that the parsers and steps raise on bad input."""

from __future__ import annotations

from .paths import display


class RecordError(Exception):
    """A problem with one input file, reported as a single line.

    ``path`` names the file, ``where`` the place in it (``line 12``,
    ``field 'tfs', entry 3``, ``byte 40``) and ``problem`` what is wrong.
    """

    def __init__(self, path: str, where: str, problem: str):
        self.path = str(path)
        self.where = where
        self.problem = " ".join(str(problem).split())
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = f": {self.where}" if self.where else ""
        # the path in its one-line form (gene_records.paths): a file name
        # with a tab or a line break cannot split the message
        return f"{display(self.path)}{where}: {self.problem}"


class ConfigError(Exception):
    """A problem with the configuration or the set of inputs as a whole."""
