"""The inputs of the interactions step, read into common rows: pages, per-protein downloads, whole-organism tables.

A common row has the columns of ``results/tables/interactions.tsv``
(:mod:`.columns`) with a single origin; the merge (:mod:`.merge`) sorts and
merges them. Inputs and what they mean (TF regulates target):

* a TFLink page (record ``tflink-<ACC>``): each ``tfs`` entry is a TF of the
  page's protein, each ``targets`` entry a target of it. Origin
  ``page:tflink-<ACC>``.
* a per-protein download ``[TFLink_]tfs_of_<ACC>.tsv`` (the TFs of ``ACC``)
  or ``[TFLink_]targets_of_<ACC>.tsv`` (its targets); the protein itself is
  implied. Origin ``download:<file name>``.
* a whole-organism table (15 columns, :data:`TABLE_COLUMNS`), read in byte
  ranges by several processes. Origin ``table:<file name>``.

The two input formats (:data:`TABLE_COLUMNS`, :data:`DOWNLOAD_COLUMNS`) are
TFLink's, declared here once; they are inputs, so not in :mod:`gene_records.tables`.
A bad header rejects a file, a bad row the row (:class:`.rejects.Rejects`).
"""

from __future__ import annotations

import logging
import os
import re
from typing import Iterable, Iterator

from ..errors import ConfigError, RecordError
from .normalise import CACHE_LIMIT, BadValue, Normaliser, TableNormaliser, norm_list, pubmed_bytes

log = logging.getLogger("gene_records")

# The whole-organism table (``TFLink_<Organism>_interactions_All_simpleFormat_v1.0.tsv``).
TABLE_COLUMNS = (
    "UniprotID.TF",
    "UniprotID.Target",
    "NCBI.GeneID.TF",
    "NCBI.GeneID.Target",
    "Name.TF",
    "Name.Target",
    "Detection.method",
    "PubmedID",
    "Organism",
    "Source.database",
    "Small-scale.evidence",
    "TF.TFLink.ortho",
    "TF.nonTFLink.ortho",
    "Target.TFLink.ortho",
    "Target.nonTFLink.ortho",
)
# The per-protein downloads: the other protein's columns, then the evidence.
_DOWNLOAD_TAIL = ("Detection.method", "PubmedID", "Organism", "Source.database", "Small-scale.evidence")
DOWNLOAD_COLUMNS = {
    "tfs": ("UniprotID.TF", "NCBI.GeneID.TF", "Name.TF") + _DOWNLOAD_TAIL,
    "targets": ("UniprotID.Target", "NCBI.GeneID.Target", "Name.Target") + _DOWNLOAD_TAIL,
}
DOWNLOAD_RE = re.compile(r"^(?:TFLink_)?(tfs|targets)_of_(.+)\.tsv$")
# What :func:`read_download` keeps of a row: the other protein, then the evidence.
DOWNLOAD_OTHER_COLUMNS = ("uniprot", "ncbi_gene_id", "name") + _DOWNLOAD_TAIL

# No real row is anywhere near this long; a longer "line" is a broken file,
# and stopping there keeps memory bounded.
MAX_LINE_BYTES = 1 << 20
# A plain table at least this large is normalised by several processes at once.
MIN_RANGE_BYTES = 64 << 20


class LineTooLong(ValueError):
    """A line longer than :data:`MAX_LINE_BYTES` (a broken or hostile file)."""


def common_line(fields: Iterable[str]) -> str:
    return "\t".join(fields) + "\n"


# --------------------------------------------------------------- pages and downloads


