"""TFLink protein pages (Markdown with YAML front matter)."""

from __future__ import annotations

import csv
import functools
import json

from .errors import RecordError
from .frontmatter import type_name
from .ids import is_uniprot, missing_to_empty, parse_pubmed_ids, split_ids, split_list, strip_link

ENTRY_FIELDS = (
    "name",
    "uniprot",
    "ncbi_gene_ids",
    "source_databases",
    "detection_methods",
    "pubmed_ids",
    "small_scale_evidence",
)

_KNOWN = {
    "type",
    "layout",
    "title",
    "protein_name",
    "uniprot_accession",
    "ncbi_gene_id",
    "organism",
    "function",
    "number_of_interactions",
    "orthologs",
    "jaspar_matrices",
    "tfs",
    "targets",
    "tfs_download",
    "targets_download",
    "binding_sites",
}


def is_tflink(fm: dict) -> bool:
    return (
        fm.get("layout") == "protein"
        or fm.get("type") == "protein"
        or "uniprot_accession" in fm
        or ("tfs" in fm and "targets" in fm)
    )


def _text(path, fm, key, required=False) -> str:
    value = fm.get(key)
    if value is None or value == "":
        if required:
            raise RecordError(path, f"field '{key}'", "required field is missing or empty")
        return ""
    if isinstance(value, bool) or isinstance(value, (list, dict)):
        raise RecordError(path, f"field '{key}'", f"expected text, got a {type_name(value)}")
    return str(value).strip()


def parse_entries(path: str, key: str, value) -> list[dict]:
    """Split a ``tfs``/``targets`` value into interaction entries.

    YAML has already folded long entries back onto one line; entries are
    separated by the newlines that blank lines of the page become.
    """
    if value is None or value == "":
        return []
    if isinstance(value, (list, dict, bool)):
        raise RecordError(path, f"field '{key}'", f"expected text (one entry per line), got a {type_name(value)}")
    entries = []
    lines = [ln for ln in str(value).split("\n") if ln.strip()]
    for i, fields in enumerate(csv.reader(lines), start=1):
        if len(fields) != 7:
            raise RecordError(
                path,
                f"field '{key}', entry {i}",
                f"expected 7 comma-separated fields (name, UniProt, NCBI gene id, sources, "
                f"methods, PubMed ids, small-scale evidence), found {len(fields)}",
            )
        name, acc, ncbi, sources, methods, pmids, small = (f.strip() for f in fields)
        acc = missing_to_empty(acc)
        if not acc:
            raise RecordError(path, f"field '{key}', entry {i}", "UniProt accession is empty")
        entries.append(
            {
                "name": "" if name == "-" else name,
                "uniprot": acc,
                "ncbi_gene_ids": split_ids(ncbi),
                "source_databases": list(_term_set(sources)),
                "detection_methods": list(_term_set(methods)),
                "pubmed_ids": list(_pubmed_ids(pmids)),
                "small_scale_evidence": small,
            }
        )
    return entries


# The same source, method and PubMed texts repeat across the entries of a page
# and across pages (e.g. "GTRD", "chromatin immunoprecipitation assay",
# "27924024%5Buid%5D"): parsed once each. Pure functions of the text, returning
# tuples that every entry copies into its own list.
@functools.lru_cache(maxsize=4096)
def _term_set(text: str) -> tuple[str, ...]:
    return tuple(sorted(set(split_list(text, ";"))))


@functools.lru_cache(maxsize=4096)
def _pubmed_ids(text: str) -> tuple[str, ...]:
    return tuple(parse_pubmed_ids(text))


def parse_orthologs(path: str, value) -> list[dict]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            data = json.loads(value)
        except json.JSONDecodeError as exc:
            raise RecordError(path, "field 'orthologs'", f"not valid JSON ({exc.msg} at character {exc.pos})") from None
    else:
        data = value
    if not isinstance(data, list):
        raise RecordError(path, "field 'orthologs'", f"expected a list, got a {type_name(data)}")
    out = []
    for i, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise RecordError(path, f"field 'orthologs', item {i}", f"expected a mapping, got a {type_name(item)}")
        ids = item.get("id", [])
        if isinstance(ids, str):
            ids = [ids]
        if not isinstance(ids, list):
            raise RecordError(path, f"field 'orthologs', item {i}", "'id' is not a list")
        for raw in ids:
            acc = strip_link(str(raw))
            if acc:
                out.append(
                    {
                        "species": str(item.get("species", "") or ""),
                        "uniprot_accession": acc,
                        "ncbi_gene_id": "",
                        "ensembl_gene_id": "",
                    }
                )
    return out


def _list_field(path, fm, key) -> list[str]:
    value = fm.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return split_list(value, ",")
    raise RecordError(path, f"field '{key}'", f"expected a list or text, got a {type_name(value)}")


def parse(path: str, fm: dict, body: str) -> dict:
    acc = _text(path, fm, "uniprot_accession", required=True).upper()
    if not is_uniprot(acc):
        raise RecordError(path, "field 'uniprot_accession'", f"{acc[:40]!r} is not a UniProt accession")
    n_inter = _text(path, fm, "number_of_interactions")
    if n_inter and not n_inter.isdigit():
        raise RecordError(path, "field 'number_of_interactions'", f"{n_inter[:40]!r} is not a whole number")
    binding = fm.get("binding_sites")
    binding_sites = []
    if binding:
        if not isinstance(binding, str):
            raise RecordError(path, "field 'binding_sites'", f"expected text, got a {type_name(binding)}")
        binding_sites = [row for row in csv.reader(ln for ln in binding.split("\n") if ln.strip())]
    ncbi = split_ids(_text(path, fm, "ncbi_gene_id"))
    return {
        "symbol": missing_to_empty(_text(path, fm, "protein_name")),
        "name": missing_to_empty(_text(path, fm, "protein_name")),
        "organism": _text(path, fm, "organism"),
        "ncbi_gene_id": ";".join(ncbi),
        "ensembl_gene_id": "",
        "uniprot_accession": acc,
        "aliases": [],
        "function": _text(path, fm, "function"),
        "number_of_interactions": int(n_inter) if n_inter else None,
        "orthologs": parse_orthologs(path, fm.get("orthologs")),
        "jaspar_matrices": _list_field(path, fm, "jaspar_matrices"),
        "tfs": parse_entries(path, "tfs", fm.get("tfs")),
        "targets": parse_entries(path, "targets", fm.get("targets")),
        "tfs_download": _text(path, fm, "tfs_download"),
        "targets_download": _text(path, fm, "targets_download"),
        "binding_sites": binding_sites,
        "citations": [],
        "body": body.strip(),
        "extra": {k: v for k, v in fm.items() if k not in _KNOWN},
    }
