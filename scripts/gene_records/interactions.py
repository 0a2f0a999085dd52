"""TF -> target interactions merged from TFLink pages, per-protein downloads and whole-organism tables.

Every input row is normalised into one common row (the columns of
``results/tables/interactions.tsv``, with a single origin) and fed to GNU sort
(:mod:`gene_records.extsort`); a streaming group-by over the sorted stream
merges the rows of each (TF, target) pair into one. Memory stays bounded
whatever the table size: the step holds one group of rows, a few caches of
normalised values and the (small) lists of missing downloads and rejected
page entries.

Inputs and what they mean (TF regulates target):

* a TFLink page (record ``tflink-<ACC>``): each ``tfs`` entry is a TF of the
  page's protein, each ``targets`` entry a target of it. Origin
  ``page:tflink-<ACC>``.
* a per-protein download ``[TFLink_]tfs_of_<ACC>.tsv`` (the TFs of ``ACC``)
  or ``[TFLink_]targets_of_<ACC>.tsv`` (its targets); the protein itself is
  implied. Origin ``download:<file name>``.
* a whole-organism table (15 columns). Origin ``table:<file name>``.

Merge rule for one (TF, target) pair, applied the same way whatever the order
of the inputs:

* lists (``detection_methods``, ``pubmed_ids``, ``source_databases``,
  ``origins``) and NCBI gene ids: the union, de-duplicated, sorted
  (numbers numerically), ``;``-joined;
* ``small_scale_evidence``: ``Yes`` if any input says ``Yes``, else ``No`` if
  any says ``No``, else empty;
* names and ``organism``: the non-empty value from the most authoritative
  kind of input (table, then download, then page); among several values of
  the same kind the most frequent, then the smallest in byte order.

Inputs disagreeing on a name, the organism, the NCBI ids or the evidence are
listed in ``interaction_conflicts.tsv`` (the merged value and the others).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import urllib.parse
from collections import Counter
from typing import Callable, Iterable, Iterator

from .errors import ConfigError, RecordError
from .extsort import ExternalSort
from .io import AtomicWriter, format_cell, write_tsv
from .ids import safe_id
from .records import load_records

log = logging.getLogger("gene_records")

COLUMNS = (
    "tf_uniprot",
    "target_uniprot",
    "tf_ncbi_gene_id",
    "target_ncbi_gene_id",
    "tf_name",
    "target_name",
    "detection_methods",
    "pubmed_ids",
    "organism",
    "source_databases",
    "small_scale_evidence",
    "origins",
)
# Field positions in a row of COLUMNS.
TF, TARGET, TF_NCBI, TARGET_NCBI, TF_NAME, TARGET_NAME = range(6)
METHODS, PUBMED, ORGANISM, SOURCES, EVIDENCE, ORIGINS = range(6, 12)
HEADER_LINE = ("\t".join(COLUMNS) + "\n").encode()

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
_DOWNLOAD_TAIL = ("Detection.method", "PubmedID", "Organism", "Source.database", "Small-scale.evidence")
DOWNLOAD_COLUMNS = {
    "tfs": ("UniprotID.TF", "NCBI.GeneID.TF", "Name.TF") + _DOWNLOAD_TAIL,
    "targets": ("UniprotID.Target", "NCBI.GeneID.Target", "Name.Target") + _DOWNLOAD_TAIL,
}
DOWNLOAD_RE = re.compile(r"^(?:TFLink_)?(tfs|targets)_of_(.+)\.tsv$")

MISSING_DOWNLOAD_COLUMNS = ("record_id", "field", "file_name")
REJECTED_COLUMNS = ("file", "where", "scope", "reason")
CONFLICT_COLUMNS = ("tf_uniprot", "target_uniprot", "field", "merged_value", "other_values")
SUMMARY_COLUMNS = ("metric", "value")

# Kinds of input, most authoritative first (the rank decides names and organism).
ORIGIN_RANK = {"table": 0, "download": 1, "page": 2}
_MISSING_IDS = {"", "-", "NA", "N/A", "na", "n/a", "None", "null", "NULL"}
_EVIDENCE = {"yes": "Yes", "no": "No", "": "", "-": "", "na": ""}
_PMID_TOKEN = re.compile(r"(\d+)(?:\[uid\])?", re.IGNORECASE)
_CACHE_LIMIT = 200_000
# A plain table at least this large is normalised by several processes at once.
MIN_RANGE_BYTES = 64 << 20


# --------------------------------------------------------------- values


class BadValue(ValueError):
    """A value that cannot be normalised (the message says why)."""


def norm_accession(value: str, what: str = "accession") -> str:
    """A UniProt accession as used in file names: plain identifiers only."""
    acc = value.strip()
    if acc in _MISSING_IDS:
        raise BadValue(f"{what} is empty")
    if not safe_id(acc):
        raise BadValue(
            f"{what} {acc[:60]!r} is not a plain identifier (letters, digits, '.', '_', '-'; "
            "at most 64 characters; not a reserved device name), so it cannot name a file"
        )
    return acc


def _id_key(x: str):
    return (0, int(x), x) if x.isdigit() else (1, 0, x)


def norm_ids(value: str) -> str:
    """NCBI gene ids: ``100532731,648`` -> ``648;100532731``; ``NA``/``-``/empty -> ``''``."""
    parts = {p.strip() for p in re.split(r"[;,]", value)}
    parts -= _MISSING_IDS
    return ";".join(sorted(parts, key=_id_key))


def norm_list(value: str, seps: str = ";") -> str:
    """A text list: split on ``seps``, stripped, de-duplicated, sorted (byte order), ``;``-joined."""
    parts = {p.strip() for p in re.split("[" + re.escape(seps) + "]", value)} if value else set()
    parts -= _MISSING_IDS
    return ";".join(sorted(format_cell(p) for p in parts))


def norm_pubmed(value: str) -> str:
    """PubMed ids from every TFLink spelling, numerically sorted, ``;``-joined.

    ``29087512%5Buid%5D+OR+24435928%5Buid%5D`` (pages), full
    ``https://www.ncbi.nlm.nih.gov/pubmed/?term=...`` URLs (tfs_of downloads),
    ``21177256,29087512`` (targets_of downloads), ``a;b`` (tables).
    Anything that is not a PubMed id is a :class:`BadValue` (never dropped).
    """
    text = value.strip()
    if text in _MISSING_IDS:
        return ""
    if "term=" in text:
        text = text.split("term=", 1)[1]
    if "%" in text or "+" in text:
        text = urllib.parse.unquote_plus(text)
    ids = set()
    for part in re.split(r"\s+OR\s+|[,;\s]+", text):
        if not part:
            continue
        m = _PMID_TOKEN.fullmatch(part)
        if not m:
            raise BadValue(f"{part[:40]!r} is not a PubMed id")
        ids.add(m.group(1).lstrip("0") or "0")
    return ";".join(sorted(ids, key=lambda s: (len(s), s)))


def norm_name(value: str) -> str:
    """A gene/protein name: ``-`` and empty are missing (``Na`` is a gene, kept).

    A cell naming several genes (``RPL9; RPL9P7`` in downloads, ``RPL9;RPL9P7``
    on pages) is ``;``-joined without spaces, in its order.
    """
    text = value.strip()
    if text == "-":
        return ""
    if ";" in text:
        text = ";".join(p.strip() for p in text.split(";") if p.strip())
    return format_cell(text)


def norm_text(value: str) -> str:
    text = value.strip()
    return "" if text in _MISSING_IDS else format_cell(text)


def norm_evidence(value: str) -> str:
    v = _EVIDENCE.get(value.strip().lower())
    if v is None:
        raise BadValue(f"small-scale evidence {value.strip()[:40]!r} is not Yes or No")
    return v


class _Cache(dict):
    """A memo of one normaliser, emptied when it grows past a bound (hostile inputs)."""

    def __init__(self, func: Callable[[str], str]):
        super().__init__()
        self.func = func

    def __missing__(self, key: str) -> str:
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        value = self.func(key)
        self[key] = value
        return value


class Normaliser:
    """Cached normalisers: a whole-organism table repeats the same few values millions of times."""

    def __init__(self):
        self.acc = _Cache(norm_accession)
        self.ids = _Cache(norm_ids)
        self.name = _Cache(norm_name)
        self.text = _Cache(norm_text)
        self.pubmed = _Cache(norm_pubmed)
        self.evidence = _Cache(norm_evidence)
        self.list_any = _Cache(lambda v: norm_list(v, ";,"))


def common_line(fields: Iterable[str]) -> str:
    return "\t".join(fields) + "\n"


# --------------------------------------------------------------- inputs


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


class Rejects:
    """Rejected inputs: with ``on_bad_record=fail`` the first one stops the step.

    Rejects of pages and downloads (few) are kept and sorted; rejected rows
    of whole-organism tables (possibly millions) go to ``spool``, a file,
    in table order and line order. The log gets the first
    :attr:`LOG_LIMIT` per file and a count of the rest.
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
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text))


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


