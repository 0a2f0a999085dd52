"""The per-organism regulons as the real downstream tools read them (issue 14).

decoupler 2.x and gseapy run in their own venv (``downstream_python``,
tests/requirements-downstream.txt), in a subprocess, on the files of a bundled
run and of a run over the real corpus: ``dc.pp.read_gmt`` and
``gseapy.read_gmt`` must give exactly the (set, member) pairs of
interactions.tsv for the file's organism (after the documented name
transformation), and ``dc.mt.ulm`` must run on every network file read with
nothing but ``pd.read_csv(path, sep="\\t")``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_downstream
from test_interactions import expected_regulons

from gene_records.tsv import read_tsv_dicts

# Runs in the downstream venv: argv[1] = results/tf_targets/regulons.tsv; prints JSON.
READ_WITH_THE_TOOLS = r"""
import json, os, sys, warnings
import numpy as np
import pandas as pd
import decoupler as dc
import gseapy

index = pd.read_csv(sys.argv[1], sep="\t", keep_default_na=False, dtype=str)
here = os.path.dirname(sys.argv[1])
out = {"versions": {"decoupler": dc.__version__, "gseapy": gseapy.__version__}, "gmt": {}, "ulm": {}}
rng = np.random.default_rng(0)
for _, row in index.iterrows():
    for key in ("uniprot_gmt", "symbols_gmt"):
        path = os.path.join(here, row[key])
        net = dc.pp.read_gmt(path)
        sets = gseapy.read_gmt(path)
        out["gmt"][row[key]] = {
            "decoupler": sorted(map(list, set(zip(net["source"], net["target"])))),
            "decoupler_rows": len(net),
            "gseapy": sorted([name, member] for name, members in sets.items() for member in members),
            "gseapy_sets": len(sets),
        }
    for key in ("uniprot_network", "symbols_network"):
        net = pd.read_csv(os.path.join(here, row[key]), sep="\t")
        genes = sorted(net["target"].unique()) + [f"background_{i}" for i in range(20)]
        data = pd.DataFrame(rng.normal(size=(4, len(genes))), index=[f"s{i}" for i in range(4)], columns=genes)
        es, pv = dc.mt.ulm(data=data, net=net, tmin=1)
        out["ulm"][row[key]] = {
            "sources": sorted(map(str, es.columns)),
            "samples": len(es),
            "missing_scores": int(es.isna().sum().sum()),
            "pvalues_in_0_1": bool(((pv >= 0) & (pv <= 1)).all().all()),
            "weight_dtype": str(net["weight"].dtype),
            "rows": len(net),
        }
print(json.dumps(out))
"""


def check_run(run: Path, python: str) -> dict:
    tf = run / "results" / "tf_targets"
    index = read_tsv_dicts(tf / "regulons.tsv")
    want = expected_regulons(run / "results" / "tables" / "interactions.tsv")
    got = json.loads(run_downstream(python, READ_WITH_THE_TOOLS, str(tf / "regulons.tsv")).stdout)
    assert got["versions"]["decoupler"].startswith("2.")
    assert sorted(i["slug"] for i in index) == sorted(want)
    figures = {}
    for i in index:
        uniprot, symbols = want[i["slug"]]
        for key, lines in (("uniprot_gmt", uniprot), ("symbols_gmt", symbols)):
            pairs = sorted([ln[0], m] for ln in lines for m in ln[2:])
            read = got["gmt"][i[key]]
            assert read["decoupler"] == pairs, i[key]
            assert read["decoupler_rows"] == len(pairs), i[key]  # no made-up member, none twice
            assert read["gseapy"] == pairs, i[key]
            assert read["gseapy_sets"] == len(lines)
        for key in ("uniprot_network", "symbols_network"):
            ulm = got["ulm"][i[key]]
            net = read_tsv_dicts(tf / i[key])
            assert ulm["rows"] == len(net) and ulm["weight_dtype"] == "int64"
            assert ulm["sources"] == sorted({r["source"] for r in net})
            assert ulm["samples"] == 4 and ulm["missing_scores"] == 0 and ulm["pvalues_in_0_1"]
        # the symbol network's edges are the symbol GMT's pairs (gmt_min_targets 1, evidence all)
        assert sorted([r["source"], r["target"]] for r in read_tsv_dicts(tf / i["symbols_network"])) == sorted(
            [ln[0], m] for ln in symbols for m in ln[2:]
        )
        figures[i["slug"]] = (len(uniprot), len(symbols), int(i["gmt_pairs_without_target_symbol"]))
    return figures


@pytest.mark.slow
def test_decoupler_and_gseapy_read_the_bundled_regulons(bundled_run, downstream_python):
    figures = check_run(bundled_run, downstream_python)
    assert figures["homo_sapiens"] == (759, 668, 555)
    assert sum(f[2] for f in figures.values()) == 761


@pytest.mark.slow
def test_decoupler_and_gseapy_read_the_corpus_regulons(corpus_run, downstream_python):
    figures = check_run(corpus_run, downstream_python)
    assert len(figures) == 7 and figures["homo_sapiens"][0] > 0