def find_downloads(folders: Iterable[str]) -> list[str]:
    """The per-protein download files under ``folders`` in look-up order.

    Folders are searched recursively (hidden files and folders skipped) for
    ``[TFLink_]tfs_of_<ACC>.tsv`` and ``[TFLink_]targets_of_<ACC>.tsv``;
    the list is in folder order, then path order. A folder that does not
    exist is a configuration error.
    """
    out: list[str] = []
    for folder in folders:
        folder = os.path.normpath(str(folder))
        if not os.path.isdir(folder):
            raise ConfigError(f"tflink_downloads: {folder!r} is not a folder")
        found = []
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in files:
                if not name.startswith(".") and DOWNLOAD_RE.match(name):
                    found.append(os.path.join(root, name))
        out.extend(sorted(found))
    return out


def other_generation(name: str) -> str:
    """``TFLink_tfs_of_X.tsv`` <-> ``tfs_of_X.tsv``."""
    return name[len("TFLink_") :] if name.startswith("TFLink_") else "TFLink_" + name


def page_lines(rec: dict, norm: Normaliser, rejects) -> Iterator[str]:
    """Common rows of one TFLink page's ``tfs`` and ``targets`` entries; a bad entry goes to
    ``rejects.add(path, where, scope, reason)`` (a :class:`.rejects.Rejects` or any collector)."""
    acc = rec["uniprot_accession"]
    origin = f"page:{rec['record_id']}"
    path = rec.get("source_file", rec["record_id"])
    own_ncbi = norm.ids[rec.get("ncbi_gene_id", "") or ""]
    own_name = norm.name[rec.get("name", "") or ""]
    organism = norm.text[rec.get("organism", "") or ""]
    for field in ("tfs", "targets"):
        for i, e in enumerate(rec.get(field) or [], start=1):
            try:
                other = norm.acc[str(e.get("uniprot", ""))]
                evidence = norm.evidence[str(e.get("small_scale_evidence", ""))]
                pubmed = norm.pubmed[";".join(e.get("pubmed_ids") or [])]
            except BadValue as exc:
                rejects.add(path, f"field '{field}', entry {i}", "row", str(exc))
                continue
            o_ncbi = norm.ids[";".join(e.get("ncbi_gene_ids") or [])]
            o_name = norm.name[str(e.get("name", ""))]
            methods = norm_list(";".join(e.get("detection_methods") or []))
            sources = norm_list(";".join(e.get("source_databases") or []))
            if field == "tfs":  # the entry regulates the page's protein
                row = (other, acc, o_ncbi, own_ncbi, o_name, own_name)
            else:
                row = (acc, other, own_ncbi, o_ncbi, own_name, o_name)
            yield common_line(row + (methods, pubmed, organism, sources, evidence, origin))


def _read_lines(path: str, fh) -> Iterator[tuple[int, bytes]]:
    """Numbered raw lines; a corrupt gzip stream or an overlong line is a :class:`RecordError`."""
    n = 0
    try:
        while True:
            line = fh.readline(MAX_LINE_BYTES + 1)
            if not line:
                return
            n += 1
            if len(line) > MAX_LINE_BYTES:
                raise RecordError(
                    path, f"line {n}", f"a line longer than {MAX_LINE_BYTES} bytes: not a TFLink download"
                )
            yield n, line
    except (OSError, EOFError) as exc:  # BadGzipFile, truncated stream
        raise RecordError(path, f"line {n + 1}", f"cannot read the file ({exc})") from None


def _open_binary(path: str):
    import gzip

    try:
        with open(path, "rb") as fh:
            magic = fh.read(2)
        if magic == b"\x1f\x8b":
            return gzip.open(path, "rb")
        return open(path, "rb", buffering=1 << 20)
    except OSError as exc:
        raise RecordError(path, "", f"cannot read file ({exc.strerror or exc})") from None


