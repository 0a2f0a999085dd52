"""The Parquet copies (gene_records.parquet): the columnar fast path writes the
same bytes as the cell-by-cell reference, and leaves every cell it does not
type exactly like Python to the reference (issue 16)."""

from __future__ import annotations

import gzip
import hashlib
import random
import struct

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gene_records import parquet, tables
from gene_records.errors import RecordError
from gene_records.io import format_cell


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write(path, table, rows, *, newline="\n", blank_every=0, final_newline=True) -> None:
    lines = ["\t".join(table.header)] + ["\t".join(format_cell(c) for c in row) for row in rows]
    if blank_every:
        lines = [x for i, line in enumerate(lines) for x in ([line, ""] if i and i % blank_every == 0 else [line])]
    text = newline.join(lines) + (newline if final_newline else "")
    path.write_bytes(text.encode())


def cell(rng: random.Random, col_type: str, required: bool):
    if not required and rng.random() < 0.2:
        return None if col_type != "list" else ""
    if col_type == "integer":
        return rng.choice([0, -1, 7, rng.randint(-(2**63), 2**63 - 1), rng.randint(0, 60)])
    if col_type == "number":
        bits = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        return rng.choice([0.0, -0.0, 1.5, -2.25, 1e-300, float("inf"), float("-inf"), rng.uniform(-1e6, 1e6), bits])
    if col_type == "boolean":
        return rng.random() < 0.5
    if col_type == "list":
        items = [rng.choice(["a", "GTRD", "", "page:tflink-Q9", "x y", "é€𝄞"]) for _ in range(rng.randint(1, 4))]
        return ";".join(items) or "x"
    return rng.choice(["SOX2", "Homo sapiens", "a\\b", "'=1", "null", "NA", " lead", "é€𝄞", "x" * 300])


def random_rows(table, n: int, seed: int) -> list[list]:
    rng = random.Random(seed)
    return [[cell(rng, c.type, c.required) for c in table.columns] for _ in range(n)]


