"""No broken relative links in the repository's documentation and configs.

Markdown files (every *.md of the checkout): each inline link or image
`[text](target)` and reference definition `[name]: target` that is not a URL
must name a file or folder that exists (relative to the Markdown file), and a
`#anchor` must be a heading of the file it points to (GitHub's anchors).
Config files (config/, profiles/, envs/, the catalog file, CITATION.cff):
every repository path they mention (docs/..., config/..., tests/..., ...)
must exist.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import REPO

URL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # http:, https:, mailto:, ...
INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s|$)", re.M)
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
CODE_SPAN = re.compile(r"`[^`\n]*`")
# Repository paths mentioned in configs (outputs such as results/... are not files of the repo).
REPO_PATH = re.compile(
    r"(?<![\w/.-])((?:docs|config|profiles|envs|tests|benchmarks|rules|scripts|resources|workflow)/[\w./-]*\w"
    r"|(?:README|CONTRIBUTING|CHANGELOG)\.md)(?![\w<*{])"
)


def repo_files(*patterns: str) -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *patterns],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sorted(REPO / p for p in out.split("\0") if p and (REPO / p).is_file())


MARKDOWN = repo_files("*.md")
CONFIGS = repo_files("config/*.yaml", "profiles/*", "envs/*.yaml", ".snakemake-workflow-catalog.yml", "CITATION.cff")


def slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    text = re.sub(r"[`*]", "", heading.strip()).lower()  # code and emphasis marks
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(md: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for line in FENCE.sub("", md.read_text(encoding="utf-8")).splitlines():
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            base = slug(m.group(1))
            n = seen.get(base, 0)
            out.add(base if n == 0 else f"{base}-{n}")
            seen[base] = n + 1
    return out


def links(md: Path) -> list[str]:
    text = CODE_SPAN.sub("", FENCE.sub("", md.read_text(encoding="utf-8")))
    return INLINE.findall(text) + REFERENCE.findall(text)


def test_files_found():
    assert REPO / "README.md" in MARKDOWN and REPO / "config" / "config.yaml" in CONFIGS


@pytest.mark.parametrize("md", MARKDOWN, ids=lambda p: str(p.relative_to(REPO)))
def test_markdown_links(md):
    broken = []
    for target in links(md):
        if URL.match(target):
            continue
        path, _, anchor = target.partition("#")
        dest = (md.parent / path).resolve() if path else md
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no heading with that anchor in {dest.relative_to(REPO)}")
    assert not broken, f"{md.relative_to(REPO)}: broken links: {broken}"


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: str(p.relative_to(REPO)))
def test_config_paths_exist(config):
    mentioned = set(REPO_PATH.findall(config.read_text(encoding="utf-8")))
    missing = sorted(p for p in mentioned if not (REPO / p).exists())
    assert not missing, f"{config.relative_to(REPO)} names files that do not exist: {missing}"


def test_link_check_catches_a_broken_link(tmp_path):
    """The checks themselves: a missing file, a missing anchor, a missing config path."""
    md = tmp_path / "x.md"
    md.write_text("# Title\n[ok](#title) [bad](#nope) [gone](missing.md) [web](https://example.org)\n")
    found = links(md)
    assert found == ["#title", "#nope", "missing.md", "https://example.org"]
    assert anchors(md) == {"title"}
    assert REPO_PATH.findall("# see docs/readme_scale.md and results/x.tsv") == ["docs/readme_scale.md"]


def schema_keys(schema: dict, prefix: str = "") -> list[str]:
    keys = []
    for name, sub in schema.get("properties", {}).items():
        keys.append(prefix + name)
        keys += schema_keys(sub, f"{prefix}{name}.")
    return keys


def test_config_readme_lists_every_key_with_its_default():
    """config/README.md (what the workflow catalog shows) has a row for every
    key of the schema, with the schema's default."""
    import yaml

    schema = yaml.safe_load((REPO / "config" / "config.schema.yaml").read_text())
    readme = (REPO / "config" / "README.md").read_text(encoding="utf-8")
    missing = []
    for key in schema_keys(schema):
        sub = schema
        for part in key.split("."):
            sub = sub["properties"][part]
        if sub.get("type") == "object":
            assert f"`{key}:`" in readme, f"config/README.md: no section for {key}"
            continue
        default = yaml.safe_dump(sub["default"], default_flow_style=True).strip().removesuffix("...").strip()
        row = re.search(rf"^\| `{re.escape(key.split('.')[-1])}` \|[^|]*\| `([^`]*)` \|", readme, flags=re.M)
        if not row or row.group(1) != default:
            missing.append(f"{key} (default {default})")
    assert not missing, f"config/README.md: no row, or another default, for {missing}"
