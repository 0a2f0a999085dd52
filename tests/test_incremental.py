"""Regeneration whose cost follows the change (issue 16): after each kind of
change, a dry run plans only the affected batch's steps and the reduces (or
only the interaction input's own step and the reduces), and the rerun's
results are byte-identical to a full rebuild from scratch.

One working folder goes through every kind of change in turn: each full
rebuild is a run on the bundled data, so the set-up is paid once. A state
whose inputs equal an earlier state's (a record added, then removed) is
compared with that state's rebuild."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from conftest import DOWNLOADS, RECORDS, SOX2, run_workflow, write_config
from test_reproducibility import planned, tree

from gene_records.interactions.synth import generate_table

pytestmark = pytest.mark.slow

PER_BATCH = 30  # 86 bundled records -> 4 batches (a power of two): a change reruns one of them
# The rules that run once per parse batch (the map side).
PER_BATCH_RULES = {"parse_records"}
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
# The per-input interaction steps: the downloads' and each whole-organism table's.
INTERACTION_INPUT_RULES = {"normalise_downloads", "normalise_interaction_table"}


@pytest.fixture
def setup(tmp_path):
    """A copy of the bundled records and downloads, two whole-organism TFLink
    tables (one gzipped; one with the diverse cells), a config, and one
    complete run on them."""
    records = tmp_path / "records"
    shutil.copytree(RECORDS, records)
    downloads = tmp_path / "downloads"
    shutil.copytree(DOWNLOADS, downloads)
    table_a = tmp_path / "tables" / "TFLink_a.tsv"
    table_b = tmp_path / "tables" / "TFLink_b.tsv.gz"
    table_a.parent.mkdir()
    generate_table(str(table_a), 600, n_tfs=20, n_proteins=200, seed=1, cells="diverse")
    generate_table(str(table_b), 400, n_tfs=10, n_proteins=200, seed=2)
    cfg = write_config(
        tmp_path,
        records=[str(records)],
        tflink_downloads=[str(downloads)],
        interaction_tables=[str(table_a), str(table_b)],
        records_per_batch=PER_BATCH,
        on_bad_record="skip",  # a duplicate record is listed, not fatal
    )
    wd = tmp_path / "wd"
    run_workflow(wd, config=cfg)
    assert len(list((wd / "results" / "parsed").glob("batch_*.jsonl"))) == 4
    assert planned(wd, cfg) == {}
    return {"tmp": tmp_path, "records": records, "downloads": downloads, "tables": (table_a, table_b),
            "cfg": cfg, "wd": wd}  # fmt: skip


def rerun(s) -> dict[str, bytes]:
    """Rerun in place; then nothing is left to do. Returns the results' bytes."""
    run_workflow(s["wd"], config=s["cfg"])
    assert planned(s["wd"], s["cfg"]) == {}
    return tree(s["wd"], skip=())


def rebuild(s, name: str) -> dict[str, bytes]:
    """A full run from scratch, in a fresh working folder, on the current inputs."""
    fresh = s["tmp"] / f"rebuild_{name}"
    run_workflow(fresh, config=s["cfg"])
    return tree(fresh, skip=())


def assert_same(got: dict[str, bytes], want: dict[str, bytes]) -> None:
    assert got.keys() == want.keys(), sorted(set(got) ^ set(want))[:10]
    assert [k for k in got if got[k] != want[k]] == []


def assert_one_batch(jobs: dict[str, int]) -> None:
    """Only one batch's per-batch steps, each reduce at most once."""
    assert jobs.get("parse_records") == 1, jobs
    for rule, n in jobs.items():
        assert rule in PER_BATCH_RULES | SINGLE_RULES, rule
        assert n == 1, (rule, n)


def assert_no_batch(jobs: dict[str, int], rule: str) -> None:
    """No parse batch's steps; ``rule`` once; the reduces at most once."""
    assert jobs.get(rule) == 1, jobs
    assert not PER_BATCH_RULES & jobs.keys(), jobs
    for other, n in jobs.items():
        assert other in SINGLE_RULES | {rule}, other
        assert n == 1, (other, n)


