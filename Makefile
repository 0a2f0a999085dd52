# The two commands: `make run` (set up, run the workflow on resources/) and
# `make test` (set up, run the whole test suite). Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# MultiQC (used by one test) has dependencies that conflict with ours: own venv.
MQC_VENV ?= .venv-multiqc
CORES ?= 2

.PHONY: run test lint dryrun report verify clean setup setup-dev docs

# `make run` installs the runtime pins and the gene_records package (editable:
# the `gene-records` command runs this checkout's code); `make test` and
# `make lint` add the test/lint tools and the Slurm executor plugin.
setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

setup-dev: $(VENV)/.installed-dev

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt requirements-slurm.txt
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt -r requirements-slurm.txt
	touch $@

run: setup
	$(BIN)/snakemake --cores $(CORES)

dryrun: setup
	$(BIN)/snakemake --cores $(CORES) --dry-run

lint: setup-dev
	$(BIN)/snakefmt --check Snakefile workflow/Snakefile rules/
	$(BIN)/snakemake --lint

$(MQC_VENV)/.installed: tests/requirements-multiqc.txt
	test -x $(MQC_VENV)/bin/python || $(PYTHON) -m venv $(MQC_VENV)
	$(MQC_VENV)/bin/python -m pip install --quiet -r tests/requirements-multiqc.txt
	touch $@

# The downstream tools (decoupler, gseapy, polars, DuckDB, frictionless, ...) that
# tests/test_downstream_regulons.py and tests/test_typed_outputs.py run on real
# outputs: their own venv, like MultiQC's.
DS_VENV ?= .venv-downstream
$(DS_VENV)/.installed: tests/requirements-downstream.txt
	test -x $(DS_VENV)/bin/python || $(PYTHON) -m venv $(DS_VENV)
	$(DS_VENV)/bin/python -m pip install --quiet -r tests/requirements-downstream.txt
	touch $@

# tests/run_suite.sh runs pytest twice side by side: the Slurm tests (mostly
# waiting for the scheduler) with the downstream-reader tests, and everything
# else. pytest exits 5 when it collected no test: that is a failure here.
test: setup-dev $(MQC_VENV)/.installed $(DS_VENV)/.installed
	bash tests/setup_system.sh
	bash tests/run_suite.sh $(BIN)/python

# Snakemake's own report of the last run (the one-page summary is results/report/summary.html)
report: setup
	$(BIN)/snakemake --cores $(CORES) --report results/report/workflow.html

# Recompute the hashes of every input and output of the last run (results/provenance/manifest.tsv)
verify: setup
	$(BIN)/python scripts/verify_provenance.py manifest=results/provenance/manifest.tsv

# Regenerate docs/outputs.md and the README's column tables from scripts/gene_records/tables.py
docs: setup
	cd scripts && $(abspath $(BIN))/python -m gene_records.docs ..

clean:
	rm -rf results logs benchmarks/*/ .snakemake