TABLES = [tables.OUTPUTS[name] for name in tables.PARQUET_TABLES]


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
@pytest.mark.parametrize("n,batch_rows,block_bytes", [(0, 5, 64), (1, 5, 64), (23, 5, 64), (20, 5, 1 << 20), (300, 64, 2000)])
def test_columnar_writes_the_reference_bytes(tmp_path, table, n, batch_rows, block_bytes):
    tsv = tmp_path / "t.tsv"
    write(tsv, table, random_rows(table, n, seed=n + len(table.name)))
    ref, fast = tmp_path / "ref.parquet", tmp_path / "fast.parquet"
    assert parquet.copy_cell_by_cell(table, str(tsv), str(ref), batch_rows) == n
    # the fast path itself, not its fallback: it must not raise on canonical cells
    assert parquet.copy_columnar(table, str(tsv), str(fast), batch_rows, block_bytes) == n
    assert digest(fast) == digest(ref)
    meta = pq.read_metadata(fast)
    assert meta.num_rows == n and meta.num_row_groups == max(1, -(-n // batch_rows))
    assert pq.read_schema(fast).metadata[b"gene_records.table"] == table.name.encode()


def test_blank_lines_gzip_and_a_last_line_without_newline(tmp_path):
    table = tables.INTERACTIONS
    rows = random_rows(table, 40, seed=3)
    ref = tmp_path / "ref.parquet"
    plain = tmp_path / "plain.tsv"
    write(plain, table, rows)
    parquet.copy_cell_by_cell(table, str(plain), str(ref), 16)
    odd = tmp_path / "odd.tsv"
    write(odd, table, rows, blank_every=7, final_newline=False)
    gz = tmp_path / "t.tsv.gz"
    gz.write_bytes(gzip.compress(odd.read_bytes()))
    for src in (odd, gz):
        out = tmp_path / f"{src.name}.parquet"
        assert parquet.copy_columnar(table, str(src), str(out), 16, 100) == 40
        assert digest(out) == digest(ref)


@pytest.mark.parametrize(
    "column,text",
    [
        ("tfs", " 5"),  # int() takes spaces, pyarrow does not
        ("tfs", "0x10"),  # pyarrow reads hex, int() does not
        ("tfs", "1_000"),
        ("tfs", "+5"),
        ("cell_types", "٣"),  # a non-ASCII digit: int() reads it
        ("tfs", "99999999999999999999"),  # past int64: the reference's error
        ("tfs", "abc"),
        ("tfs", ""),  # a required integer left empty: the reference's error
    ],
)
def test_cells_outside_the_canonical_forms_go_to_the_reference(tmp_path, column, text):
    table = tables.GENES
    rows = random_rows(table, 10, seed=1)
    rows[6][table.index(column)] = text
    tsv = tmp_path / "g.tsv"
    write(tsv, table, rows)
    with pytest.raises((parquet.Unusual, pa.ArrowException)):
        parquet.copy_columnar(table, str(tsv), str(tmp_path / "fast.parquet"))
    assert not (tmp_path / "fast.parquet").exists()
    same_as_reference(table, tsv, tmp_path)


def same_as_reference(table, tsv, tmp_path) -> None:
    """tsv_to_parquet gives the reference's bytes, or the reference's error."""
    ref, out = tmp_path / "ref.parquet", tmp_path / "out.parquet"
    try:
        parquet.copy_cell_by_cell(table, str(tsv), str(ref))
    except Exception as exc:
        with pytest.raises(type(exc)) as got:
            parquet.tsv_to_parquet(table, str(tsv), str(out))
        assert str(got.value) == str(exc) and not out.exists()
        return
    parquet.tsv_to_parquet(table, str(tsv), str(out))
    assert digest(out) == digest(ref)


@pytest.mark.parametrize("text", ["1e400", "Infinity", "nan", " 1.5", "1_0.5", "+2.5", "1E5", ".5", "5."])
def test_numbers_python_reads_in_other_forms(tmp_path, text):
    table = tables.CELL_EXPRESSION
    rows = random_rows(table, 10, seed=2)
    rows[3][table.index("fold_change")] = text
    tsv = tmp_path / "c.tsv"
    write(tsv, table, rows)
    canonical = text in ("1E5", ".5", "5.", "1e400")  # forms Python's repr does not write, but the fast path's pattern takes
    if not canonical:  # pyarrow reads some of these like Python does: the fast path takes none of them
        with pytest.raises((parquet.Unusual, pa.ArrowException)):
            parquet.copy_columnar(table, str(tsv), str(tmp_path / "fast.parquet"))
    same_as_reference(table, tsv, tmp_path)


@pytest.mark.parametrize("text", ["True", "1", "yes", ""])
def test_booleans_other_than_true_false(tmp_path, text):
    table = tables.CELL_EXPRESSION
    rows = random_rows(table, 10, seed=4)
    rows[5][table.index("obsolete")] = text
    tsv = tmp_path / "c.tsv"
    write(tsv, table, rows)
    if text:
        with pytest.raises(parquet.Unusual):
            parquet.copy_columnar(table, str(tsv), str(tmp_path / "fast.parquet"))
    same_as_reference(table, tsv, tmp_path)


def on_line(n: int, edit):
    def damage(data: bytes) -> bytes:
        lines = data.split(b"\n")
        lines[n] = edit(lines[n])
        return b"\n".join(lines)

    return damage


def body(edit):
    def damage(data: bytes) -> bytes:
        cut = data.index(b"\n") + 1
        return data[:cut] + edit(data[cut:])

    return damage


@pytest.mark.parametrize(
    "damage",
    [
        body(lambda b: b.replace(b"\n", b"\r\n")),  # the reference keeps a \r in the last cell
        body(lambda b: b.replace(b"\n", b"\r", 3)),  # a lone \r ends a line, kept in the cell by the reference
        body(lambda b: b.replace(b"\n", b"\n\r\n", 1)),  # a blank CRLF line: one cell for the reference
        on_line(4, lambda line: b"x\xff" + line),  # not UTF-8
        on_line(4, lambda line: b"x\xed\xa0\x80" + line),  # an encoded surrogate
        on_line(4, lambda line: line + b"\textra"),  # a row one cell too wide
        on_line(4, lambda line: line[: line.rindex(b"\t")]),  # a row one cell short
        on_line(0, lambda line: line.replace(b"symbol", b"gene")),  # the header
        lambda b: b"",  # an empty file
    ],
    ids=["crlf", "cr", "blank-crlf", "utf8", "surrogate", "wide", "short", "header", "empty"],
)
def test_damaged_files_get_the_reference_result(tmp_path, damage):
    table = tables.INSITU_EXPRESSION  # its last column is text: a kept \r shows
    rows = random_rows(table, 30, seed=5)
    for row in rows:
        row[table.index("source")] = "GEISHA"
    tsv = tmp_path / "g.tsv"
    write(tsv, table, rows)
    tsv.write_bytes(damage(tsv.read_bytes()))
    same_as_reference(table, tsv, tmp_path)


def test_damaged_row_error_names_the_line(tmp_path):
    table = tables.GENES
    tsv = tmp_path / "g.tsv"
    write(tsv, table, random_rows(table, 30, seed=5))
    tsv.write_bytes(on_line(12, lambda line: line + b"\textra")(tsv.read_bytes()))
    with pytest.raises(RecordError, match="line 13"):
        parquet.tsv_to_parquet(table, str(tsv), str(tmp_path / "out.parquet"))
