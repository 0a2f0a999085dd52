"""One version in one place: scripts/gene_records/__init__.py. Everything
else that names it (pyproject.toml reads it; CITATION.cff, CHANGELOG.md and
the catalog's usage text state it) must agree."""

from __future__ import annotations

import re
import sys

import yaml
from conftest import REPO

sys.path.insert(0, str(REPO / "scripts"))
from gene_records import __version__  # noqa: E402


def test_version_is_semantic():
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def test_pyproject_reads_the_version_from_the_package():
    import tomllib

    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"], "pyproject.toml must not set the version itself"
    assert pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "gene_records.__version__"}


def test_citation_changelog_and_catalog_name_the_version():
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert citation["version"] == __version__
    assert citation["license"] == "MIT"
    first = re.search(r"^## (\S+)", (REPO / "CHANGELOG.md").read_text(), flags=re.M).group(1)
    assert first == __version__, "CHANGELOG.md: the newest entry must be the package version"
    catalog = (REPO / ".snakemake-workflow-catalog.yml").read_text()
    assert f"v{__version__}" in catalog and f"v{__version__.split('.')[0]}." in catalog
    assert "MIT License" in (REPO / "LICENSE").read_text()
