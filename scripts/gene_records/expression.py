"""Expression tables across genes: Genular single-cell values and GEISHA in situ images.

Per parse batch (rule parse_records, :func:`write_partials`), one pass over
the batch's records collects

* the Genular ``cell_expression`` lists into compact arrays (one entry per gene
  and cell type: two integer codes and two floats), from which the long table
  (partial) and, in the reduce, the two wide matrices are written;
* the GEISHA ``images`` into one row per image and anatomical location, from
  which the long table and the matrix cells (partials) are written.

Everything is sorted on a full key before it is written, so the same records
give the same bytes whatever the batch order.
"""

from __future__ import annotations

import logging
import re
from array import array
from collections.abc import Iterable

import numpy as np

from .errors import RecordError
from .geisha import join_location_terms
from .io import AtomicWriter, format_cell
from .batches import merge_partials, partial_json, partial_lines
from .tables import BATCH_CELL_EXPRESSION as CELL_PART
from .tables import BATCH_INSITU_CELLS as INSITU_CELLS_PART
from .tables import BATCH_INSITU_EXPRESSION as INSITU_PART
from .tables import CELL_EXPRESSION, CSI_MATRIX, FOLD_CHANGE_MATRIX, INSITU_MATRIX

log = logging.getLogger("gene_records")


# The location of an image that gives none (``location: null`` or ``''``): a real
# term, never a text that readers take for missing (``null``, ``NA``, ...).
NO_LOCATION = "unspecified location"
# The stage of an image without a stage label, in the in situ matrix.
NO_STAGE = "unknown"
# Hamburger-Hamilton stages run from 1 (pre-streak, first HH stage) to 46 (hatching).
HH_MIN, HH_MAX = 1, 46

# Values turned into Python objects at a time when the long table is written.
_CHUNK = 100_000

_HH_RE = re.compile(
    r"(?:stage|st\.?|hh|hamburger[- ]hamilton(?:\s+stage)?)?\s*(\d{1,4})\s*([+-])?",
    re.IGNORECASE,
)


# ------------------------------------------------------------------ values


def hh_stage(label) -> int | None:
    """The Hamburger-Hamilton stage number a stage label gives, or None.

    ``stage 10``, ``HH8``, ``HH 8``, ``st. 8`` and a bare ``10`` give the
    number; ``HH3+`` and ``HH3-`` give 3 (the label, kept in the ``stage``
    column, says it is a little after or before). Anything else gives None:
    Eyal-Giladi-Kochav stages in roman numerals (``stage XII``, ``EGKXI``,
    ``X-XIV``), ranges (``stage 4-5``), other staging systems (``10 somites``,
    ``24 hpf``, ``Tailbud``), ``unknown``, an empty label, and numbers outside
    HH 1-46 (``stage 1419``).
    """
    if label is None:
        return None
    m = _HH_RE.fullmatch(str(label).strip())
    if not m:
        return None
    n = int(m.group(1))
    return n if HH_MIN <= n <= HH_MAX else None


def is_obsolete(cell_name: str) -> bool:
    """Cell Ontology terms that the ontology made obsolete are named ``obsolete ...``."""
    return str(cell_name).lower().startswith("obsolete ")


def image_locations(image: dict) -> list[str]:
    """The anatomical locations of one GEISHA image, in page order, de-duplicated.

    The parser splits the page's text on commas (``locations``); a lower-case
    qualifier such as ``early`` is joined back to the term before it
    (``Endoderm, early`` is one GEISHA term). An image without a location
    (``location: null`` or an empty text) gives the single value
    ``unspecified location`` (not ``null``, which pandas and R read as missing).
    ``Unlabeled``, ``Widespread Expression`` and ``Not specified`` are values
    like any other.
    """
    out = join_location_terms(image.get("locations") or [])
    if not out:
        return [NO_LOCATION]
    seen: set[str] = set()
    return [x for x in out if not (x in seen or seen.add(x))]


def _label_key(label: str) -> tuple[str, str]:
    return (label.casefold(), label)


def gene_column_labels(genes: list[tuple[str, str]]) -> dict[str, str]:
    """``{record_id: column label}`` for ``(record_id, symbol)`` pairs.

    The label is the symbol; a record without one is labelled by its record
    id; when two records share a symbol (compared ignoring case: ``SOX2`` and
    ``Sox2`` share one) each is labelled ``SYMBOL (record_id)``.
    """
    count: dict[str, int] = {}
    for _, symbol in genes:
        if symbol:
            count[symbol.casefold()] = count.get(symbol.casefold(), 0) + 1
    labels = {}
    for record_id, symbol in genes:
        if not symbol:
            labels[record_id] = record_id
        elif count[symbol.casefold()] > 1:
            labels[record_id] = f"{symbol} ({record_id})"
        else:
            labels[record_id] = symbol
    return labels


