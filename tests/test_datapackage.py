"""results/datapackage.json with thousands of split files (issue 16): the
split files' resources are copies of one (same schema, own name and path),
and their JSON lines share the text after the path; the bytes are those of
one resource() and one json.dumps per file."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from gene_records import datapackage, tables


def results_with_split_files(root: Path, n: int) -> Path:
    results = root / "results"
    for table, key in ((tables.BY_TF, "tf_uniprot"), (tables.BY_TARGET, "target_uniprot")):
        folder = root / os.path.dirname(table.path)
        folder.mkdir(parents=True)
        for i in range(n):
            name = f"P{i:05d}" if i % 7 else f"A0A{i:03d}-Weird.Name"
            (folder / table.path.rsplit("/", 1)[1].replace("{" + key + "}", name)).write_text(table.header_line())
    wide = root / tables.FOLD_CHANGE_MATRIX.path
    wide.parent.mkdir(parents=True, exist_ok=True)
    wide.write_text(tables.FOLD_CHANGE_MATRIX.header_line(["SOX2", "Sox2 (genular-2)"]))
    (root / tables.INTERACTIONS.path).write_text(tables.INTERACTIONS.header_line())
    return results


def plain_resources(results: Path) -> list[dict]:
    """A resource() of every file, one by one."""
    out = []
    parent = results.parent
    for table in tables.TABLES:
        if "{batch}" in table.path:  # the per-batch intermediates are left out
            continue
        path = parent / table.path
        if "{" in table.path:
            for f in sorted(path.parent.glob("*.tsv")):
                name = re.sub(r"[^-a-z0-9._]", "_", f"{table.name}-{f.name.rsplit('.', 1)[0]}".lower())
                out.append(datapackage.resource(table, str(f), str(results), name, split=True))
        elif path.exists() or table.stage == "provenance":
            out.append(datapackage.resource(table, str(path), str(results), table.name))
    return out


def test_split_resources_are_the_resources_of_each_file(tmp_path):
    results = results_with_split_files(tmp_path, 30)
    got = datapackage.describe(str(results))["resources"]
    want = plain_resources(results)
    assert got == want
    assert [list(r) for r in got] == [list(r) for r in want]  # the same key order
    by_tf = [r for r in got if r["name"].startswith("by_tf-")]
    paths = {r["name"]: r["path"] for r in by_tf}
    assert len(by_tf) == 30 and paths["by_tf-p00003"] == "tf_targets/by_tf/P00003.tsv"
    assert paths["by_tf-a0a000-weird.name"] == "tf_targets/by_tf/A0A000-Weird.Name.tsv"
    assert all(r["schema"] is by_tf[0]["schema"] for r in by_tf)  # shared, not copied


def test_resource_lines_are_json_dumps_of_each(tmp_path):
    results = results_with_split_files(tmp_path, 25)
    resources = datapackage.describe(str(results))["resources"]
    # a resource like its neighbours but for one field, and one with its keys in another order
    odd = dict(resources[-1], description="another")
    first = resources[-2]
    reordered = {k: first[k] for k in ["name", "type", "path", *reversed(list(first)[3:])]}
    backwards = {k: first[k] for k in reversed(list(first))}
    resources += [odd, reordered, backwards]
    plain = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in resources]
    assert list(datapackage.resource_lines(resources)) == plain


def test_the_written_package_is_one_resource_per_line(tmp_path):
    results = results_with_split_files(tmp_path, 5)
    out = results / "datapackage.json"
    datapackage.write_datapackage([], str(out))
    text = out.read_text()
    package = json.loads(text)
    lines = text.splitlines()
    start = lines.index(' "resources": [')
    assert len(lines) == start + 1 + len(package["resources"]) + 2
    assert package["resources"] == plain_resources(results)