def _header_problem(path: str, line: bytes, expected: tuple[str, ...]) -> str | None:
    """``None`` when the header is the expected one, else the problem."""
    text = line.decode("utf-8", "replace").lstrip("\ufeff").rstrip("\r\n")
    got = text.split("\t")
    if tuple(got) == expected:
        return None
    if any(g.startswith('"') or g.endswith('"') for g in got):
        return "quoted header fields; expected plain tab-separated columns: " + ", ".join(expected)
    missing = [c for c in expected if c not in got]
    extra = [c for c in got if c not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing column(s) " + ", ".join(missing))
        if extra:
            parts.append("unexpected column(s) " + ", ".join(g[:40] for g in extra))
        return "; ".join(parts) + f" (expected {len(expected)} columns: " + ", ".join(expected) + ")"
    return "columns in a different order: " + ", ".join(got) + " (expected " + ", ".join(expected) + ")"


def _split_row(line: bytes, n_cols: int) -> list[str]:
    """Fields of one data line, or :class:`BadValue`."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadValue(f"not valid UTF-8 (byte 0x{line[exc.start]:02x} at column {exc.start + 1})") from None
    fields = text.rstrip("\r\n").split("\t")
    if len(fields) != n_cols:
        raise BadValue(f"expected {n_cols} tab-separated fields, found {len(fields)}")
    for f in fields:
        if len(f) > 1 and f[0] == '"' and f[-1] == '"':
            raise BadValue(f"quoted field {f[:40]}; fields are plain text, never quoted")
    return fields


def read_download(path: str, norm: Normaliser) -> tuple[list[tuple[str, ...]], list[tuple[str, str, str, str]]]:
    """The rows of one per-protein download, whichever protein and list (``tfs``/``targets``) it is read for.

    Returns (rows, notes). A row is the other protein's columns
    (:data:`DOWNLOAD_OTHER_COLUMNS`: accession, NCBI ids, name, then methods,
    PubMed ids, organism, sources, evidence), normalised. A note is (kind,
    where, scope, reason) in line order: ``scope`` is ``file`` (the file is
    rejected: empty, or a header that is not the one of ``kind``, ``tfs`` or
    ``targets``; kind is empty when the problem is the same for both),
    ``row`` (a bad row) or ``error`` (the file cannot be read on: a corrupt
    gzip stream, an overlong line; an error whatever ``on_bad_record``).
    Rows are read when the header is one of the two kinds'. A file that
    cannot be opened raises :class:`RecordError`.
    """
    rows: list[tuple[str, ...]] = []
    notes: list[tuple[str, str, str, str]] = []
    fh = _open_binary(path)
    with fh:
        lines = _read_lines(path, fh)
        try:
            first = next(lines, None)
            if first is None:
                notes.append(("", "line 1", "file", "empty file: no header"))
                return rows, notes
            bad = 0
            for kind, expected in DOWNLOAD_COLUMNS.items():
                problem = _header_problem(path, first[1], expected)
                if problem:
                    notes.append((kind, "line 1", "file", "not a TFLink download header: " + problem))
                    bad += 1
            if bad == len(DOWNLOAD_COLUMNS):
                return rows, notes
            for n, line in lines:
                if not line.strip():
                    continue
                try:
                    f = _split_row(line, 8)
                    other = norm.acc[f[0]]
                    pubmed = norm.pubmed[f[4]]
                    evidence = norm.evidence[f[7]]
                except BadValue as exc:
                    notes.append(("", f"line {n}", "row", str(exc)))
                    continue
                rows.append(
                    (
                        other,
                        norm.ids[f[1]],
                        norm.name[f[2]],
                        norm.list_any[f[3]],
                        pubmed,
                        norm.text[f[5]],
                        norm.list_any[f[6]],
                        evidence,
                    )
                )
        except RecordError as exc:  # cannot be read on (a content problem: kept, like the others)
            notes.append(("", exc.where, "error", exc.problem))
    return rows, notes


def download_line(kind: str, protein: str, own: tuple[str, str], row: tuple[str, ...], origin: str) -> str:
    """The common row of one download row read as the ``kind`` list of ``protein``.

    ``own`` is the (NCBI ids, name) of ``protein`` from its page (empty when
    there is none); ``row`` a row of :func:`read_download`.
    """
    other, o_ncbi, o_name = row[:3]
    own_ncbi, own_name = own
    if kind == "tfs":  # the row's protein regulates ``protein``
        head = (other, protein, o_ncbi, own_ncbi, o_name, own_name)
    else:
        head = (protein, other, own_ncbi, o_ncbi, own_name, o_name)
    return common_line(head + row[3:] + (origin,))


# --------------------------------------------------------------- whole-organism tables


def table_header(path: str) -> tuple[int | None, tuple[str, str, str] | None]:
    """Check a table's header: (byte offset of its first data row, ``None``) when it is good, else
    (``None``, a note (where, scope, reason)): scope ``file`` rejects the table (empty file, a
    header that is not TFLink's), ``error`` stops the step whatever ``on_bad_record`` (the
    first line cannot be read). A file that cannot be opened raises :class:`RecordError`."""
    fh = _open_binary(path)
    with fh:
        try:
            first = fh.readline(MAX_LINE_BYTES + 1)
        except (OSError, EOFError) as exc:
            return None, ("line 1", "error", f"cannot read the file ({exc})")
    if not first:
        return None, ("line 1", "file", "empty file: no header")
    if len(first) > MAX_LINE_BYTES:
        return None, ("line 1", "file", f"a line longer than {MAX_LINE_BYTES} bytes: not a TFLink table")
    problem = _header_problem(path, first, TABLE_COLUMNS)
    if problem:
        return None, ("line 1", "file", "not a TFLink interaction table header: " + problem)
    return len(first), None


def table_ranges(path: str, data_start: int, parts: int, min_bytes: int | None = None) -> list[tuple[int, int | None]]:
    """Split a plain table's data rows into ``parts`` byte ranges cut at line ends.

    A gzipped table, or one under ``min_bytes`` (default
    :data:`MIN_RANGE_BYTES`), is one range, ``(data_start, None)``.
    """
    if min_bytes is None:
        min_bytes = MIN_RANGE_BYTES
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
        size = os.fstat(fh.fileno()).st_size
        if gz or parts <= 1 or size - data_start < min_bytes:
            return [(data_start, None)]
        cuts = [data_start]
        for k in range(1, parts):
            fh.seek(max(cuts[-1], data_start + (size - data_start) * k // parts))
            fh.readline()
            pos = fh.tell()
            if pos >= size:
                break
            if pos > cuts[-1]:
                cuts.append(pos)
    bounds = cuts + [size]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a] or [(data_start, None)]


def normalise_table_range(
    path: str, start: int, end: int | None, out_path: str, rejects_path: str, fail: bool, origin_code: bytes
) -> tuple[int, int, tuple[int, str, str] | None]:
    """Normalise the data rows of ``path`` in bytes ``[start, end)`` into common lines in ``out_path``.

    ``origin_code`` stands for the table's origin in the sorted lines (short:
    sorting ~50 bytes less per row is ~1/3 less to sort);
    :func:`.merge.merge_sorted` writes the origin. Returns (rows written, lines
    read, first error or ``None``); an error is
    (line, problem, ``row`` or ``file``: the file cannot be read on). Line
    numbers in the error and in ``rejects_path`` (``line<TAB>reason`` rows)
    count from the start of the range (1 = its first line). With ``fail``
    the range stops at the first bad row. The hot loop of the step (millions of rows):
    bytes only, one split per row, fast paths for values that are canonical
    as they are and memos (:class:`.normalise.TableNormaliser`) for the others.
    """
    origin = origin_code
    norm = TableNormaliser()
    acc, ids, name = norm.acc, norm.ids, norm.name
    methods, pubmed, text, sources, evidence = norm.methods, norm.pubmed, norm.text, norm.sources, norm.evidence
    # PubMed cells are mostly distinct: a miss costs one pubmed_bytes, and the memo keeps the
    # first CACHE_LIMIT values (never emptied: no churn when nearly every cell misses).
    pubmed_get = pubmed.get
    join = b"\t".join
    n_rows = n = 0
    buf: list[bytes] = []
    append = buf.append
    error = None
    fh = _open_binary(path)
    with fh, open(out_path, "wb") as out, open(rejects_path, "w", encoding="utf-8") as rej:
        try:
            for block in line_blocks(fh, start, end):
                for line in block:
                    n += 1
                    try:
                        if line.count(b"\t") != 14 or b'"' in line:
                            if not line.strip():
                                continue
                            _split_row(line, 15)  # says what is wrong, or accepts a legitimate '"'
                        t, g, i, j, p, q, m, u, o, s, e, _ = line.split(b"\t", 11)
                        # Values canonical as they are skip the memos: alphanumeric
                        # accessions of UniProt length (plain identifiers), single
                        # numeric NCBI ids, alphanumeric names.
                        if not (t.isalnum() and 5 < len(t) < 65):
                            t = acc[t]
                        if not (g.isalnum() and 5 < len(g) < 65):
                            g = acc[g]
                        if not i.isdigit():
                            i = ids[i]
                        if not j.isdigit():
                            j = ids[j]
                        if not p.isalnum():
                            p = name[p]
                        if not q.isalnum():
                            q = name[q]
                        try:
                            v = pubmed_get(u)
                            if v is None:
                                v = pubmed_bytes(u)
                                if len(pubmed) < CACHE_LIMIT:
                                    pubmed[u] = v
                            append(join((t, g, i, j, p, q, methods[m], v, text[o], sources[s], evidence[e], origin)))
                        except BadValue:
                            raise BadValue(norm.mid_error(join((m, u, o, s, e)))) from None
                    except BadValue as exc:
                        if fail:
                            error = (n, str(exc), "row")
                            break
                        rej.write(f"{n}\t{exc}\n")
                if error:
                    break
                if buf:
                    out.write(join_lines(buf))
                n_rows += len(buf)
                buf.clear()
                if n // 1_000_000 != (n - len(block)) // 1_000_000:
                    log.info("%s: %d lines of the range from byte %d read", os.path.basename(path), n, start)
        except (OSError, EOFError) as exc:  # a corrupt or truncated gzip stream
            error = (n + 1, f"cannot read the file ({exc})", "file")
        except LineTooLong as exc:
            error = (n + 1, str(exc), "file")
        if buf:
            out.write(join_lines(buf))
        n_rows += len(buf)
    return n_rows, n, error


def join_lines(lines: list[bytes]) -> bytes:
    """Lines without their line ends as one block, each ending in ``\\n``."""
    return b"\n".join(lines) + b"\n"


# --------------------------------------------------------------- lines


def line_blocks(fh, start: int | None, end: int | None, block: int = 8 << 20) -> Iterator[list[bytes]]:
    """The lines (without their ``\\n``) of bytes ``[start, end)`` of ``fh``, a list per block read.

    ``start=None`` reads from where ``fh`` is (a pipe).
    Raises :class:`LineTooLong` (after the lines before it) at a line over
    :data:`MAX_LINE_BYTES`.
    """
    if start is not None:
        fh.seek(start)
    pos = start or 0
    carry = b""
    while end is None or pos < end:
        data = fh.read(block if end is None else min(block, end - pos))
        if not data:
            break
        pos += len(data)
        if carry:
            data = carry + data
        cut = data.rfind(b"\n") + 1
        carry = data[cut:]
        if cut:
            lines = data[: cut - 1].split(b"\n")
            if max(map(len, lines)) > MAX_LINE_BYTES:
                keep = next(i for i, ln in enumerate(lines) if len(ln) > MAX_LINE_BYTES)
                if keep:
                    yield lines[:keep]
                raise LineTooLong(f"a line longer than {MAX_LINE_BYTES} bytes: not a table of interactions")
            yield lines
        if len(carry) > MAX_LINE_BYTES:
            raise LineTooLong(f"a line longer than {MAX_LINE_BYTES} bytes: not a table of interactions")
    if carry:
        yield [carry]
