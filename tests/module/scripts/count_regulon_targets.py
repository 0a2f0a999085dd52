"""The importer's own step: per TF, its targets in gene-records' uniprot GMT
and its rows in interactions.tsv."""

import csv
from collections import Counter


def count_regulon_targets(gmt: str, interactions: str, sizes: str) -> None:
    rows = Counter()
    with open(interactions, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            rows[row["tf_uniprot"]] += 1
    with open(gmt, encoding="utf-8") as fh, open(sizes, "w", encoding="utf-8", newline="\n") as out:
        out.write("tf_uniprot\tgmt_targets\tinteraction_rows\n")
        sets = sorted(line.rstrip("\n").split("\t") for line in fh if line.strip())
        for name, _description, *genes in sets:
            out.write(f"{name}\t{len(genes)}\t{rows[name]}\n")


if "snakemake" in globals():
    count_regulon_targets(snakemake.input.gmt, snakemake.input.interactions, snakemake.output.sizes)  # noqa: F821
