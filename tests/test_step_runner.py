"""The step runner (gene_records.cli.run): the collector's settings while a step runs."""

import gc

import pytest

from gene_records import cli


def test_a_step_runs_with_the_step_thresholds_and_they_are_restored_after(tmp_path):
    seen = {}

    def step(table: str) -> None:
        seen["threshold"] = gc.get_threshold()
        seen["frozen"] = gc.get_freeze_count()

    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    cli.run(step, argv=[f"table={tmp_path / 't.tsv'}"])
    assert seen["threshold"] == cli.STEP_GC_THRESHOLDS != before
    assert seen["frozen"] > frozen_before  # what existed before the step is out of the scans
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen_before


def test_the_thresholds_are_restored_when_a_step_fails(tmp_path):
    def step(table: str) -> None:
        raise cli.StepFailed()

    before, frozen_before = gc.get_threshold(), gc.get_freeze_count()
    with pytest.raises(SystemExit):
        cli.run(step, argv=[f"table={tmp_path / 't.tsv'}"])
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen_before
