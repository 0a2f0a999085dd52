"""The importer's own step: records per source, from gene-records' records.tsv."""

import csv
from collections import Counter


def count_records(records: str, counts: str) -> None:
    with open(records, encoding="utf-8", newline="") as fh:
        per_source = Counter(row["source"] for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    with open(counts, "w", encoding="utf-8", newline="\n") as out:
        out.write("source\trecords\n")
        for source, n in sorted(per_source.items()):
            out.write(f"{source}\t{n}\n")


if "snakemake" in globals():
    count_records(snakemake.input.records, snakemake.output.counts)  # noqa: F821
