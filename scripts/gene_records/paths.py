"""File names as data: the one reversible text form of a path in every table.

A Linux file name may hold any byte but ``/`` and NUL: tabs, line breaks,
quotes, backslashes, bytes that are not UTF-8. Tables (``source_file`` in
records.tsv, rejected_records.tsv, the JSON records, the provenance manifest)
hold a path in this form, which is one TSV cell whatever the name:

* the path's bytes (``os.fsencode``) are kept as they are, except that
* ``%``, the C0 control bytes (0x00-0x1F, including tab, CR and LF), DEL
  (0x7F), the C1 controls (U+0080-U+009F), U+2028 and U+2029 (line breaks for
  some readers) and every byte that is not part of valid UTF-8 are written as
  ``%XX`` (two upper-case hex digits, as in URLs), and
* a first character that a spreadsheet would take for a formula, or a quote
  (``= + - @ ' "``), is written as ``%XX`` too, so the TSV writer never changes
  the cell.

Ordinary names (``resources/records/geisha/sos2.md``, ``Dmel\\CG8478.md``, any
valid UTF-8 without control characters) are unchanged. :func:`decode_path`
turns the form back into the exact path (``urllib.parse.unquote_to_bytes``
then ``os.fsdecode``); every step that goes from a table row back to a file
uses it.
"""

from __future__ import annotations

import os
import re

_FIRST = frozenset(b"=+-@'\"")
_LINE_BREAKS = ("\u2028", "\u2029")
_HEX = b"0123456789ABCDEF"


def _pct(out: bytearray, byte: int) -> None:
    out += b"%" + _HEX[byte >> 4 : (byte >> 4) + 1] + _HEX[byte & 15 : (byte & 15) + 1]


def encode_bytes(name: bytes) -> str:
    """The table form of a path given as bytes."""
    out = bytearray()
    i, n = 0, len(name)
    while i < n:
        b = name[i]
        if b < 0x80:
            if b < 0x20 or b == 0x7F or b == 0x25 or (i == 0 and b in _FIRST):
                _pct(out, b)
            else:
                out.append(b)
            i += 1
            continue
        # a multi-byte UTF-8 sequence: keep it when valid and printable
        length = 2 if 0xC2 <= b <= 0xDF else 3 if 0xE0 <= b <= 0xEF else 4 if 0xF0 <= b <= 0xF4 else 0
        chunk = name[i : i + length] if length else b""
        try:
            ch = chunk.decode("utf-8") if len(chunk) == length and length else None
        except UnicodeDecodeError:
            ch = None
        if ch is None or "\x80" <= ch <= "\x9f" or ch in _LINE_BREAKS:
            _pct(out, b)
            i += 1
            continue
        out += chunk
        i += length
    return out.decode("utf-8")


# What encode_bytes would change in a str path (surrogates: bytes that are not UTF-8).
_UNSAFE = re.compile("[\x00-\x1f\x7f%\x80-\x9f\u2028\u2029\ud800-\udfff]")


def encode_path(path: str | bytes | os.PathLike) -> str:
    """The table form of ``path`` (a str from the file system, possibly with
    surrogate escapes for bytes that are not UTF-8, or bytes)."""
    if type(path) is str and path and path[0] not in "=+-@'\"" and not _UNSAFE.search(path):
        return path  # an ordinary name: unchanged (the common case, 150,000 times per plan)
    return encode_bytes(os.fsencode(path))


_PCT = re.compile(rb"%([0-9A-Fa-f]{2})")


def decode_bytes(text: str) -> bytes:
    """The path bytes of a table form (inverse of :func:`encode_bytes`)."""
    return _PCT.sub(lambda m: bytes([int(m.group(1), 16)]), text.encode("utf-8", "surrogateescape"))


def decode_path(text: str) -> str:
    """The path (a str for ``open``/``os.stat``) of a table form."""
    return os.fsdecode(decode_bytes(text))


def display(path) -> str:
    """``path`` for a one-line message: characters that could break the line
    (controls, line breaks) and bytes that are not UTF-8 as ``%XX``, the rest
    as given. A path already in table form is unchanged (it holds none)."""
    text = os.fsdecode(path) if isinstance(path, bytes) else str(path)
    if text.isprintable() and text.isascii():
        return text
    out = []
    for ch in text:
        if ch < " " or "\x7f" <= ch <= "\x9f" or ch in _LINE_BREAKS or "\udc80" <= ch <= "\udcff":
            out.append(encode_bytes(os.fsencode(ch)) if ch != "%" else ch)
        else:
            out.append(ch)
    return "".join(out)
