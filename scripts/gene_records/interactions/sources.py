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
from collections import Counter
from typing import Iterable, Iterator

from ..errors import ConfigError, RecordError
from ..ids import safe_id
from ..records import load_records
from .normalise import BadValue, Normaliser, TableNormaliser, norm_list
from .rejects import Rejects

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


def page_lines(rec: dict, norm: Normaliser, rejects: Rejects) -> Iterator[str]:
    """Common rows of one TFLink page's ``tfs`` and ``targets`` entries."""
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


def write_pages_and_downloads(
    jsonls: list[str], records: str, downloads: list[str], out_path: str, rejects: Rejects, stats: Counter
) -> list[tuple[str, str, str]]:
    """Common rows of every TFLink page and every download into ``out_path``; return the missing downloads.

    A page's download is the first of ``downloads`` (look-up order) named
    as the page names it or under the other generation's name; downloads no
    page names are read too. ``stats`` gets the counts of the summary.
    """
    norm = Normaliser()
    by_name: dict[str, tuple[int, str]] = {}  # file name -> (look-up position, path) of its first copy
    for i, p in enumerate(downloads):
        by_name.setdefault(os.path.basename(p), (i, p))
    own: dict[str, tuple[str, str]] = {}
    planned: dict[tuple[str, str], str] = {}  # (kind, protein) -> path
    missing: list[tuple[str, str, str]] = []
    with open(out_path, "w", encoding="utf-8", newline="\n") as out:
        for rec in load_records(jsonls, records):
            if rec.get("source") != "tflink":
                continue
            stats["pages"] += 1
            acc = rec["uniprot_accession"]
            own[acc] = (norm.ids[rec.get("ncbi_gene_id", "") or ""], norm.name[rec.get("name", "") or ""])
            for line in page_lines(rec, norm, rejects):
                out.write(line)
                stats["page_rows"] += 1
            for field, kind in (("tfs_download", "tfs"), ("targets_download", "targets")):
                name = (rec.get(field) or "").strip()
                if not name:
                    continue
                # The first copy in look-up order under either generation's name.
                found = [f for f in (by_name.get(name), by_name.get(other_generation(name))) if f]
                if not found:
                    missing.append((rec["record_id"], field, name))
                    log.warning(
                        "%s: %s %s not found in tflink_downloads; the page's own rows are used",
                        rec["record_id"],
                        field,
                        name,
                    )
                    continue
                planned.setdefault((kind, acc), min(found)[1])
        # Downloads no page names are read too; of several files for the same
        # list (both name generations, several folders) the first is read.
        used = set(planned.values())
        for p in downloads:
            if p in used:
                continue
            kind, acc = DOWNLOAD_RE.match(os.path.basename(p)).groups()
            if (kind, acc) in planned:
                log.info("%s: not read, %s is read for %s_of_%s", p, planned[(kind, acc)], kind, acc)
                stats["downloads_not_read_duplicates"] += 1
                continue
            if not safe_id(acc):
                rejects.add(
                    p, "file name", "file", f"accession {acc[:60]!r} in the file name is not a plain identifier"
                )
                continue
            planned[(kind, acc)] = p
            stats["downloads_without_page"] += 1
        for (kind, acc), p in sorted(planned.items()):
            stats["downloads"] += 1
            n = 0
            for line in download_lines(p, kind, acc, own.get(acc, ("", "")), norm, rejects):
                out.write(line)
                n += 1
            stats["download_rows"] += n
            if stats["downloads"] % 1000 == 0:
                log.info("%d downloads read", stats["downloads"])
        log.info("%d downloads read (%d rows)", stats["downloads"], stats["download_rows"])
    return sorted(set(missing))


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


def download_lines(
    path: str, kind: str, protein: str, own: tuple[str, str], norm: Normaliser, rejects: Rejects
) -> Iterator[str]:
    """Common rows of one per-protein download (``kind`` ``tfs`` or ``targets`` of ``protein``).

    ``own`` is the (NCBI ids, name) of the implied protein, from its page
    (empty when there is none). A bad header rejects the whole file (nothing
    is yielded); a bad line rejects that line.
    """
    expected = DOWNLOAD_COLUMNS[kind]
    origin = "download:" + os.path.basename(path)
    own_ncbi, own_name = own
    fh = _open_binary(path)
    with fh:
        lines = _read_lines(path, fh)
        first = next(lines, None)
        if first is None:
            rejects.add(path, "line 1", "file", "empty file: no header")
            return
        problem = _header_problem(path, first[1], expected)
        if problem:
            rejects.add(path, "line 1", "file", "not a TFLink download header: " + problem)
            return
        for n, line in lines:
            if not line.strip():
                continue
            try:
                f = _split_row(line, 8)
                other = norm.acc[f[0]]
                pubmed = norm.pubmed[f[4]]
                evidence = norm.evidence[f[7]]
            except BadValue as exc:
                rejects.add(path, f"line {n}", "row", str(exc))
                continue
            o_ncbi, o_name = norm.ids[f[1]], norm.name[f[2]]
            if kind == "tfs":
                head = (other, protein, o_ncbi, own_ncbi, o_name, own_name)
            else:
                head = (protein, other, own_ncbi, o_ncbi, own_name, o_name)
            yield common_line(
                head + (norm.list_any[f[3]], pubmed, norm.text[f[5]], norm.list_any[f[6]], evidence, origin)
            )


# --------------------------------------------------------------- whole-organism tables


def table_header_end(path: str, rejects: Rejects) -> int | None:
    """Check a table's header; return the byte offset of its first data row (``None``: rejected)."""
    fh = _open_binary(path)
    with fh:
        try:
            first = fh.readline(MAX_LINE_BYTES + 1)
        except (OSError, EOFError) as exc:
            raise RecordError(path, "line 1", f"cannot read the file ({exc})") from None
        if not first:
            rejects.add(path, "line 1", "file", "empty file: no header")
            return None
        if len(first) > MAX_LINE_BYTES:
            rejects.add(path, "line 1", "file", f"a line longer than {MAX_LINE_BYTES} bytes: not a TFLink table")
            return None
        problem = _header_problem(path, first, TABLE_COLUMNS)
        if problem:
            rejects.add(path, "line 1", "file", "not a TFLink interaction table header: " + problem)
            return None
        return len(first)


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
    origin = origin_code + b"\n"
    norm = TableNormaliser()
    acc, ids, name, mid = norm.acc, norm.ids, norm.name, norm.mid
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
                        t, g, i, j, p, q, rest = line.split(b"\t", 6)
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
                        append(join((t, g, i, j, p, q, mid[rest.rsplit(b"\t", 4)[0]], origin)))
                    except BadValue as exc:
                        if fail:
                            error = (n, str(exc), "row")
                            break
                        rej.write(f"{n}\t{exc}\n")
                if error:
                    break
                out.write(b"".join(buf))
                n_rows += len(buf)
                buf.clear()
                if n // 1_000_000 != (n - len(block)) // 1_000_000:
                    log.info("%s: %d lines of the range from byte %d read", os.path.basename(path), n, start)
        except (OSError, EOFError) as exc:  # a corrupt or truncated gzip stream
            error = (n + 1, f"cannot read the file ({exc})", "file")
        except LineTooLong as exc:
            error = (n + 1, str(exc), "file")
        out.write(b"".join(buf))
        n_rows += len(buf)
    return n_rows, n, error


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