def test_each_kind_of_change_reruns_its_part_and_equals_a_rebuild(setup):
    s = setup
    wd, cfg = s["wd"], s["cfg"]
    jsons = {p.name: p.stat().st_mtime_ns for p in (wd / "results" / "records").glob("*.json")}

    # a record edited: its batch's steps and the reduces; only its JSON file is rewritten
    sos2 = s["records"] / "seeds" / "002_784a9e1d06219bb2.txt"
    sos2.write_bytes(sos2.read_bytes().replace(b"son of sevenless homolog 2", b"son of sevenless 2"))
    assert_one_batch(planned(wd, cfg))
    time.sleep(0.01)
    edited = rerun(s)
    after = {p.name: p.stat().st_mtime_ns for p in (wd / "results" / "records").glob("*.json")}
    assert sorted(name for name in after if after[name] != jsons[name]) == ["geisha-423572.json"]
    edited_rebuilt = rebuild(s, "edit")
    assert_same(edited, edited_rebuilt)

    # touching a file without changing its bytes reruns nothing
    os.utime(sos2)
    assert planned(wd, cfg) == {}

    # a record added: its batch and the reduces
    added = s["records"] / "seeds" / "sox2_copy_with_other_id.txt"
    added.write_bytes(SOX2.read_bytes().replace(b"Gene ID: 6657", b"Gene ID: 99999"))
    assert_one_batch(planned(wd, cfg))
    assert_same(rerun(s), rebuild(s, "add"))
    assert (wd / "results" / "records" / "genular-99999.json").exists()

    # ... and removed again: the inputs are those of the edit, so are the results
    added.unlink()
    assert_one_batch(planned(wd, cfg))
    assert_same(rerun(s), edited_rebuilt)
    assert not (wd / "results" / "records" / "genular-99999.json").exists()

    # a second file giving an existing record id: the copy whose path sorts
    # first is kept, and its JSON file is the collection's
    dup = s["records"] / "aaa_first_copy_of_sox2.txt"  # sorts before seeds/000_...
    dup.write_bytes(SOX2.read_bytes().replace(b"SRY-box transcription factor 2", b"SRY-box 2 (copy)"))
    assert_one_batch(planned(wd, cfg))
    assert_same(rerun(s), rebuild(s, "duplicate"))
    assert "aaa_first_copy_of_sox2.txt" in (wd / "results" / "records" / "genular-6657.json").read_text()
    dup.unlink()
    assert_one_batch(planned(wd, cfg))
    assert_same(rerun(s), edited_rebuilt)
    assert "aaa_first_copy_of_sox2.txt" not in (wd / "results" / "records" / "genular-6657.json").read_text()

    # one TFLink page: its batch's map (parse and page partials), no interaction input's step
    page = sorted((s["records"] / "tflink").glob("*.md"))[5]
    page.write_text(page.read_text().replace("%5Buid%5D,No", "%5Buid%5D,Yes", 1))
    jobs = planned(wd, cfg)
    assert_one_batch(jobs)
    assert not INTERACTION_INPUT_RULES & jobs.keys(), jobs
    assert jobs.get("merge_interactions") == 1 and jobs.get("split_interactions") == 1, jobs
    assert_same(rerun(s), rebuild(s, "page"))

    # a per-protein download: the downloads' step and the interaction reduces, no parse batch
    download = s["downloads"] / "targets_of_O00358.tsv"
    lines = download.read_text(encoding="utf-8").splitlines(keepends=True)
    download.write_text("".join(lines[:1] + lines[2:]), encoding="utf-8")
    jobs = planned(wd, cfg)
    assert_no_batch(jobs, "normalise_downloads")
    assert jobs.get("merge_interactions") == 1, jobs
    assert "collect_records" not in jobs and "tabulate_expression" not in jobs, jobs
    assert_same(rerun(s), rebuild(s, "download"))

    # one of the two whole-organism tables: its own step only, and the interaction reduces
    table_a, _ = s["tables"]
    generate_table(str(table_a), 600, n_tfs=20, n_proteins=200, seed=9, cells="diverse")
    jobs = planned(wd, cfg)
    assert_no_batch(jobs, "normalise_interaction_table")
    assert jobs.get("merge_interactions") == 1, jobs
    assert "collect_records" not in jobs and "check_proteins" not in jobs, jobs
    assert_same(rerun(s), rebuild(s, "table"))

    # a protein QC key: the judgement and what reads it, no map step
    cfg.write_text(cfg.read_text().replace("mass_tolerance_da: 0.5", "mass_tolerance_da: 0.2"))
    jobs = planned(wd, cfg)
    assert jobs.get("check_proteins") == 1, jobs
    assert not (PER_BATCH_RULES | INTERACTION_INPUT_RULES) & jobs.keys(), jobs
    for other in ("collect_records", "tabulate_annotations", "tabulate_expression", "merge_interactions"):
        assert other not in jobs, jobs
    assert_same(rerun(s), rebuild(s, "config"))