def _np(values: array, dtype) -> np.ndarray:
    """A typed array as a numpy array (no copy); empty arrays too."""
    return np.frombuffer(values, dtype=dtype) if len(values) else np.zeros(0, dtype=dtype)


def _number(rec: dict, where: str, name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RecordError(
            rec.get("source_file", rec.get("record_id", "?")), where, f"{name} is not a number: {value!r}"
        )
    return float(value)


# ------------------------------------------------------------------ cell expression


class CellExpression:
    """Genular cell-type values of many genes, held compactly.

    Each value is stored as (gene code, cell type code, fold change, CSI) in
    typed arrays (24 bytes per value), so 50,000 genes x 100 cell types fit in
    about 120 MB.
    """

    def __init__(self) -> None:
        self.genes: list[tuple[str, str, str]] = []  # (record_id, symbol, ncbi_gene_id)
        self.source_files: list[str] = []
        self.cells: dict[tuple[str, str], int] = {}  # (cell_ontology_id, cell_name) -> code
        self.gene = array("i")
        self.cell = array("i")
        self.fold_change = array("d")
        self.csi = array("d")

    def add(self, rec: dict) -> int:
        """Add the cell types of one record; return how many values it added."""
        entries = rec.get("cell_expression") or []
        if not entries:
            return 0
        g = len(self.genes)
        self.genes.append((rec["record_id"], rec.get("symbol") or "", rec.get("ncbi_gene_id") or ""))
        self.source_files.append(str(rec.get("source_file", rec["record_id"])))
        for i, c in enumerate(entries):
            where = f"cell_expression entry {i + 1}"
            key = (str(c.get("cell_ontology_id") or ""), str(c.get("cell_name") or ""))
            if not key[0] and not key[1]:
                raise RecordError(self.source_files[g], where, "cell type has neither a name nor an ontology id")
            code = self.cells.setdefault(key, len(self.cells))
            self.gene.append(g)
            self.cell.append(code)
            self.fold_change.append(_number(rec, where, "fold change", c.get("fold_change")))
            self.csi.append(_number(rec, where, "cell significance index", c.get("cell_significance_index")))
        return len(entries)

    def _ranks(self):
        """Sort ranks of genes (by record id) and cell types (by id, then name)."""
        gene_order = sorted(range(len(self.genes)), key=lambda i: self.genes[i][0])
        gene_rank = np.empty(len(self.genes), dtype=np.int64)
        gene_rank[gene_order] = np.arange(len(self.genes))
        cell_keys = sorted(self.cells)
        cell_rank = np.empty(len(self.cells), dtype=np.int64)
        for r, key in enumerate(cell_keys):
            cell_rank[self.cells[key]] = r
        return gene_rank, cell_keys, cell_rank

    def finish(self) -> None:
        """Sort by (record id, cell type) and drop exact repeats of a gene and cell type.

        A record listing the same cell type twice with different values is an
        error (the matrices could not hold both).
        """
        self.gene_rank, self.cell_keys, self.cell_rank = self._ranks()
        g, c = _np(self.gene, np.intc), _np(self.cell, np.intc)
        fc, csi = _np(self.fold_change, np.float64), _np(self.csi, np.float64)
        order = np.lexsort((self.cell_rank[c], self.gene_rank[g]))
        g, c, fc, csi = g[order], c[order], fc[order], csi[order]
        same = (g[1:] == g[:-1]) & (c[1:] == c[:-1])
        if same.any():
            differ = same & ((fc[1:] != fc[:-1]) | (csi[1:] != csi[:-1]))
            if differ.any():
                j = int(np.flatnonzero(differ)[0]) + 1
                cid, cname = self.cell_keys[self.cell_rank[c[j]]]
                raise RecordError(
                    self.source_files[g[j]],
                    f"cell type {cname!r} ({cid})",
                    f"listed twice with different values (fold change {format_cell(float(fc[j - 1]))} and "
                    f"{format_cell(float(fc[j]))}, CSI {format_cell(float(csi[j - 1]))} and "
                    f"{format_cell(float(csi[j]))})",
                )
            keep = np.concatenate(([True], ~same))
            log.info(
                "cell expression: %d repeated gene/cell type entries with equal values kept once", int((~keep).sum())
            )
            g, c, fc, csi = g[keep], c[keep], fc[keep], csi[keep]
        self.sorted = (g, c, fc, csi)

    def _chunks(self):
        """(gene codes, cell codes, fold changes, CSIs) as Python lists, one chunk at a time."""
        g, c, fc, csi = self.sorted
        for start in range(0, len(g), _CHUNK):
            end = start + _CHUNK
            yield g[start:end].tolist(), c[start:end].tolist(), fc[start:end].tolist(), csi[start:end].tolist()

    def long_rows(self):
        """The rows of cell_expression.tsv, in order."""
        cell_names = [self.cell_keys[r] for r in self.cell_rank.tolist()]  # by cell code
        for g, c, fc, csi in self._chunks():
            for gi, ci, f, s in zip(g, c, fc, csi):
                record_id, symbol, ncbi = self.genes[gi]
                cid, cname = cell_names[ci]
                yield (record_id, symbol, ncbi, cid, cname, is_obsolete(cname), f, s)

    def write_long(self, path: str) -> int:
        """Write cell_expression.tsv: the bytes ``CELL_EXPRESSION.write(path, long_rows())``
        would write, with the text of each gene and cell type formatted once."""
        genes = ["\t".join(format_cell(x) for x in gene) for gene in self.genes]
        cells = [
            "\t".join(format_cell(x) for x in (*self.cell_keys[r], is_obsolete(self.cell_keys[r][1])))
            for r in self.cell_rank.tolist()
        ]
        n = 0
        with AtomicWriter(path) as fh:
            fh.write(CELL_EXPRESSION.header_line())
            for g, c, fc, csi in self._chunks():
                fh.write(
                    "".join(
                        f"{genes[gi]}\t{cells[ci]}\t{format_cell(f)}\t{format_cell(s)}\n"
                        for gi, ci, f, s in zip(g, c, fc, csi)
                    )
                )
                n += len(g)
        return n


# ------------------------------------------------------------------ in situ


def insitu_rows(rec: dict) -> list[tuple]:
    """One row per image and location of a GEISHA record (no images: no rows)."""
    rows = []
    images = rec.get("images") or []
    if not isinstance(images, list):
        raise RecordError(rec.get("source_file", rec["record_id"]), "images", "is not a list")
    for image in images:
        stage = "" if image.get("stage") is None else str(image.get("stage"))
        hh = hh_stage(stage)
        for location in image_locations(image):
            rows.append(
                (
                    rec["record_id"],
                    rec.get("symbol") or "",
                    rec.get("organism") or "",
                    stage,
                    hh,
                    location,
                    image.get("image_url") or "",
                    image.get("source") or "",
                )
            )
    return rows


def insitu_sort_key(row: tuple) -> tuple:
    record_id, symbol, species, stage, hh, location, url, source = row
    return (record_id, hh is None, hh or 0, stage, location, url, source, symbol, species)


def stage_list(stages: set) -> str:
    """HH numbers ascending, then other labels (an empty one as ``unknown``) sorted."""
    numbers = sorted(s for s in stages if isinstance(s, int))
    labels = sorted({s or NO_STAGE for s in stages if not isinstance(s, int)})
    return ";".join([str(n) for n in numbers] + labels)


_N_KEYS = len(INSITU_MATRIX.columns)


def insitu_matrix_rows(rows: list[tuple]) -> tuple[list[str], list[list]]:
    """Genes x locations; each cell lists the stages at which the gene was seen there.

    Returns the locations (the matrix's extra columns, after ``record_id`` and
    ``symbol``) and the rows.

    A stage is its HH number when the label gives one, else the label itself.
    """
    genes: dict[str, str] = {}
    seen: dict[tuple[str, str], set] = {}
    for record_id, symbol, _species, stage, hh, location, _url, _source in rows:
        genes[record_id] = symbol
        seen.setdefault((record_id, location), set()).add(hh if hh is not None else stage)
    locations = sorted({loc for _, loc in seen}, key=_label_key)
    col = {loc: i for i, loc in enumerate(locations)}
    out = []
    for record_id in sorted(genes):
        cells = [""] * len(locations)
        out.append([record_id, genes[record_id], *cells])
    index = {row[0]: row for row in out}
    for (record_id, location), stages in seen.items():
        index[record_id][_N_KEYS + col[location]] = stage_list(stages)
    return locations, out


# ------------------------------------------------------------------ map


def write_partials(records: list[dict], cell_expression: str, insitu_expression: str, insitu_cells: str) -> None:
    """The map step's part: a batch's rows of both long tables and its
    non-empty in situ matrix cells, sorted as the final tables."""
    cells = CellExpression()
    insitu: set[tuple] = set()
    for rec in records:
        cells.add(rec)
        insitu.update(insitu_rows(rec))
    cells.finish()
    cells.write_long(cell_expression)
    rows = sorted(insitu, key=insitu_sort_key)
    INSITU_PART.write(insitu_expression, rows)
    symbols: dict[str, str] = {}
    seen: dict[tuple[str, str], set] = {}
    for record_id, symbol, _species, stage, hh, location, _url, _source in rows:
        symbols[record_id] = symbol
        seen.setdefault((record_id, location), set()).add(hh if hh is not None else stage)
    INSITU_CELLS_PART.write(
        insitu_cells, ((rid, symbols[rid], loc, stage_list(st)) for (rid, loc), st in sorted(seen.items()))
    )


# ------------------------------------------------------------------ reduce


def _write_cell_matrices(
    cell_expression: str, genes: list[tuple[str, str]], fold_change_path: str, csi_path: str
) -> int:
    """Both wide matrices (cell types x genes) from the long table, in one
    pass over it; ``genes`` are the (record_id, symbol) of its genes. The
    values stay text (the long table's cells are the matrices' cells)."""
    labels = gene_column_labels(genes)
    order = sorted(labels, key=lambda rid: _label_key(labels[rid]))
    col_of = {rid.encode("utf-8"): i for i, rid in enumerate(order)}
    width = len(order)
    fc_rows: dict[bytes, list] = {}
    csi_rows: dict[bytes, list] = {}
    with open(cell_expression, "rb") as fh:
        next(fh)
        for line in fh:
            rid, _sym, _ncbi, cid, cname, _obs, fc, csi = line.split(b"\t")
            key = cid + b"\t" + cname
            row = fc_rows.get(key)
            if row is None:
                row = fc_rows[key] = [b""] * width
                csi_rows[key] = [b""] * width
            col = col_of[rid]
            row[col] = fc
            csi_rows[key][col] = csi[:-1]
    keys = sorted(fc_rows, key=lambda k: k.split(b"\t"))
    header_labels = [labels[rid] for rid in order]
    for table, path, rows in ((FOLD_CHANGE_MATRIX, fold_change_path, fc_rows), (CSI_MATRIX, csi_path, csi_rows)):
        with AtomicWriter(path, "wb") as out:
            out.write(table.header_line(header_labels).encode("utf-8"))
            out.writelines(key + b"\t" + b"\t".join(rows[key]) + b"\n" for key in keys)
    return width


def _write_insitu_matrix(cells: Iterable[bytes], path: str) -> tuple[int, int]:
    """insitu_matrix.tsv from the merged in situ cells (record_id order)."""
    genes: list[tuple[bytes, bytes, dict[bytes, bytes]]] = []
    locations: set[bytes] = set()
    for line in cells:
        rid, symbol, location, stages = line.rstrip(b"\n").split(b"\t")
        if not genes or genes[-1][0] != rid:
            genes.append((rid, symbol, {}))
        genes[-1][2][location] = stages
        locations.add(location)
    names = sorted((loc.decode("utf-8") for loc in locations), key=_label_key)
    order = [n.encode("utf-8") for n in names]
    with AtomicWriter(path, "wb") as out:
        out.write(INSITU_MATRIX.header_line(names).encode("utf-8"))
        for rid, symbol, seen in genes:
            out.write(b"\t".join([rid, symbol, *(seen.get(loc, b"") for loc in order)]) + b"\n")
    return len(genes), len(names)


def tabulate_expression(
    cell_parts: list[str],
    insitu_parts: list[str],
    insitu_cells_parts: list[str],
    summaries: list[str],
    indexes: list[str],
    cell_expression: str,
    fold_change_matrix: str,
    csi_matrix: str,
    insitu_expression: str,
    insitu_matrix: str,
) -> None:
    """Write the expression tables of all accepted records from the batches'
    partial tables (rule parse_records, the map), merged in record order.

    cell_expression: Genular values, one row per gene and cell type;
    fold_change_matrix / csi_matrix: cell types x genes; insitu_expression:
    GEISHA images, one row per image and anatomical location; insitu_matrix:
    genes x locations, each cell the stages at which the gene was seen there.
    ``summaries`` (the batches' record summaries) give the genes' symbols as
    the pages write them, for the matrices' column labels.
    """
    n_cells = merge_partials(CELL_PART, cell_parts, indexes, cell_expression)
    genes = [(s["record_id"], s["symbol"]) for s in partial_json(summaries, indexes) if s.get("cell_types")]
    n_cols = _write_cell_matrices(cell_expression, genes, fold_change_matrix, csi_matrix)
    log.info("%d cell expression rows, %d genes in the matrices", n_cells, n_cols)
    n_rows = merge_partials(INSITU_PART, insitu_parts, indexes, insitu_expression)
    n_genes, n_locations = _write_insitu_matrix(
        partial_lines(INSITU_CELLS_PART, insitu_cells_parts, indexes), insitu_matrix
    )
    log.info("in situ: %d image/location rows, %d genes x %d locations", n_rows, n_genes, n_locations)
