"""The code= inputs of every rule come from the real import graph (gene_records.wiring)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import REPO

from gene_records import wiring
from gene_records.wiring import step_files

SCRIPTS = sorted((REPO / "scripts").glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_step_files_cover_every_module_the_step_really_imports(script):
    """Import the step's script module as Python would and compare the library
    modules that end up loaded with what wiring computed statically."""
    code = (
        "import json, sys, ast\n"
        f"sys.path.insert(0, {str(REPO / 'scripts')!r})\n"
        f"tree = ast.parse(open({str(script)!r}).read())\n"
        "for node in tree.body:\n"
        "    if isinstance(node, (ast.Import, ast.ImportFrom)):\n"
        "        exec(compile(ast.Module([node], []), 'x', 'exec'))\n"
        "print(json.dumps(sorted(getattr(m, '__file__', '') for n, m in sys.modules.items()"
        " if n.split('.')[0] == 'gene_records')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(proc.stdout))
    computed = set(step_files(str(script)))
    assert loaded - computed == set(), f"{script.name}: imported but not listed"
    assert computed - loaded == set(), f"{script.name}: listed but not imported"


def test_every_rule_lists_its_scripts_library():
    """Each rule's code= input names its own script (the list is derived from it)."""
    for smk in sorted((REPO / "rules").glob("*.smk")):
        for name, body in re.findall(r"^rule (\w+):\n(.*?)(?=^rule |\Z)", smk.read_text(), flags=re.M | re.S):
            script = re.search(r'"\.\./scripts/(\w+)\.py"', body)
            if script is None:
                continue
            assert f'code=library("{script.group(1)}")' in body, f"{smk.name}: rule {name}"


def test_a_library_edit_reruns_only_the_rules_that_import_it(tmp_path):
    """wiring: genes.py (the linking) is imported by link_genes only, gene_summaries.py
    by link_genes and the map step (parse_records) that writes the record summaries;
    tables.py by every step."""
    uses = {s.stem: {f.split("gene_records/")[1] for f in step_files(str(s))} for s in SCRIPTS}
    assert sorted(s for s, files in uses.items() if "genes.py" in files) == ["link_genes"]
    assert sorted(s for s, files in uses.items() if "gene_summaries.py" in files) == ["link_genes", "parse_records"]
    assert all("tables.py" in files for s, files in uses.items() if s != "verify_provenance")


def test_library_imports_are_at_module_level():
    """wiring follows module-level imports only: an import of a library module inside
    a function would be a dependency it cannot see. The one exception is the users'
    loader, gene_records.load_table, which imports pandas-backed code on first use
    and which no step calls."""
    import ast

    nested = []
    for path in sorted((REPO / "scripts" / "gene_records").rglob("*.py")):
        tree = ast.parse(path.read_text())
        top = set(map(id, wiring.module_level(tree)))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and id(node) not in top:
                if node.level or (node.module or "").startswith("gene_records"):
                    nested.append(f"{path.relative_to(REPO / 'scripts')}:{node.lineno}")
    assert nested == ["gene_records/__init__.py:15"]
    for script in SCRIPTS:
        assert not any(f.endswith("gene_records/load.py") for f in step_files(str(script))), script.name