def _check_header(path: str, line: bytes, expected: tuple[str, ...]) -> str | None:
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
        problem = _check_header(path, first[1], expected)
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


def _utf8(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadValue(f"not valid UTF-8 (byte 0x{value[exc.start]:02x} in {value[:40]!r})") from None


class TableNormaliser:
    """Memos over raw bytes for the whole-organism tables' hot loop.

    Every kept cell goes through one memo, so every kept byte is checked
    (UTF-8, accessions, evidence) the first time its value is seen. The five
    adjacent columns ``Detection.method`` .. ``Small-scale.evidence`` are one
    memo key: their combinations repeat even more than single values.
    """

    def __init__(self):
        self.acc = _Cache(lambda b: norm_accession(_utf8(b)).encode())
        self.ids = _Cache(lambda b: norm_ids(_utf8(b)).encode())
        self.name = _Cache(lambda b: norm_name(_utf8(b)).encode())
        self.mid = _Cache(self._mid)

    @staticmethod
    def _mid(raw: bytes) -> bytes:
        methods, pubmed, organism, sources, evidence = _utf8(raw).split("\t")
        return "\t".join(
            (norm_list(methods), norm_pubmed(pubmed), norm_text(organism), norm_list(sources), norm_evidence(evidence))
        ).encode()


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
        problem = _check_header(path, first, TABLE_COLUMNS)
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
    :func:`merge_sorted` writes the origin. Returns (rows written, lines
    read, first error or ``None``); an error is
    (line, problem, ``row`` or ``file``: the file cannot be read on). Line
    numbers in the error and in ``rejects_path`` (``line<TAB>reason`` rows)
    count from the start of the range (1 = its first line). With ``fail``
    the range stops at the first bad row. The hot loop of the step (millions of rows):
    bytes only, one split per row, fast paths for values that are canonical
    as they are and memos (:class:`TableNormaliser`) for the others.
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


class LineTooLong(ValueError):
    """A line longer than :data:`MAX_LINE_BYTES` (a broken or hostile file)."""


# No real row is anywhere near this long; a longer "line" is a broken file,
# and stopping there keeps memory bounded.
MAX_LINE_BYTES = 1 << 20


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


# --------------------------------------------------------------- merging


def _pick(values: list[tuple[int, str]]) -> tuple[str, list[str]]:
    """The merged single value and the other non-empty values.

    ``values`` are (origin rank, value) pairs; empty values never win.
    """
    present = [(r, v) for r, v in values if v]
    if not present:
        return "", []
    best_rank = min(r for r, _ in present)
    counts = Counter(v for r, v in present if r == best_rank)
    chosen = min(counts, key=lambda v: (-counts[v], v.encode()))
    others = sorted({v for _, v in present if v != chosen}, key=str.encode)
    return chosen, others


def _union(values: Iterable[str], key=None) -> str:
    items = set()
    for v in values:
        if v:
            items.update(v.split(";"))
    return ";".join(sorted(items, key=key or str.encode))


def _pubmed_key(s: str):
    return (len(s), s)


def merge_group(rows: list[list[str]]) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Merge the common rows of one (TF, target) pair; return the row and its conflicts.

    Each conflict is (field, merged value, other values joined by `` | ``).
    """
    ranks = [ORIGIN_RANK[r[ORIGINS].split(":", 1)[0]] for r in rows]
    out = list(rows[0])
    conflicts: list[tuple[str, str, str]] = []
    for col in (TF_NAME, TARGET_NAME, ORGANISM):
        chosen, others = _pick([(rk, r[col]) for rk, r in zip(ranks, rows)])
        out[col] = chosen
        if others:
            conflicts.append((COLUMNS[col], chosen, " | ".join(others)))
    for col in (TF_NCBI, TARGET_NCBI):
        distinct = sorted({r[col] for r in rows if r[col]}, key=lambda s: [_id_key(x) for x in s.split(";")])
        out[col] = _union(distinct, key=_id_key)
        if len(distinct) > 1:
            conflicts.append((COLUMNS[col], out[col], " | ".join(distinct)))
    out[METHODS] = _union(r[METHODS] for r in rows)
    out[SOURCES] = _union(r[SOURCES] for r in rows)
    out[PUBMED] = _union((r[PUBMED] for r in rows), key=_pubmed_key)
    out[ORIGINS] = _union(r[ORIGINS] for r in rows)
    evidence = {r[EVIDENCE] for r in rows}
    out[EVIDENCE] = "Yes" if "Yes" in evidence else ("No" if "No" in evidence else "")
    if {"Yes", "No"} <= evidence:
        conflicts.append((COLUMNS[EVIDENCE], "Yes", "No"))
    return out, conflicts


def merge_sorted(
    blocks: Iterable[list[bytes]], out, conflicts_out, expand: dict[bytes, bytes] | None = None
) -> tuple[int, int, int]:
    """Stream-merge sorted common lines into ``out`` (binary); return (pairs, input rows, conflicts).

    ``blocks`` are lists of lines without their line ends, in sorted order,
    so the rows of one pair are adjacent. A pair given once is written as it
    is (the hot path: no parsing); several rows are merged with
    :func:`merge_group`. ``expand`` maps the short origin codes of
    whole-organism tables (what was sorted) to their origins; as the origin
    is the last field, a code is replaced in a whole block at once.
    """
    expand = expand or {}
    swaps = [(b"\t" + code + b"\n", b"\t" + full + b"\n") for code, full in expand.items()]
    n_pairs = n_rows = n_conflicts = 0
    prev = prev_tf = prev_tg = None
    several: list[bytes] | None = None  # the rows of the current pair when it has more than one
    buf: list[bytes] = []
    append = buf.append

    def merged_line(rows_raw: list[bytes]) -> bytes:
        nonlocal n_conflicts
        rows = []
        for raw in sorted(set(rows_raw)):  # the same row given twice by one input counts once
            row = raw.decode("utf-8").split("\t")
            row[ORIGINS] = expand.get(row[ORIGINS].encode(), row[ORIGINS].encode()).decode("utf-8")
            rows.append(row)
        if len(rows) == 1:
            return "\t".join(rows[0]).encode("utf-8")
        merged, conflicts = merge_group(rows)
        for c in conflicts:
            n_conflicts += 1
            conflicts_out.write(("\t".join((merged[TF], merged[TARGET]) + c) + "\n").encode("utf-8"))
        return "\t".join(merged).encode("utf-8")

    def write_out():
        data = b"\n".join(buf) + b"\n"
        for code, full in swaps:
            data = data.replace(code, full)
        out.write(data)
        buf.clear()

    for block in blocks:
        for line in block:
            tf, tg, _ = line.split(b"\t", 2)
            if tg == prev_tg and tf == prev_tf:
                if several is None:
                    several = [prev]
                several.append(line)
                continue
            if several is not None:
                append(merged_line(several))
                several = None
            elif prev is not None:
                append(prev)
            n_pairs += 1
            prev, prev_tf, prev_tg = line, tf, tg
        if buf:
            write_out()
        n_rows += len(block)
        if n_rows // 1_000_000 != (n_rows - len(block)) // 1_000_000:
            log.info("merged %d rows into %d pairs", n_rows, n_pairs)
    if several is not None:
        append(merged_line(several))
    elif prev is not None:
        append(prev)
    if buf:
        write_out()
    return n_pairs, n_rows, n_conflicts


# --------------------------------------------------------------- the step


def _table_code(index: int) -> bytes:
    """The short origin of the ``index``-th table in sorted lines (no ``:``, so never a real origin)."""
    return b"table#%d" % index


def _process_pool(workers: int):
    """A pool of ``workers`` forked processes, or ``None`` (run in this process).

    Only ``fork`` is used: a spawned child would re-import the Snakemake
    script that started the step.
    """
    import concurrent.futures
    import multiprocessing

    if workers < 1 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))


class _Inline:
    """The result of a job run in this process (same interface as a future)."""

    def __init__(self, func, *args):
        self.func, self.args = func, args
        self._done = False
        self._result = None

    def result(self):
        if not self._done:
            self._result = self.func(*self.args)
            self._done = True
        return self._result


def _write_pages_and_downloads(
    jsonls: list[str], records: str, downloads: list[str], out_path: str, rejects: Rejects, stats: Counter
) -> list[tuple[str, str, str]]:
    """Common rows of every TFLink page and every download into ``out_path``; return the missing downloads."""
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


def merge_interactions(
    jsonls: list[str],
    records: str,
    interactions: str,
    missing_downloads: str,
    rejected: str,
    conflicts: str,
    summary: str,
    downloads: list[str] = [],  # noqa: B006 - read only
    tables: list[str] = [],  # noqa: B006 - read only
    on_bad_record: str = "fail",
    sort_memory_mb: int = 1024,
    threads: int = 1,
) -> None:
    """Merge TFLink pages, per-protein downloads and whole-organism tables into interactions.tsv.

    ``downloads`` are the download files in look-up order (see
    :func:`find_downloads`); a page's download is the first of them named as
    the page names it or under the other generation's name. Downloads that
    no page names are read too (the protein is the accession in the file
    name). A page naming a download that is not found is listed in
    ``missing_downloads`` with a warning, and its own rows are used. Bad
    input fails the step (``on_bad_record=fail``) or is listed in
    ``rejected`` (``skip``): a bad header rejects the file, a bad row the row.
    Whole-organism tables are normalised by ``threads`` processes (byte
    ranges of plain tables; a gzipped table is one range), then every common
    row is sorted by GNU sort and merged per (TF, target) pair.
    """
    out_dir = os.path.dirname(os.path.abspath(interactions))
    os.makedirs(out_dir, exist_ok=True)
    work = tempfile.mkdtemp(dir=out_dir, prefix=".merge_interactions-")
    rejects = Rejects(on_bad_record, spool=os.path.join(work, "rejected_table_rows.tsv"))
    stats: Counter = Counter()
    pool = None
    try:
        # ---- whole-organism tables: jobs over byte ranges, started first
        jobs = []
        for ti, t in enumerate(tables):
            stats["tables"] += 1
            data_start = table_header_end(t, rejects)
            if data_start is None:
                continue
            for ri, (a, b) in enumerate(table_ranges(t, data_start, threads)):
                jobs.append(
                    (ti, t, a, b, os.path.join(work, f"table{ti}.{ri}.tsv"), os.path.join(work, f"table{ti}.{ri}.rej"))
                )
        pool = _process_pool(min(threads, len(jobs))) if threads > 1 else None
        futures = []
        expand = {_table_code(ti): ("table:" + os.path.basename(t)).encode("utf-8") for ti, t in enumerate(tables)}
        for ti, t, a, b, out_path, rej_path in jobs:
            args = (t, a, b, out_path, rej_path, rejects.fail, _table_code(ti))
            futures.append(pool.submit(normalise_table_range, *args) if pool else _Inline(normalise_table_range, *args))
        # ---- pages and downloads, meanwhile, in this process
        pages_path = os.path.join(work, "pages.tsv")
        missing = _write_pages_and_downloads(jsonls, records, downloads, pages_path, rejects, stats)
        # ---- table results, in table and range order (line numbers add up)
        results = [fut.result() for fut in futures]
        first_line: dict[int, int] = {}
        starts = []
        for (ti, t, *_), (n_rows, n_lines, error) in zip(jobs, results):
            starts.append(first_line.get(ti, 2))  # line 1 is the header
            first_line[ti] = starts[-1] + n_lines
        unreadable = set()
        for (ti, t, *_), (n_rows, n_lines, error), start in zip(jobs, results, starts):
            if error and ti not in unreadable:
                line, problem, scope = error
                if rejects.fail:
                    raise RecordError(t, f"line {start + line - 1}", problem)
                rejects.add(t, f"line {start + line - 1}", "file", problem + " (the whole table is skipped)")
                unreadable.add(ti)
        for (ti, t, a, b, out_path, rej_path), (n_rows, n_lines, error), start in zip(jobs, results, starts):
            if ti in unreadable:
                continue
            with open(rej_path, encoding="utf-8") as fh:
                for line in fh:
                    n, reason = line.rstrip("\n").split("\t", 1)
                    rejects.add(t, f"line {start + int(n) - 1}", "row", reason, table=True)
            stats["table_rows"] += n_rows
        if pool:
            pool.shutdown()
            pool = None
        for ti, t in enumerate(tables):
            log.info("%s: %d lines read", t, first_line.get(ti, 2) - 2)
        log.info(
            "%d page rows, %d download rows, %d table rows; sorting",
            stats["page_rows"],
            stats["download_rows"],
            stats["table_rows"],
        )
        # ---- sort, merge
        files = [pages_path] + [j[4] for j in jobs if j[0] not in unreadable]
        with ExternalSort(work, sort_memory_mb, threads, files=files) as sorter:
            with AtomicWriter(interactions, "wb") as out, AtomicWriter(conflicts, "wb") as cout:
                out.write(HEADER_LINE)
                cout.write(("\t".join(CONFLICT_COLUMNS) + "\n").encode())
                blocks = line_blocks(sorter.output(), None, None, 4 << 20)
                n_pairs, n_rows, n_conflicts = merge_sorted(blocks, out, cout, expand)
                sorter.wait()
                expected_rows = stats["page_rows"] + stats["download_rows"] + stats["table_rows"]
                if n_rows != expected_rows:
                    raise ConfigError(f"sort returned {n_rows} rows, {expected_rows} were given to it")
        write_tsv(missing_downloads, MISSING_DOWNLOAD_COLUMNS, missing)
        write_tsv(rejected, REJECTED_COLUMNS, rejects.rows())
    finally:
        if pool:  # stopped by an error: do not wait for the other ranges
            workers = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for w in workers:
                w.terminate()
            for w in workers:
                w.join(10)
        rejects.close()
        shutil.rmtree(work, ignore_errors=True)
    stats.update(
        {
            "input_rows": n_rows,
            "interactions": n_pairs,
            "missing_downloads": len(missing),
            "rejected_files": rejects.n_files,
            "rejected_rows": rejects.n_rows,
            "conflicts": n_conflicts,
        }
    )
    order = (
        "pages",
        "page_rows",
        "downloads",
        "downloads_without_page",
        "downloads_not_read_duplicates",
        "download_rows",
        "missing_downloads",
        "tables",
        "table_rows",
        "input_rows",
        "interactions",
        "rejected_files",
        "rejected_rows",
        "conflicts",
    )
    write_tsv(summary, SUMMARY_COLUMNS, [(k, stats[k]) for k in order])
    log.info(
        "%d input rows -> %d interactions; %d missing downloads, %d rejected files, %d rejected rows, %d conflicts",
        n_rows,
        n_pairs,
        len(missing),
        rejects.n_files,
        rejects.n_rows,
        n_conflicts,
    )
