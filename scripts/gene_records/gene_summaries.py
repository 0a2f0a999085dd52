"""What the gene view needs of each record: its summary (ids, stated
orthologs, expression counts), written by the map step of each parse batch.

:func:`summarise` makes a record's :class:`RecordSummary`; :func:`write_summaries`
writes a batch's summaries (one JSON line each), which ``link_genes``
(:mod:`gene_records.genes`) reads back with :meth:`RecordSummary.from_dict`.
The map step imports this module and not :mod:`gene_records.genes`: an edit
to the linking does not re-parse the records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .errors import RecordError
from .expression import hh_stage
from .ids import split_ids
from .io import AtomicWriter

# Identifier kinds a stated ortholog can carry, in the order join_type lists them.
ID_KINDS = ("ncbi_gene_id", "ensembl_gene_id", "uniprot_accession")

# Common names that pages use for species (GEISHA: Human, Mouse, Xenopus,
# Zebrafish, Fruit Fly) and the scientific names that records use.
SPECIES_NAMES = {
    "human": "Homo sapiens",
    "mouse": "Mus musculus",
    "rat": "Rattus norvegicus",
    "zebrafish": "Danio rerio",
    # GEISHA's Xenopus orthologs carry Ensembl ids of X. tropicalis (ENSXETG...).
    "xenopus": "Xenopus tropicalis",
    "frog": "Xenopus tropicalis",
    "fruit fly": "Drosophila melanogaster",
    "fly": "Drosophila melanogaster",
    "chicken": "Gallus gallus",
    "worm": "Caenorhabditis elegans",
    "c. elegans": "Caenorhabditis elegans",
    "yeast": "Saccharomyces cerevisiae",
    "baker's yeast": "Saccharomyces cerevisiae",
}


def normalise_species(name) -> str:
    """``Human`` -> ``Homo sapiens``; scientific names and unknown names kept as written."""
    text = " ".join(str(name or "").split())
    return SPECIES_NAMES.get(text.lower(), text)


@dataclass
class RecordSummary:
    """What the gene view needs of one record (a few hundred bytes)."""

    record_id: str
    source: str
    symbol: str
    organism: str
    ids: dict[str, list[str]]  # kind -> ids
    orthologs: list[tuple[str, dict[str, list[str]]]]  # (species as stated, kind -> ids)
    cell_types: int | None = None
    cell_types_positive_fc: int | None = None
    insitu_images: int | None = None
    insitu_stages: set = field(default_factory=set)

    @property
    def species(self) -> str:
        return normalise_species(self.organism)

    def to_json(self) -> str:
        """One line of a batch's gene summaries (the stages sorted, as text)."""
        d = dict(vars(self))
        d["insitu_stages"] = sorted(self.insitu_stages, key=lambda s: (isinstance(s, str), s))
        return json.dumps(d, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, d: dict) -> "RecordSummary":
        return cls(
            record_id=d["record_id"],
            source=d["source"],
            symbol=d["symbol"],
            organism=d["organism"],
            ids=d["ids"],
            orthologs=[(species, ids) for species, ids in d["orthologs"]],
            cell_types=d["cell_types"],
            cell_types_positive_fc=d["cell_types_positive_fc"],
            insitu_images=d["insitu_images"],
            insitu_stages=set(d["insitu_stages"]),
        )


def _record_uniprots(rec: dict) -> list[str]:
    accs = split_ids(rec.get("uniprot_accession"), ";,")
    protein = rec.get("protein") or {}
    if isinstance(protein, dict):
        for acc in [protein.get("uniprot_accession"), *(protein.get("accessions") or [])]:
            for a in split_ids(acc, ";,"):
                if a not in accs:
                    accs.append(a)
    return accs


def summarise(rec: dict) -> RecordSummary:
    """The summary of one parsed record."""
    ids = {
        "ncbi_gene_id": split_ids(rec.get("ncbi_gene_id"), ";"),
        "ensembl_gene_id": split_ids(rec.get("ensembl_gene_id"), ";"),
        "uniprot_accession": _record_uniprots(rec),
    }
    orthologs = []
    for o in rec.get("orthologs") or []:
        if not isinstance(o, dict):
            raise RecordError(rec.get("source_file", rec["record_id"]), "orthologs", f"entry is not a mapping: {o!r}")
        orthologs.append((str(o.get("species") or ""), {k: split_ids(o.get(k), ";,") for k in ID_KINDS}))
    s = RecordSummary(
        record_id=rec["record_id"],
        source=rec.get("source", ""),
        symbol=rec.get("symbol") or "",
        organism=rec.get("organism") or "",
        ids=ids,
        orthologs=orthologs,
    )
    if "cell_expression" in rec:
        cells = rec.get("cell_expression") or []
        s.cell_types = len({(c.get("cell_ontology_id"), c.get("cell_name")) for c in cells})
        s.cell_types_positive_fc = len(
            {(c.get("cell_ontology_id"), c.get("cell_name")) for c in cells if (c.get("fold_change") or 0) > 0}
        )
    if "images" in rec:
        images = rec.get("images") or []
        # an image listed twice on a page (same url, stage and location) counts once
        s.insitu_images = len({(im.get("image_url"), im.get("stage"), im.get("location")) for im in images})
        for im in images:
            stage = "" if im.get("stage") is None else str(im.get("stage"))
            hh = hh_stage(stage)
            s.insitu_stages.add(hh if hh is not None else stage)
    return s


def write_summaries(records: list[dict], path: str) -> None:
    """The map step's part: the summary of each of a batch's records, in order."""
    with AtomicWriter(path) as fh:
        for rec in records:
            fh.write(summarise(rec).to_json() + "\n")
