"""The importer's own step: the records.tsv rows of one source (the {batch} wildcard)."""

import csv


def select_source(records: str, rows: str, source: str) -> None:
    with open(records, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        col = header.index("source")
        kept = [row for row in reader if row[col] == source]
    with open(rows, "w", encoding="utf-8", newline="\n") as out:
        out.write("\t".join(header) + "\n")
        for row in kept:
            out.write("\t".join(row) + "\n")


if "snakemake" in globals():
    select_source(snakemake.input.records, snakemake.output.rows, snakemake.wildcards.batch)  # noqa: F821
