"""GEISHA chicken in-situ gene pages (Markdown with YAML front matter)."""

from __future__ import annotations

from .errors import RecordError
from .frontmatter import type_name
from .ids import missing_to_empty

DEFAULT_SPECIES = "Gallus gallus"  # GEISHA is the chicken in situ database

_KNOWN = {
    "title",
    "symbol",
    "name",
    "species",
    "gene_id",
    "ncbi_id",
    "cgnc_id",
    "gene_type",
    "aliases",
    "external_ids",
    "images",
    "orthologs",
    "sources",
    "forward_primer",
    "reverse_primer",
    "template_length",
    "papers",
}
_IMAGE_KEYS = ("stage", "location", "caption", "image_url", "thumbnail_url", "source", "source_label")


def is_geisha(fm: dict) -> bool:
    return any(k in fm for k in ("images", "gene_id", "cgnc_id", "ncbi_id")) or (
        "symbol" in fm and "uniprot_accession" not in fm
    )


def _text(path, value, where) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        raise RecordError(path, where, f"expected text, got a {type_name(value)}")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _list(path, value, where) -> list:
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        raise RecordError(path, where, f"expected a list, got a {type_name(value)}")
    return value


def _mapping(path, value, where) -> dict:
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise RecordError(path, where, f"expected key: value pairs, got a {type_name(value)}")
    return value


# Lower-case qualifiers that GEISHA writes after a comma inside one anatomy
# term ("Endoderm, early", "Mesoderm, early"): they belong to the term before
# them and are never locations of their own.
LOCATION_QUALIFIERS = frozenset({"early", "late"})


def join_location_terms(parts) -> list[str]:
    """Comma-split location parts -> GEISHA terms: parts are stripped, empty
    ones dropped, and a qualifier (``early``, ``late``) is joined back to the
    term before it: ``['Endoderm', 'early', 'Heart']`` ->
    ``['Endoderm, early', 'Heart']``. The one home of this rule (the parser
    and the expression tables both use it)."""
    out: list[str] = []
    for part in parts:
        part = str(part).strip()
        if not part:
            continue
        if part in LOCATION_QUALIFIERS and out:
            out[-1] = f"{out[-1]}, {part}"
        else:
            out.append(part)
    return out


def split_locations(location) -> list[str]:
    """``'Epiblast, Primitive Streak'`` -> ``['Epiblast', 'Primitive Streak']``;
    ``'Endoderm, early, Heart'`` -> ``['Endoderm, early', 'Heart']``."""
    if location is None:
        return []
    return join_location_terms(str(location).split(","))


def parse(path: str, fm: dict, body: str) -> dict:
    symbol = _text(path, fm.get("symbol"), "field 'symbol'") or _text(path, fm.get("title"), "field 'title'")
    if not symbol:
        raise RecordError(path, "field 'symbol'", "required field is missing (and no 'title' either)")
    images = []
    for i, img in enumerate(_list(path, fm.get("images"), "field 'images'"), start=1):
        where = f"field 'images', item {i}"
        if not isinstance(img, dict):
            raise RecordError(path, where, f"expected key: value pairs, got a {type_name(img)}")
        location = img.get("location")
        location = None if location is None else _text(path, location, where + ", 'location'")
        entry = {k: _text(path, img.get(k), f"{where}, '{k}'") for k in _IMAGE_KEYS if k != "location"}
        entry["location"] = location
        entry["locations"] = split_locations(location)
        extra = {k: v for k, v in img.items() if k not in _IMAGE_KEYS}
        if extra:
            entry["extra"] = extra
        images.append(entry)

    orthologs = []
    for i, o in enumerate(_list(path, fm.get("orthologs"), "field 'orthologs'"), start=1):
        if not isinstance(o, dict):
            raise RecordError(path, f"field 'orthologs', item {i}", f"expected key: value pairs, got a {type_name(o)}")
        where = f"field 'orthologs', item {i}"
        orthologs.append(
            {
                "species": _text(path, o.get("species"), where),
                "ncbi_gene_id": missing_to_empty(_text(path, o.get("entrez"), where)),
                "ensembl_gene_id": missing_to_empty(_text(path, o.get("ensembl"), where)),
                "uniprot_accession": "",
                "mod_id": _text(path, o.get("mod"), where),
                "phenotypes": _text(path, o.get("phenotypes"), where),
            }
        )

    citations = []
    for i, p in enumerate(_list(path, fm.get("papers"), "field 'papers'"), start=1):
        if not isinstance(p, dict):
            raise RecordError(path, f"field 'papers', item {i}", f"expected key: value pairs, got a {type_name(p)}")
        citations.append(
            {
                "pubmed_id": _text(path, p.get("pubmed_id"), f"field 'papers', item {i}"),
                "title": _text(path, p.get("title"), f"field 'papers', item {i}"),
                "doi": _text(path, p.get("doi"), f"field 'papers', item {i}"),
                "authors": _text(path, p.get("authors"), f"field 'papers', item {i}"),
                "year": _text(path, p.get("publication_date"), f"field 'papers', item {i}"),
                "url": _text(path, p.get("url"), f"field 'papers', item {i}"),
            }
        )

    gene_id = missing_to_empty(_text(path, fm.get("gene_id"), "field 'gene_id'"))
    ncbi_id = missing_to_empty(_text(path, fm.get("ncbi_id"), "field 'ncbi_id'"))
    for key, value in (("gene_id", gene_id), ("ncbi_id", ncbi_id)):
        if value and not value.isdigit():
            raise RecordError(path, f"field '{key}'", f"{value[:40]!r} is not an NCBI gene id (digits)")
    aliases = [_text(path, a, "field 'aliases'") for a in _list(path, fm.get("aliases"), "field 'aliases'")]
    return {
        "symbol": symbol,
        "name": _text(path, fm.get("name"), "field 'name'"),
        "organism": _text(path, fm.get("species"), "field 'species'") or DEFAULT_SPECIES,
        "ncbi_gene_id": gene_id or ncbi_id,
        "ensembl_gene_id": "",
        "uniprot_accession": "",
        "aliases": aliases,
        "cgnc_id": _text(path, fm.get("cgnc_id"), "field 'cgnc_id'"),
        "gene_type": _text(path, fm.get("gene_type"), "field 'gene_type'"),
        "external_ids": {
            str(k): _text(path, v, f"field 'external_ids', '{k}'")
            for k, v in _mapping(path, fm.get("external_ids"), "field 'external_ids'").items()
        },
        "images": images,
        "orthologs": orthologs,
        "probe": {
            "forward_primer": _text(path, fm.get("forward_primer"), "field 'forward_primer'"),
            "reverse_primer": _text(path, fm.get("reverse_primer"), "field 'reverse_primer'"),
            "template_length": _text(path, fm.get("template_length"), "field 'template_length'"),
        },
        "sources": _list(path, fm.get("sources"), "field 'sources'"),
        "citations": citations,
        "body": body.strip(),
        "extra": {k: v for k, v in fm.items() if k not in _KNOWN},
    }
