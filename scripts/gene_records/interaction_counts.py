"""How many distinct TFs and targets each gene has, from interactions.tsv.

The gene view (:mod:`gene_records.genes`) counts, per gene, the distinct
partners its interactions name. interactions.tsv has millions of rows, so the
table is read column-wise (pyarrow's CSV reader, a block at a time) and each
distinct partner (accession, NCBI ids, name) is resolved once in Python; the
per-row work (which gene, which partner) is numpy's.
"""

from __future__ import annotations

import logging
from collections import defaultdict

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .errors import RecordError
from .ids import split_ids
from .tables import INTERACTIONS

log = logging.getLogger("gene_records")

# the id and name columns of interactions.tsv that name the TF and the target
INTERACTION_ID_COLUMNS = ("tf_uniprot", "target_uniprot", "tf_ncbi_gene_id", "target_ncbi_gene_id", "tf_name", "target_name")
_SEP = "\x1f"  # never in a cell (gene_records.io.format_cell keeps cells to one line of text)
_BLOCK = 4 << 20


class _Partners:
    """Distinct partners (accession, NCBI ids, name), each with its genes and
    its code: a partner that is one of our genes is that gene (>= 0), however
    a row names it; any other partner gets a negative code for its id."""

    def __init__(self, by_uniprot: dict[str, list[int]], by_ncbi: dict[str, list[int]]):
        self.by_uniprot, self.by_ncbi = by_uniprot, by_ncbi
        self.index: dict[str, int] = {}
        self.genes: list[tuple[int, ...]] = []
        self.codes: list[int] = []
        self.one_gene: list[int] = []  # the gene when there is exactly one, -1 for none, -2 for several
        self._keys: dict[tuple, int] = {}

    def _genes_of(self, uniprot: str, ncbi: str):
        found = self.by_uniprot.get(uniprot, ()) if uniprot else ()
        if not ncbi:
            return found
        if ";" in ncbi or "," in ncbi:
            by_id = [g for gid in split_ids(ncbi, ";,") for g in self.by_ncbi.get(gid, ())]
        else:
            by_id = self.by_ncbi.get(ncbi, ())
        if not by_id:
            return found
        return set(found).union(by_id) if found else by_id

    def codes_of(self, triples: list[str]) -> np.ndarray:
        """The partner numbers of ``accession SEP ids SEP name`` texts."""
        out = np.empty(len(triples), dtype=np.int64)
        for k, text in enumerate(triples):
            n = self.index.get(text)
            if n is None:
                uniprot, ncbi, name = text.split(_SEP)
                genes = self._genes_of(uniprot, ncbi)
                if genes:
                    key = ("genes", *sorted(set(genes))) if len(genes) > 1 else None
                    code = next(iter(genes)) if key is None else self._keys.setdefault(key, -1 - len(self._keys))
                else:
                    key = ("uniprot", uniprot) if uniprot else (("ncbi", ncbi) if ncbi else ("name", name))
                    code = self._keys.setdefault(key, -1 - len(self._keys))
                n = self.index[text] = len(self.genes)
                self.genes.append(tuple(genes))
                self.codes.append(code)
                self.one_gene.append(next(iter(genes)) if len(genes) == 1 else (-1 if not genes else -2))
            out[k] = n
        return out


def _triples(batch: pa.RecordBatch, uniprot: str, ncbi: str, name: str) -> tuple[np.ndarray, list[str]]:
    """Per row, the number of its distinct partner text in this block; and those texts."""
    joined = pc.binary_join_element_wise(batch[uniprot], batch[ncbi], batch[name], _SEP)
    encoded = pc.dictionary_encode(joined)
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()


def count_interactions(
    path: str, by_uniprot: dict[str, list[int]], by_ncbi: dict[str, list[int]]
) -> tuple[dict[int, int], dict[int, int]]:
    """Distinct TFs and targets of each gene, from interactions.tsv (streamed).

    A row names a gene when its UniProt accession is one of the gene's, or
    one of its NCBI gene ids is (NCBI gene ids are unique across species).
    A partner is counted once: as the gene it is when it is one of ours (by
    either identifier), else by its UniProt accession (else its NCBI ids, else
    its name). Returns ``(tfs, targets)``: ``{gene: number of partners}``.
    """
    with INTERACTIONS.read(path) as reader:  # the header, checked; the widths are checked below
        header = reader.header
    tu, gu, tn, gn, tname, gname = INTERACTION_ID_COLUMNS
    partners = _Partners(by_uniprot, by_ncbi)
    multi: list[tuple[int, int, int]] = []  # (role, genes' partner number, other partner number)
    n = 0
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=_BLOCK, column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False, escape_char=False),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(INTERACTION_ID_COLUMNS),
                column_types={c: pa.string() for c in header},
                strings_can_be_null=False,
            ),
        )
        # per role (0: the TFs of genes, 1: their targets), gene << 32 | (partner code + 2**31)
        role_keys: list[list[np.ndarray]] = [[], []]
        for batch in reader:
            n += batch.num_rows
            t_idx, t_text = _triples(batch, tu, tn, tname)
            g_idx, g_text = _triples(batch, gu, gn, gname)
            tf_p = partners.codes_of(t_text)[t_idx]
            target_p = partners.codes_of(g_text)[g_idx]
            one = np.asarray(partners.one_gene, dtype=np.int64)
            code = np.asarray(partners.codes, dtype=np.int64)
            # tfs of a gene: the TF partners of the rows whose target is that gene; targets: the converse
            for role, (gene_side, other_side) in enumerate(((target_p, tf_p), (tf_p, target_p))):
                g = one[gene_side]
                single = g >= 0
                role_keys[role].append((g[single] << 32) | (code[other_side[single]] + (1 << 31)))
                for k in np.flatnonzero(g == -2).tolist():
                    multi.append((role, int(gene_side[k]), int(other_side[k])))
    except pa.ArrowInvalid as exc:
        with INTERACTIONS.read(path) as rows:  # the line and the problem, as every table reader says them
            for _ in rows.leading(1):
                pass
        raise RecordError(path, "", f"cannot be read as a table of {len(header)} columns ({exc})") from None
    counts: list[dict[int, int]] = [{}, {}]
    for role in (0, 1):
        pairs: set[int] = set()
        for gene_p, other_p in ((m[1], m[2]) for m in multi if m[0] == role):
            for gene in partners.genes[gene_p]:
                pairs.add((gene << 32) | (partners.codes[other_p] + (1 << 31)))
        all_keys = np.unique(np.concatenate([*role_keys[role], np.fromiter(pairs, dtype=np.int64, count=len(pairs))]))
        genes, per_gene = np.unique(all_keys >> 32, return_counts=True)
        counts[role] = dict(zip(genes.tolist(), per_gene.tolist()))
    tfs, targets = counts
    log.info("%d interactions read, %d genes with TFs, %d with targets", n, len(tfs), len(targets))
    return tfs, targets
