"""Broken copies of real records: one clear error each, never a crash."""

from __future__ import annotations

import os

import pytest
from conftest import SOS2, SOX2, SOX4

from gene_records.errors import RecordError
from gene_records.records import parse_file

SOX2_RAW = SOX2.read_bytes()
SOX4_RAW = SOX4.read_bytes()
SOS2_RAW = SOS2.read_bytes()

BROKEN = {
    "empty": (b"", "line 1", "empty file"),
    "whitespace_only": (b"\n  \n", "line 1", "empty file"),
    "binary_garbage": (bytes(range(256)) * 20, "line 1", "binary data"),
    "latin1": (
        SOS2_RAW.replace(b"SOS2 expression", b"SOS2 expr\xe9ssion", 1),
        "line 14, column 21",
        "not valid UTF-8",
    ),
    "truncated_front_matter": (SOX4_RAW[:3000], "line 1", "never closed"),
    "truncated_mid_line": (SOS2_RAW[: SOS2_RAW.find(b"Primitive Streak") + 6], "line 1", "never closed"),
    "truncated_cell_list": (SOX2_RAW[:2000], "line 59", "unexpected line in the cell list"),
    "truncated_mid_sequence": (
        SOX2_RAW[: SOX2_RAW.find(b"QENPKMHNSE") + 5],
        "line 441",
        "page ends inside the sequence block",
    ),
    "front_matter_never_closed": (
        SOS2_RAW.replace(b"\ntitle: SOS2\n---", b"\ntitle: SOS2\n"),
        "line 1",
        "never closed",
    ),
    "invalid_yaml": (
        SOS2_RAW.replace(b"gene_type: protein-coding", b"gene_type: [protein-coding"),
        "line 13",
        "invalid YAML",
    ),
    "images_is_text": (
        SOS2_RAW.replace(b"images:\n- caption", b"images: not a list\nunused:\n- caption"),
        "field 'images'",
        "expected a list, got a text",
    ),
    "tfs_is_list": (
        SOX4_RAW.replace(b"tfs: 'ERG", b"tfs:\n- a\n- b\nunused: 'ERG"),
        "field 'tfs'",
        "expected text",
    ),
    "no_uniprot_accession": (
        SOX4_RAW.replace(b"uniprot_accession: Q06945\n", b""),
        "field 'uniprot_accession'",
        "required field is missing",
    ),
    "bad_accession": (
        SOX4_RAW.replace(b"uniprot_accession: Q06945\n", b"uniprot_accession: ../../etc/passwd\n"),
        "field 'uniprot_accession'",
        "not a UniProt accession",
    ),
    "entry_with_six_fields": (
        SOX4_RAW.replace(b"ERG,P11308,2078,TRRUST,", b"ERG,P11308,2078,"),
        "field 'tfs', entry 1",
        "expected 7 comma-separated fields",
    ),
    "fold_change_not_a_number": (
        SOX2_RAW.replace(b"Fold Change: 4.9295", b"Fold Change: high"),
        "line 18",
        "Fold Change 'high' is not a number",
    ),
    "fasta": (b">sp|P48431|SOX2_HUMAN\nMYNMMETELKPPGPQQ\n", "line 1", "unknown format"),
    "pdf": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "line 2", "not valid UTF-8"),
    "unknown_front_matter": (b"---\ntitle: a blog post\nauthor: me\n---\ntext\n", "front matter", "unknown format"),
    "yaml_alias_bomb": (
        b"---\nsymbol: X\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        + b"".join(
            f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n".encode()
            for p, c in zip("abcdefgh", "bcdefghi")
        )
        + b"images: []\n---\n",
        "line 3",  # the anchor that is used twice
        "YAML anchors and aliases",
    ),
    "deep_nesting": (b"---\nsymbol: X\nimages: " + b"[" * 20000 + b"]" * 20000 + b"\n---\n", "", "nested"),
    "front_matter_a_list": (b"---\n- a\n- b\n---\n", "line 2", "front matter is a list"),
    "gene_id_not_digits": (
        SOS2_RAW.replace(b"gene_id: '423572'", b"gene_id: 'x/../y'"),
        "field 'gene_id'",
        "not an NCBI gene id",
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_record_gives_one_clear_error(name, copy_record):
    data, where, problem = BROKEN[name]
    path = copy_record(SOX2, name=f"{name}.txt", data=data)
    with pytest.raises(RecordError) as info:
        parse_file(str(path))
    err = info.value
    assert err.path == str(path)
    assert where in err.where, err.message
    assert problem in err.problem, err.message
    assert "\n" not in err.message and err.message.startswith(str(path))


def test_utf16_with_bom_decodes_to_the_same_record(copy_record):
    path = copy_record(SOS2, data=b"\xff\xfe" + SOS2_RAW.decode("utf-8").encode("utf-16-le"))
    assert parse_file(str(path))["images"] == parse_file(str(SOS2))["images"]


def test_oversized_file_is_rejected_unread(copy_record):
    path = copy_record(SOS2, data=b"x" * 5000)
    with pytest.raises(RecordError, match="over the limit of 4096 bytes"):
        parse_file(str(path), max_bytes=4096)


def test_gzip_bomb_is_bounded(copy_record):
    import gzip

    path = copy_record(SOS2, name="bomb.md.gz", data=gzip.compress(b"---\n" + b"a" * 10_000_000))
    assert os.path.getsize(path) < 50_000
    with pytest.raises(RecordError, match="expands past the limit"):
        parse_file(str(path), max_bytes=1_000_000)


def test_truncated_gzip(copy_record):
    import gzip

    data = gzip.compress(SOX4_RAW)
    path = copy_record(SOX4, name="cut.gz", data=data[: len(data) // 2])
    with pytest.raises(RecordError, match="gzip"):
        parse_file(str(path))
