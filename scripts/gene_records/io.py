"""Reading raw files safely and writing outputs deterministically and atomically."""

from __future__ import annotations

import codecs
import gzip
import hashlib
import math
import os
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


def sha256_file(path: str, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def read_raw(path: str, max_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> tuple[bytes, bytes]:
    """Return ``(raw bytes, content bytes)`` of a record file.

    The content is the raw bytes, gunzipped when they are gzip data.

    Raises :class:`RecordError` for files over ``max_bytes`` (checked before
    reading, and while decompressing so that a gzip bomb stays bounded).
    """
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise RecordError(path, "", f"cannot read file ({exc.strerror})") from None
    if size > max_bytes:
        raise RecordError(
            path, "", f"file is {size} bytes, over the limit of {max_bytes} bytes (max_record_bytes)"
        )
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise RecordError(path, "", f"cannot read file ({exc.strerror})") from None
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
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return open(path, "r", encoding="utf-8", newline="")


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
        self.fh.close()
        if exc_type is None:
            os.chmod(self._tmp, 0o644)
            os.replace(self._tmp, self.path)
        else:
            try:
                os.unlink(self._tmp)
            except OSError:
                pass
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
