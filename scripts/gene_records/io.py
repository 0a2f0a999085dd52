"""Reading raw files safely and writing outputs deterministically and atomically."""

from __future__ import annotations

import codecs
import errno
import gzip
import hashlib
import io
import math
import os
import stat
import tempfile
import zlib
from typing import Iterable, Sequence

from .errors import RecordError

# A raw record larger than this (after gunzip) is rejected before it is decoded
# or parsed. The largest real record seen is 51 kB (TFLink p20226.md), so the
# default leaves a wide margin while bounding memory (a parse holds a few
# copies of the text: ~10x this).
DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_KIND = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFLNK: "a symbolic link",
}


def file_kind(mode: int) -> str:
    """What a non-regular file is, for messages (``a named pipe (FIFO)``)."""
    return _KIND.get(stat.S_IFMT(mode), "not a regular file")


def open_regular(path: str):
    """Open ``path`` for binary reading without ever blocking: ``O_NONBLOCK``
    (a FIFO opens at once instead of waiting for a writer), then ``fstat`` on
    the open file: anything but a regular file is refused with
    ``OSError(EINVAL)`` whose ``strerror`` says what it is. The check is on
    what was opened, so a file swapped after discovery is caught too."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, f"{file_kind(mode)}, not a regular file", path)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bounded(fh, limit: int) -> bytes:
    """At most ``limit`` bytes from ``fh``, counted as they are read (never
    trusting the size a file claims)."""
    out = []
    total = 0
    while total < limit:
        block = fh.read(min(1 << 20, limit - total))
        if not block:
            break
        out.append(block)
        total += len(block)
    return b"".join(out)


def sha256_file(path: str, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open_regular(path) as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def read_raw(path: str, max_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> tuple[bytes, bytes]:
    """Return ``(raw bytes, content bytes)`` of a record file.

    The content is the raw bytes, gunzipped when they are gzip data.

    Raises :class:`RecordError` for anything but a regular file (opened
    without blocking, see :func:`open_regular`) and for files over
    ``max_bytes``: at most ``max_bytes + 1`` bytes are ever read, whatever the
    file's size claims (a device or a growing file), and decompression stops
    at ``max_bytes + 1`` too, so a gzip bomb stays bounded.
    """
    try:
        with open_regular(path) as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:  # a quick refusal; the bound below does not trust it
                raise RecordError(
                    path, "", f"file is {size} bytes, over the limit of {max_bytes} bytes (max_record_bytes)"
                )
            data = read_bounded(fh, max_bytes + 1)
    except OSError as exc:
        raise RecordError(path, "", f"cannot read file ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise RecordError(
            path, "", f"file is over the limit of {max_bytes} bytes (max_record_bytes) when read"
        )
    if data[:2] == b"\x1f\x8b":
        return data, _gunzip(path, data, max_bytes)
    return data, data


def _gunzip(path: str, data: bytes, max_bytes: int) -> bytes:
    out = []
    total = 0
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        buf = data
        while buf:
            chunk = d.decompress(buf, max_bytes + 1 - total)
            out.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise RecordError(
                    path, "", f"gzip data expands past the limit of {max_bytes} bytes (max_record_bytes)"
                )
            buf = d.unconsumed_tail
            if d.eof:
                break
    except zlib.error as exc:
        raise RecordError(path, "", f"corrupt gzip data ({exc})") from None
    if not d.eof:
        raise RecordError(path, "", "truncated gzip data")
    return b"".join(out)


def decode_text(path: str, data: bytes) -> str:
    """Decode record bytes to text with LF line endings.

    UTF-8 (with or without a BOM) and UTF-16 with a BOM are accepted. Anything
    else (Latin-1, binary data) is rejected with the place of the first bad
    byte: encodings are never guessed.
    """
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise RecordError(path, f"byte {exc.start}", "invalid UTF-16 data") from None
    else:
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8):]
        nul = data.find(b"\x00")
        if nul >= 0:
            line = data.count(b"\n", 0, nul) + 1
            raise RecordError(path, f"line {line}", "binary data (NUL byte), not a text record")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
            raise RecordError(
                path,
                f"line {line}, column {col}",
                f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); re-save the file as UTF-8",
            ) from None
    if "\x00" in text:
        raise RecordError(path, "", "binary data (NUL character), not a text record")
    return text.replace("\r\n", "\n")


def read_record_text(path: str, max_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> tuple[str, str]:
    """Return ``(text, sha256 of the raw file bytes)``."""
    raw, data = read_raw(path, max_bytes)
    return decode_text(path, data), sha256_bytes(raw)


def open_text(path: str):
    """Open a plain or gzipped UTF-8 text file for streaming reads (tables)."""
    fh = open_regular(path)  # never blocks on a FIFO; refuses devices
    try:
        magic = fh.read(2)
        fh.seek(0)
    except BaseException:
        fh.close()
        raise
    if magic == b"\x1f\x8b":
        gz = gzip.GzipFile(fileobj=fh, mode="rb")
        gz.myfileobj = fh  # closed with the GzipFile (as gzip.open(path) does)
        return io.TextIOWrapper(gz, encoding="utf-8", newline="")
    return io.TextIOWrapper(fh, encoding="utf-8", newline="")


# ---------------------------------------------------------------- writing


def format_cell(value) -> str:
    """One TSV cell: deterministic numbers, no tabs or line breaks, no formulas.

    * ``None`` is an empty cell; booleans are ``true``/``false``.
    * floats use the shortest text that reads back to the same number
      (``repr``); whole floats drop the ``.0``; NaN is an empty cell.
    * tabs and line breaks inside text become a space, so that every row is
      one line for ``cut``/``awk``/pandas alike.
    * text that a spreadsheet would run as a formula (starting with ``=``,
      ``+``, ``-`` or ``@`` and not a number) gets a leading ``'``, the
      OWASP-recommended neutralisation.
    """
    # Tables have millions of cells: the exact built-in types take a short
    # path (same results); anything else (subclasses, numpy numbers) the full one.
    kind = type(value)
    if kind is str:
        text = value
    elif kind is float:
        if value != value:
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    elif kind is int:
        return str(value)
    elif value is None:
        return ""
    else:
        return _format_other(value)
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", " ").replace("\r", " ").replace("\n", " ")
    if text.startswith(_FORMULA_START) and not _is_number(text):
        text = "'" + text
    return text


def _format_other(value) -> str:
    if value is None:
        return ""
    kind = getattr(getattr(value, "dtype", None), "kind", "")  # numpy scalars
    if isinstance(value, bool) or kind == "b":
        return "true" if value else "false"
    if isinstance(value, int) or kind in ("i", "u"):
        return str(int(value))
    if isinstance(value, float) or kind == "f":
        value = float(value)  # numpy's repr is "np.float64(2.5)", not "2.5"
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    text = str(value)
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", " ").replace("\r", " ").replace("\n", " ")
    if text.startswith(_FORMULA_START) and not _is_number(text):
        text = "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def tsv_line(cells: Iterable) -> str:
    return "\t".join(map(format_cell, cells)) + "\n"


class AtomicWriter:
    """Write a file through a temporary sibling and rename it into place.

    A killed job never leaves a partial file under the final name.
    """

    def __init__(self, path: str, mode: str = "w"):
        self.path = path
        self.mode = mode
        self._tmp = None
        self.fh = None

    def __enter__(self):
        directory = os.path.dirname(self.path) or "."
        os.makedirs(directory, exist_ok=True)
        fd, self._tmp = tempfile.mkstemp(
            dir=directory, prefix="." + os.path.basename(self.path) + ".", suffix=".tmp"
        )
        if "b" in self.mode:
            self.fh = os.fdopen(fd, self.mode)
        else:
            self.fh = os.fdopen(fd, self.mode, encoding="utf-8", newline="\n")
        return self.fh

    def __exit__(self, exc_type, exc, tb):
        error = exc
        try:
            self.fh.close()  # flushes: a full disk can show here first
        except OSError as close_exc:
            error = error or close_exc
        if error is None:
            try:
                os.chmod(self._tmp, 0o644)
                os.replace(self._tmp, self.path)
                return False
            except OSError as rename_exc:
                error = rename_exc
        try:
            os.unlink(self._tmp)  # never a partial file, under any name
        except OSError:
            pass
        if isinstance(error, OSError) and error.filename is None:
            # a write error (ENOSPC, EIO) names no file: name the output
            raise OSError(error.errno, error.strerror, self.path) from None
        if error is not exc:
            raise error
        return False


def write_tsv(path: str, header: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Write a header and rows atomically; return the number of rows."""
    n = 0
    with AtomicWriter(path) as fh:
        fh.write(tsv_line(header))
        for row in rows:
            fh.write(tsv_line(row))
            n += 1
    return n


def write_text(path: str, text: str) -> None:
    with AtomicWriter(path) as fh:
        fh.write(text)


def write_if_changed(path: str, data: bytes) -> bool:
    """Write ``data`` atomically unless the file already holds exactly it.

    Returns True when the file was (re)written.
    """
    try:
        if os.path.getsize(path) == len(data):
            with open(path, "rb") as fh:
                if fh.read() == data:
                    return False
    except OSError:
        pass
    with AtomicWriter(path, "wb") as fh:
        fh.write(data)
    return True
