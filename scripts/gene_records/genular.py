"""Genular gene pages (plain text, as saved from genular.org)."""

from __future__ import annotations

import re

from .errors import RecordError
from .ids import missing_to_empty, normalise_cell_ontology_id

MARKER = "Details for:"

# UniProt entry-name suffixes of the organisms Genular and TFLink cover.
_MNEMONIC_ORGANISM = {
    "HUMAN": "Homo sapiens",
    "MOUSE": "Mus musculus",
    "RAT": "Rattus norvegicus",
    "DANRE": "Danio rerio",
    "CHICK": "Gallus gallus",
    "DROME": "Drosophila melanogaster",
    "CAEEL": "Caenorhabditis elegans",
    "YEAST": "Saccharomyces cerevisiae",
}

_KV = re.compile(r"^([A-Za-z][A-Za-z0-9 /()'-]*?):\s*(.*)$")
_CELL = re.compile(r"^(?:[•*-]\s*)?Cell Name:\s*(.*?)\s*\(([A-Za-z]+:?_?\d+)\)\s*$")
_BULLET = re.compile(r"^[•*-]\s*")
# Sequence lines: only the page's own bullet is layout; '*' or '-' there is data
# (a stop or gap character) that protein QC must see.
_SEQ_BULLET = re.compile(r"^•\s*")
_GLOSSARY = ("Cell ID:", "Fold Change:", "Cell Significance Index:")


def is_genular(text: str) -> bool:
    return text.lstrip().startswith(MARKER)


def _number(path, lineno, label, value) -> float:
    try:
        x = float(value)
    except ValueError:
        raise RecordError(path, f"line {lineno}", f"{label} {value!r} is not a number") from None
    if x != x or x in (float("inf"), float("-inf")):
        raise RecordError(path, f"line {lineno}", f"{label} {value!r} is not a finite number")
    return x


