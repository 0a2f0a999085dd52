"""The cross-source view: one row per gene, and links between species through stated orthologs.

A *gene* is the set of accepted records of one organism that share an NCBI
gene id (records sharing any one id are merged, so a record with ids ``1;2``
joins the records with ``1`` and with ``2``). A record without an NCBI gene id
is a gene of its own. Nothing is joined on symbols inside a species.

Links across species come from the orthologs that records state (a GEISHA
page lists the human, mouse, ... Entrez and Ensembl ids of its gene; a TFLink
page lists UniProt accessions of orthologous proteins). A stated ortholog is
joined to every record of another species that carries one of its
identifiers (NCBI gene id, Ensembl gene id, UniProt accession: all three are
unique across species). Only when the stated ortholog and a record of the
stated species have no identifier of a common kind is a symbol compared
(ignoring case: ``SOX2``, ``Sox2``, ``sox2``); such a link has
``join_type=symbol``.

The records' summaries, which the map step writes, are in
:mod:`gene_records.gene_summaries`.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from .batches import partial_json
from .expression import stage_list
from .gene_summaries import ID_KINDS, RecordSummary, normalise_species
from .interaction_counts import count_interactions
from .tables import GENES, ORTHOLOG_LINKS, PROTEIN_CHECKS

log = logging.getLogger("gene_records")

# positions in a row of ortholog_links.tsv
_LINK_FROM, _LINK_TO, _LINK_TYPE = (ORTHOLOG_LINKS.index(c) for c in ("record_id", "linked_record_id", "join_type"))
# the id and name columns of interactions.tsv that name the TF and the target
INTERACTION_ID_COLUMNS = ("tf_uniprot", "target_uniprot", "tf_ncbi_gene_id", "target_ncbi_gene_id", "tf_name", "target_name")

# ------------------------------------------------------------------ genes


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def group_genes(summaries: list[RecordSummary]) -> list[list[int]]:
    """Records grouped into genes: same organism and a shared NCBI gene id.

    Returns lists of record indexes, one list per gene (in no particular order).
    """
    uf = _UnionFind(len(summaries))
    first: dict[tuple[str, str], int] = {}
    for i, s in enumerate(summaries):
        for gid in s.ids["ncbi_gene_id"]:
            key = (s.species, gid)
            if key in first:
                uf.union(first[key], i)
            else:
                first[key] = i
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(summaries)):
        groups[uf.find(i)].append(i)
    return list(groups.values())


def _id_sort_key(gid: str) -> tuple:
    return (0, int(gid), "") if gid.isdigit() else (1, 0, gid)


# ------------------------------------------------------------------ ortholog links


def _index(summaries: list[RecordSummary]) -> dict[str, dict[str, list[int]]]:
    index: dict[str, dict[str, list[int]]] = {k: defaultdict(list) for k in ID_KINDS}
    for i, s in enumerate(summaries):
        for kind in ID_KINDS:
            for value in s.ids[kind]:
                index[kind][value].append(i)
    return index


def link_orthologs(summaries: list[RecordSummary]) -> list[list]:
    """Rows of ortholog_links.tsv: one per (record, record of another species it links to)."""
    index = _index(summaries)
    by_symbol: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, s in enumerate(summaries):
        if s.symbol:
            by_symbol[(s.species, s.symbol.casefold())].append(i)

    species_of = {id(s): s.species for s in summaries}  # normalised once

    def other_species(a: RecordSummary, b: RecordSummary) -> bool:
        x, y = species_of[id(a)], species_of[id(b)]
        return not (x and y and x == y)

    links: dict[tuple[int, int], dict] = {}

    def add(i: int, j: int, species: str, kind: str, value: str) -> None:
        link = links.setdefault((i, j), {"species": set(), "ids": set()})
        link["species"].add(species)
        link["ids"].add((kind, value))

    for i, s in enumerate(summaries):
        for species, oids in s.orthologs:
            matched = False
            for kind in ID_KINDS:
                for value in oids[kind]:
                    for j in index[kind].get(value, ()):
                        if j != i and other_species(s, summaries[j]):
                            add(i, j, species, kind, value)
                            matched = True
            if matched or not s.symbol or not normalise_species(species):
                continue
            for j in by_symbol.get((normalise_species(species), s.symbol.casefold()), ()):
                t = summaries[j]
                if j == i or not other_species(s, t):
                    continue
                if any(oids[k] and t.ids[k] for k in ID_KINDS):
                    continue  # both state an id of one kind and they differ: not the same gene
                add(i, j, species, "symbol", s.symbol)

    kind_order = {k: n for n, k in enumerate((*ID_KINDS, "symbol"))}
    rows = []
    for (i, j), link in links.items():
        s, t = summaries[i], summaries[j]
        ids = sorted(link["ids"], key=lambda kv: (kind_order[kv[0]], _id_sort_key(kv[1])))
        if any(k != "symbol" for k, _ in ids):
            ids = [kv for kv in ids if kv[0] != "symbol"]
        kinds = []
        for k, _ in ids:
            if k not in kinds:
                kinds.append(k)
        rows.append(
            [
                s.record_id,
                s.source,
                s.symbol,
                s.organism,
                ";".join(sorted(link["species"])),
                t.record_id,
                t.source,
                t.symbol,
                t.organism,
                ";".join(kinds),
                ";".join(v for _, v in ids),
            ]
        )
    rows.sort(key=lambda r: (r[_LINK_FROM], r[_LINK_TO]))
    return rows


# ------------------------------------------------------------------ other stages' tables


def read_protein_status(path: str, record_gene: dict[str, int]) -> dict[int, set[str]]:
    """``{gene: {status, ...}}`` from protein_checks.tsv (``record_id``, ``status``)."""
    out: dict[int, set[str]] = defaultdict(set)
    with PROTEIN_CHECKS.read(path) as reader:
        rid, st = reader.col("record_id"), reader.col("status")
        for cells in reader:
            gene = record_gene.get(cells[rid])
            if gene is not None and cells[st]:
                out[gene].add(cells[st])
    return out


# ------------------------------------------------------------------ the step


def gene_rows(
    summaries: list[RecordSummary],
    groups: list[list[int]],
    tfs: dict[int, int],
    targets: dict[int, int],
    protein_status: dict[int, set[str]],
    linked: dict[int, set[str]],
) -> list[list]:
    """Rows of genes.tsv; ``groups[g]`` lists the record indexes of gene ``g``."""
    rows = []
    for g, members in enumerate(groups):
        recs = [summaries[i] for i in members]
        ncbi = sorted({gid for r in recs for gid in r.ids["ncbi_gene_id"]}, key=_id_sort_key)
        cells = [r for r in recs if r.cell_types is not None]
        insitu = [r for r in recs if r.insitu_images is not None]
        stages = set().union(*(r.insitu_stages for r in insitu)) if insitu else set()
        rows.append(
            [
                recs[0].species,
                ";".join(ncbi),
                ";".join(sorted({r.symbol for r in recs if r.symbol})),
                ";".join(sorted(r.record_id for r in recs)),
                ";".join(sorted({r.source for r in recs})),
                sum(r.cell_types for r in cells) if cells else None,
                sum(r.cell_types_positive_fc for r in cells) if cells else None,
                tfs.get(g, 0),
                targets.get(g, 0),
                sum(r.insitu_images for r in insitu) if insitu else None,
                stage_list(stages) if insitu else "",
                ";".join(sorted(protein_status.get(g, ()))),
                len(linked.get(g, ())),
            ]
        )
    rows.sort(key=lambda r: (r[0], _id_sort_key(r[1].split(";")[0]) if r[1] else (2, 0, ""), r[3]))
    return rows


def link_genes(
    gene_summaries: list[str],
    indexes: list[str],
    protein_checks: str,
    interactions: str,
    genes: str,
    ortholog_links: str,
) -> None:
    """Write genes.tsv (one row per gene and species) and ortholog_links.tsv.

    Reads the batches' record summaries (rule parse_records, the map), in batch order,
    results/qc/protein_checks.tsv (record_id, status) and
    results/tables/interactions.tsv (tf_uniprot, target_uniprot,
    tf_ncbi_gene_id, target_ncbi_gene_id, tf_name, target_name; streamed).
    """
    summaries = [RecordSummary.from_dict(d) for d in partial_json(gene_summaries, indexes)]
    groups = group_genes(summaries)
    # deterministic gene numbering: by the smallest record id of each gene
    groups = sorted(
        (sorted(m, key=lambda i: summaries[i].record_id) for m in groups), key=lambda m: summaries[m[0]].record_id
    )
    gene_of = {}
    for g, members in enumerate(groups):
        for i in members:
            gene_of[i] = g
    record_gene = {summaries[i].record_id: g for i, g in gene_of.items()}
    by_uniprot: dict[str, list[int]] = defaultdict(list)
    by_ncbi: dict[str, list[int]] = defaultdict(list)
    for g, members in enumerate(groups):
        for i in members:
            for acc in summaries[i].ids["uniprot_accession"]:
                if g not in by_uniprot[acc]:
                    by_uniprot[acc].append(g)
            for gid in summaries[i].ids["ncbi_gene_id"]:
                if g not in by_ncbi[gid]:
                    by_ncbi[gid].append(g)

    links = link_orthologs(summaries)
    linked: dict[int, set[str]] = defaultdict(set)
    for row in links:
        a, b = record_gene[row[_LINK_FROM]], record_gene[row[_LINK_TO]]
        linked[a].add(row[_LINK_TO])
        linked[b].add(row[_LINK_FROM])

    tfs, targets = count_interactions(interactions, by_uniprot, by_ncbi)
    status = read_protein_status(protein_checks, record_gene)
    rows = gene_rows(summaries, groups, tfs, targets, status, linked)
    GENES.write(genes, rows)
    ORTHOLOG_LINKS.write(ortholog_links, links)
    log.info(
        "%d records, %d genes, %d ortholog links (%d by symbol only)",
        len(summaries),
        len(rows),
        len(links),
        sum(1 for r in links if r[_LINK_TYPE] == "symbol"),
    )
