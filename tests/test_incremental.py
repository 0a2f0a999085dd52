"""Regeneration whose cost follows the change (issue 16): after each kind of
change, a dry run plans only the affected batch's steps and the reduces, and
the rerun's results are byte-identical to a full rebuild from scratch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import DOWNLOADS, RECORDS, SOX2, run_workflow, write_config
from test_reproducibility import planned, tree

from gene_records.interactions.synth import generate_table

pytestmark = pytest.mark.slow

PER_BATCH = 10  # 86 bundled records -> 16 batches
# The rules that run once per parse batch (the map side).
PER_BATCH_RULES = {"parse_records", "tabulate_batch", "tabulate_page_interactions"}
# The reduces (and what follows them): each at most once.
SINGLE_RULES = {
    "collect_records",
    "tabulate_annotations",
    "check_proteins",
    "tabulate_expression",
    "link_genes",
    "merge_interactions",
    "split_interactions",
    "build_regulons",
    "build_report",
    "write_parquet",
    "write_datapackage",
    "write_provenance",
}


@pytest.fixture
def setup(tmp_path):
    """A copy of the bundled records and downloads, a whole-organism table,
    a config, and one complete run on them."""
    records = tmp_path / "records"
    shutil.copytree(RECORDS, records)
    downloads = tmp_path / "downloads"
    shutil.copytree(DOWNLOADS, downloads)
    table = tmp_path / "organism.tsv"
    generate_table(str(table), 400, n_tfs=10, n_proteins=200, seed=11)  # a whole-organism TFLink table
    cfg = write_config(
        tmp_path,
        records=[str(records)],
        tflink_downloads=[str(downloads)],
        interaction_tables=[str(table)],
        records_per_batch=PER_BATCH,
        on_bad_record="skip",  # a duplicate record is listed, not fatal
    )
    wd = tmp_path / "wd"
    run_workflow(wd, config=cfg)
    assert planned(wd, cfg) == {}
    return {"tmp": tmp_path, "records": records, "downloads": downloads, "table": table, "cfg": cfg, "wd": wd}


def rerun_equals_rebuild(s, name: str) -> None:
    """Rerun in place; a fresh working folder on the same inputs gives the same bytes."""
    run_workflow(s["wd"], config=s["cfg"])
    assert planned(s["wd"], s["cfg"]) == {}
    fresh = s["tmp"] / f"rebuild_{name}"
    run_workflow(fresh, config=s["cfg"])
    a, b = tree(s["wd"], skip=()), tree(fresh, skip=())
    assert a.keys() == b.keys(), sorted(set(a) ^ set(b))[:10]
    assert [k for k in a if a[k] != b[k]] == []


def assert_one_batch(jobs: dict[str, int]) -> None:
    """Only one batch's per-batch steps, each reduce at most once."""
    assert jobs.get("parse_records") == 1, jobs
    for rule, n in jobs.items():
        assert rule in PER_BATCH_RULES | SINGLE_RULES, rule
        assert n == 1, (rule, n)


def test_each_kind_of_change_reruns_its_part_and_equals_a_rebuild(setup):
    """One working folder through every kind of change, in turn (one set-up:
    each full rebuild costs a run on the bundled data)."""
    s = setup
    # a record edited, added, removed: its batch's steps and the reduces
    sos2 = s["records"] / "seeds" / "002_784a9e1d06219bb2.txt"
    sos2.write_bytes(sos2.read_bytes().replace(b"son of sevenless homolog 2", b"son of sevenless 2"))
    assert_one_batch(planned(s["wd"], s["cfg"]))
    rerun_equals_rebuild(s, "edit")

    added = s["records"] / "seeds" / "sox2_copy_with_other_id.txt"
    added.write_bytes(SOX2.read_bytes().replace(b"Gene ID: 6657", b"Gene ID: 99999"))
    assert_one_batch(planned(s["wd"], s["cfg"]))
    rerun_equals_rebuild(s, "add")
    assert (s["wd"] / "results" / "records" / "genular-99999.json").exists()

    added.unlink()
    assert_one_batch(planned(s["wd"], s["cfg"]))
    rerun_equals_rebuild(s, "remove")
    assert not (s["wd"] / "results" / "records" / "genular-99999.json").exists()

    # a second file giving an existing record id, in another batch: the copy
    # whose path sorts first is kept, and its JSON file is the collection's
    dup = s["records"] / "aaa_first_copy_of_sox2.txt"  # sorts before seeds/000_...
    dup.write_bytes(SOX2.read_bytes().replace(b"SRY-box transcription factor 2", b"SRY-box 2 (copy)"))
    assert_one_batch(planned(s["wd"], s["cfg"]))
    rerun_equals_rebuild(s, "duplicate")
    text = (s["wd"] / "results" / "records" / "genular-6657.json").read_text(encoding="utf-8")
    assert "aaa_first_copy_of_sox2.txt" in text
    dup.unlink()
    assert_one_batch(planned(s["wd"], s["cfg"]))
    rerun_equals_rebuild(s, "duplicate_removed")
    assert "aaa_first_copy_of_sox2.txt" not in (s["wd"] / "results" / "records" / "genular-6657.json").read_text()

    # a per-protein download changes: no parse batch reruns
    download = sorted(s["downloads"].glob("*.tsv"))[0]
    lines = download.read_text(encoding="utf-8").splitlines(keepends=True)
    download.write_text("".join(lines[:-1]), encoding="utf-8")
    jobs = planned(s["wd"], s["cfg"])
    assert "merge_interactions" in jobs and not PER_BATCH_RULES & jobs.keys(), jobs
    assert "collect_records" not in jobs and "tabulate_expression" not in jobs, jobs
    rerun_equals_rebuild(s, "download")

    # the whole-organism table changes: no parse batch reruns
    rows = s["table"].read_text(encoding="utf-8").splitlines(keepends=True)
    s["table"].write_text("".join(rows[:-3]), encoding="utf-8")
    jobs = planned(s["wd"], s["cfg"])
    assert "merge_interactions" in jobs and not PER_BATCH_RULES & jobs.keys(), jobs
    assert "collect_records" not in jobs and "check_proteins" not in jobs, jobs
    rerun_equals_rebuild(s, "table")

    # a protein QC key changes: the judgement and what reads it, no map step
    s["cfg"].write_text(s["cfg"].read_text().replace("mass_tolerance_da: 0.5", "mass_tolerance_da: 0.2"))
    jobs = planned(s["wd"], s["cfg"])
    assert jobs.get("check_proteins") == 1, jobs
    assert not PER_BATCH_RULES & jobs.keys(), jobs
    for other in ("collect_records", "tabulate_annotations", "tabulate_expression", "merge_interactions"):
        assert other not in jobs, jobs
    rerun_equals_rebuild(s, "config")