def parse(path: str, text: str) -> dict:
    """Parse a Genular page into the record dict (without the common keys)."""
    lines = text.split("\n")
    head: dict[str, str] = {}
    cells: list[dict] = []
    other: list[str] = []
    protein: dict = {}
    citations: list[dict] = []
    seq_parts: list[str] = []
    section = "head"
    current_cell = None
    cell_line = 0
    list_key = None
    seen_trailer = False

    def close_cell():
        nonlocal current_cell
        if current_cell is not None:
            missing = [k for k in ("fold_change", "cell_significance_index") if k not in current_cell]
            if missing:
                raise RecordError(
                    path,
                    f"line {cell_line}",
                    f"cell type {current_cell['cell_name']!r} has no "
                    + " and no ".join(m.replace("_", " ") for m in missing)
                    + " (truncated file?)",
                )
            cells.append(current_cell)
            current_cell = None

    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if section == "head":
            if not line:
                continue
            if line.startswith(MARKER) and "title" not in head:
                head["title"] = line[len(MARKER):].strip()
                continue
            if line == "Associated with":
                section = "assoc"
                continue
            m = _KV.match(line)
            if not m:
                raise RecordError(path, f"line {lineno}", f"expected 'Key: value', found {line[:60]!r}")
            head[m.group(1)] = m.group(2).strip()
            continue
        if section == "assoc":
            if not line or line.startswith("Cells (") or line.startswith("(Cell Significance"):
                continue
            section = "cells"
        if section == "cells":
            if line == "Other Information":
                close_cell()
                section = "other"
                continue
            if not line:
                continue
            m = _CELL.match(line)
            if m:
                close_cell()
                current_cell = {
                    "cell_name": m.group(1),
                    "cell_ontology_id": normalise_cell_ontology_id(m.group(2)),
                }
                cell_line = lineno
                continue
            if raw[:1] not in (" ", "\t") and line.startswith(_GLOSSARY):
                close_cell()  # the glossary after the list: boilerplate
                continue
            if current_cell is not None and line.startswith("Fold Change:"):
                current_cell["fold_change"] = _number(
                    path, lineno, "Fold Change", line.split(":", 1)[1].strip()
                )
                continue
            if current_cell is not None and line.startswith("Cell Significance Index:"):
                current_cell["cell_significance_index"] = _number(
                    path, lineno, "Cell Significance Index", line.split(":", 1)[1].strip()
                )
                continue
            raise RecordError(path, f"line {lineno}", f"unexpected line in the cell list: {line[:60]!r}")
        if section == "other":
            if line.startswith("Genular Protein ID:"):
                section = "protein"
            else:
                if line:
                    other.append(line)
                continue
        if section == "protein":
            if line == "Citations:":
                section = "citations"
                list_key = None
                continue
            if line == "Sequence Information:":
                section = "sequence"
                continue
            if line.startswith("Database document:"):
                seen_trailer = True
                break
            if not line:
                continue
            m = _KV.match(line)
            if m and not _BULLET.match(line):
                key, value = m.group(1), m.group(2).strip()
                if key == "UniProtKB Accession Codes":
                    list_key = "accessions"
                    protein["accessions"] = _split_codes(value)
                elif key == "Database IDs":
                    list_key = "database_ids"
                    protein["database_ids"] = _split_codes(value)
                else:
                    list_key = None
                    protein[_protein_key(key)] = value
                continue
            if list_key:
                protein[list_key].extend(_split_codes(_BULLET.sub("", line)))
                continue
            raise RecordError(path, f"line {lineno}", f"unexpected line in the protein block: {line[:60]!r}")
        if section == "citations":
            if line == "Sequence Information:":
                section = "sequence"
                continue
            if not line:
                continue
            m = _KV.match(line)
            if not m:
                raise RecordError(path, f"line {lineno}", f"unexpected line in citations: {line[:60]!r}")
            _add_citation(citations, m.group(1), m.group(2).strip())
            continue
        if section == "sequence":
            if line.startswith("Database document:"):
                seen_trailer = True
                break
            body = _SEQ_BULLET.sub("", line)
            m = re.match(r"^(Length|Mass|Checksum|Sequence):\s*(.*)$", body)
            if m:
                key = m.group(1).lower()
                if key == "sequence":
                    seq_parts.append(m.group(2))
                else:
                    protein["stated_" + ("crc64" if key == "checksum" else key)] = m.group(2).strip()
                section = "sequence_body" if key == "sequence" else "sequence"
                continue
            if line:
                raise RecordError(path, f"line {lineno}", f"unexpected line in sequence information: {line[:60]!r}")
            continue
        if section == "sequence_body":
            if line.startswith("Database document:"):
                seen_trailer = True
                break
            if not line:
                section = "sequence"
                continue
            seq_parts.append(_SEQ_BULLET.sub("", line))
            continue

    if section in ("head", "assoc"):
        raise RecordError(path, f"line {len(lines)}", "page ends before the 'Associated with' section (truncated?)")
    if section == "cells":
        raise RecordError(path, f"line {len(lines)}", "page ends inside the cell list (truncated?)")
    if seq_parts or section in ("sequence", "sequence_body"):
        if not seen_trailer:
            raise RecordError(
                path,
                f"line {len(lines)}",
                "page ends inside the sequence block, before 'Database document:' (truncated?)",
            )

    seen: dict[tuple[str, str], dict] = {}
    for cell in cells:
        key = (cell["cell_ontology_id"], cell["cell_name"])
        if key in seen and seen[key] != cell:
            raise RecordError(
                path,
                f"cell type {cell['cell_name']!r} ({cell['cell_ontology_id']})",
                "listed twice with different values",
            )
        seen[key] = cell
    gene_id = missing_to_empty(head.get("Gene ID"))
    symbol = missing_to_empty(head.get("Symbol"))
    if not gene_id and not symbol:
        raise RecordError(path, "line 3", "required field 'Gene ID' (or 'Symbol') is missing")
    if gene_id and not gene_id.isdigit():
        raise RecordError(path, "field 'Gene ID'", f"{gene_id!r} is not an NCBI gene id (digits)")

    out_protein = None
    if protein or seq_parts:
        entry_name = protein.get("entry_name", "")
        accessions = protein.get("accessions", [])
        out_protein = {
            "genular_protein_id": protein.get("genular_protein_id", ""),
            "entry_name": entry_name,
            "name": protein.get("name", ""),
            "accessions": accessions,
            "uniprot_accession": accessions[0] if accessions else "",
            "database_ids": protein.get("database_ids", []),
            "stated_length": protein.get("stated_length", ""),
            "stated_mass_da": protein.get("stated_mass", ""),
            "stated_crc64": protein.get("stated_crc64", ""),
            # normalised: white space removed, nothing else changed
            "sequence": "".join("".join(seq_parts).split()),
        }
        extra = {k: v for k, v in protein.items() if k not in _PROTEIN_KNOWN}
        if extra:
            out_protein["other_fields"] = extra

    organism = ""
    if out_protein and "_" in out_protein["entry_name"]:
        organism = _MNEMONIC_ORGANISM.get(out_protein["entry_name"].rsplit("_", 1)[1].upper(), "")

    known_head = {"title", "Gene ID", "Symbol", "Ensembl ID", "Description"}
    return {
        "symbol": symbol or head.get("title", ""),
        "name": head.get("Description", ""),
        "organism": organism,
        "ncbi_gene_id": gene_id,
        "ensembl_gene_id": missing_to_empty(head.get("Ensembl ID")),
        "uniprot_accession": out_protein["uniprot_accession"] if out_protein else "",
        "aliases": [],
        "cell_expression": cells,
        "other_information": "\n".join(other),
        "protein": out_protein,
        "citations": citations,
        "orthologs": [],
        "extra": {k: v for k, v in head.items() if k not in known_head},
    }


_PROTEIN_KNOWN = {
    "genular_protein_id",
    "entry_name",
    "name",
    "accessions",
    "database_ids",
    "stated_length",
    "stated_mass",
    "stated_crc64",
}


def _protein_key(key: str) -> str:
    return {
        "Genular Protein ID": "genular_protein_id",
        "Symbol": "entry_name",
        "Name": "name",
    }.get(key, key)


def _split_codes(value: str) -> list[str]:
    return [p for p in re.split(r"[\s,;]+", value) if p]


def _add_citation(citations: list[dict], key: str, value: str) -> None:
    cur = citations[-1] if citations else None
    if key == "PubMed ID":
        if cur is not None and cur["pubmed_id"] == value:
            return
        if cur is not None and not cur["pubmed_id"] and not cur["doi"]:
            cur["pubmed_id"] = value
            return
        citations.append({"pubmed_id": value, "title": "", "doi": ""})
    elif key == "Title":
        if cur is None or cur["title"]:
            citations.append({"pubmed_id": "", "title": value, "doi": ""})
        else:
            cur["title"] = value
    elif key == "DOI":
        if cur is None or cur["doi"]:
            citations.append({"pubmed_id": "", "title": "", "doi": value})
        else:
            cur["doi"] = value
