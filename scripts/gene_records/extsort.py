"""External sorting of large line streams with GNU sort.

Tables of millions of rows are never held in memory: a step feeds its lines
to a ``sort`` subprocess (an argument list, never a shell; ``LC_ALL=C`` so that
the order is plain byte order on every machine; a memory buffer of
``buffer_mb``; ``threads`` sorting threads; temporary files in a folder the
step owns) and reads the sorted lines back as a stream.

Lines are sorted whole, in byte order. For TSV lines whose leading key
fields are plain identifiers (no byte below TAB in them, which
:func:`gene_records.ids.safe_id` guarantees) this is the same order as sorting
on those fields one after another (``-t TAB -k1,1 -k2,2 ...``), and faster:
no field parsing per comparison.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from typing import Iterator

from .errors import ConfigError

_SORT_CHECKED: dict[str, bool] = {}


def sort_executable() -> str:
    """The path of GNU sort, or a :class:`ConfigError` saying it is missing."""
    exe = shutil.which("sort")
    if exe is None:
        raise ConfigError("GNU sort (coreutils) is needed to sort large interaction tables but 'sort' is not on PATH")
    if exe not in _SORT_CHECKED:
        try:
            out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False).stdout
        except OSError:
            out = ""
        _SORT_CHECKED[exe] = "GNU coreutils" in out
    if not _SORT_CHECKED[exe]:
        raise ConfigError(
            f"{exe} is not GNU sort (coreutils); install coreutils (conda: coreutils, macOS: brew install coreutils)"
        )
    return exe


def sort_command(buffer_mb: int, threads: int, tmpdir: str) -> list[str]:
    return [
        sort_executable(),
        f"--buffer-size={max(16, int(buffer_mb))}M",
        f"--parallel={max(1, int(threads))}",
        f"--temporary-directory={tmpdir}",
    ]


class ExternalSort:
    """Feed bytes lines with :meth:`write`, then iterate :meth:`sorted_lines`.

    Use as a context manager: on an error the sort process is killed and its
    temporary folder (created inside ``workdir``) removed.
    """

    def __init__(
        self,
        workdir: str,
        buffer_mb: int = 1024,
        threads: int = 1,
        files: list[str] | None = None,
        keys: list[str] | None = None,
    ):
        """Start sorting; with ``files`` sort reads them (faster than a pipe, and
        at once, in its own process) and :meth:`write` is not used. ``keys``
        are sort options such as ``["-t", "\\t", "-k2,2", "-k1,1"]`` (default:
        whole lines)."""
        os.makedirs(workdir, exist_ok=True)
        self.tmpdir = tempfile.mkdtemp(dir=workdir, prefix=".sort-")
        self._err = open(os.path.join(self.tmpdir, "sort.stderr"), "w+b")
        env = {**os.environ, "LC_ALL": "C"}
        env.pop("LANG", None)
        env.pop("LANGUAGE", None)
        cmd = sort_command(buffer_mb, threads, self.tmpdir) + list(keys or [])
        if files is not None:
            # "--files0-from" would be needed past the argument-length limit;
            # the steps pass a handful of files.
            cmd += ["--", *files]
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE if files is None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._err,
            env=env,
            bufsize=1 << 20,
        )
        self.lines_in = 0

    def write(self, data: bytes) -> None:
        """Write one or more complete lines (each ending in ``\\n``)."""
        try:
            self.proc.stdin.write(data)
        except BrokenPipeError:
            self._fail()

    def output(self):
        """Close the input; return sort's output, a binary stream of the sorted lines.

        Read it to its end, then call :meth:`wait`.
        """
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                self._fail()
        return self.proc.stdout

    def wait(self) -> None:
        """Check that sort succeeded (after its output was read)."""
        self.proc.stdout.close()
        if self.proc.wait() != 0:
            self._fail()

    def sorted_lines(self) -> Iterator[bytes]:
        """Close the input and yield the sorted lines (each with its ``\\n``)."""
        yield from self.output()
        self.wait()

    def _fail(self):
        self.proc.kill()
        self.proc.wait()
        self._err.seek(0)
        msg = self._err.read().decode("utf-8", "replace").strip().splitlines()
        raise ConfigError(f"sort failed (exit {self.proc.returncode}): {msg[-1] if msg else 'no message'}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream and not stream.closed:
                    stream.close()
            except OSError:
                pass
        self._err.close()
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()
        return False
