"""The importer's own step: per TF, its targets in gene-records' per-organism uniprot GMTs
(listed in regulons.tsv) and its rows in interactions.tsv."""

import csv
import os
from collections import Counter


def count_regulon_targets(regulons: str, interactions: str, sizes: str) -> None:
    rows = Counter()
    with open(interactions, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            rows[row["tf_uniprot"]] += 1
    sets = []
    with open(regulons, encoding="utf-8", newline="") as fh:
        for organism in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            gmt = os.path.join(os.path.dirname(regulons), organism["uniprot_gmt"])
            with open(gmt, encoding="utf-8") as g:
                sets += [[organism["slug"]] + line.rstrip("\n").split("\t") for line in g if line.strip()]
    with open(sizes, "w", encoding="utf-8", newline="\n") as out:
        out.write("tf_uniprot\torganism\tgmt_targets\tinteraction_rows\n")
        for slug, name, _description, *genes in sorted(sets, key=lambda s: (s[1], s[0])):
            out.write(f"{name}\t{slug}\t{len(genes)}\t{rows[name]}\n")


if "snakemake" in globals():
    count_regulon_targets(snakemake.input.regulons, snakemake.input.interactions, snakemake.output.sizes)  # noqa: F821
