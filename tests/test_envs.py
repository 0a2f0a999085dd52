"""The conda environments in envs/ pin what requirements.txt pins.

No conda channel is reachable here, so the environments cannot be solved in
the tests; what can be checked is that every rule names one, that they follow
the project's channel policy, and that their exact pins agree with the pip
requirements that `make test` installs (the versions the tests ran with).

The pins are split: requirements.txt (runtime: what `make run` installs, what
the main process and the jobs import), requirements-dev.txt (test and lint
tools) and requirements-slurm.txt (the Slurm executor plugin). Test tools
must never be runtime pins.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib import metadata

import pytest
import yaml
from conftest import REPO

ENVS = sorted((REPO / "envs").glob("*.yaml"))
CHANNELS = ["conda-forge", "bioconda", "nodefaults"]
# conda-forge package name -> pip distribution name, where they differ.
CONDA_TO_PIP: dict[str, str] = {}
# Conda packages that are programs, not Python distributions (no pip pin).
CONDA_ONLY = {"coreutils"}
REQUIREMENTS = {"runtime": "requirements.txt", "dev": "requirements-dev.txt", "slurm": "requirements-slurm.txt"}
# Test, lint and Slurm tools: never in the runtime pins (`make run`).
NOT_RUNTIME = {"pytest", "hypothesis", "snakefmt", "black", "pillow", "snakedeploy", "snakemake-executor-plugin-slurm"}


def norm(name: str) -> str:
    """PEP 503 normalised name (PyYAML, pyyaml and py_yaml are one)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(kind: str = "runtime") -> dict[str, str]:
    pins = {}
    name = REQUIREMENTS[kind]
    for line in (REPO / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.\-+!]+)", line)
        assert m, f"{name}: {line!r} is not an exact pin (name==version)"
        pins[norm(m.group(1))] = m.group(2)
    return pins


def conda_pins(env_file) -> dict[str, str]:
    """``{name: version}`` of an environment's conda dependencies (pip: sections too)."""
    env = yaml.safe_load(env_file.read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):  # a pip: section
            for line in dep.get("pip", []):
                m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", line)
                assert m, f"{env_file.name}: pip entry {line!r} is not an exact pin"
                pins[norm(m.group(1))] = m.group(2)
            continue
        m = re.fullmatch(r"(?:[\w\-]+::)?([A-Za-z0-9_.\-]+)=([0-9][A-Za-z0-9_.\-+!]*)", dep)
        assert m, f"{env_file.name}: {dep!r} is not an exact pin (name=version)"
        pins[norm(CONDA_TO_PIP.get(m.group(1), m.group(1)))] = m.group(2)
    return pins


def rule_envs() -> dict[str, str]:
    """``{rule name: conda: value}`` for every rule in the Snakefile and rules/*.smk."""
    found = {}
    for path in [REPO / "Snakefile", *sorted((REPO / "rules").glob("*.smk"))]:
        blocks = re.split(r"^rule (\w+):\n", path.read_text(), flags=re.M)
        for name, body in zip(blocks[1::2], blocks[2::2]):
            body = re.split(r"^\S", body, maxsplit=1, flags=re.M)[0]  # up to the next top-level line
            if "script:" not in body and "shell:" not in body:
                continue  # a target rule without an action (all) runs nothing
            m = re.search(r"^    conda:\n        \"([^\"]+)\"", body, flags=re.M)
            found[name] = m.group(1) if m else ""
    return found


def test_there_is_an_environment():
    assert ENVS, "envs/ holds no *.yaml"


@pytest.mark.parametrize("env_file", ENVS, ids=lambda p: p.name)
def test_channels_and_exact_pins_agree_with_requirements(env_file):
    env = yaml.safe_load(env_file.read_text())
    assert env["channels"] == CHANNELS, f"{env_file.name}: channels must be exactly {CHANNELS}"
    pins = conda_pins(env_file)
    python = pins.pop("python", None)
    for program in CONDA_ONLY:
        version = pins.pop(program, None)
        assert version is None or re.fullmatch(r"[0-9][0-9.]*", version), f"{env_file.name}: {program}={version}"
    assert python and re.fullmatch(r"3\.\d+(\.\d+)?", python), f"{env_file.name}: python must be pinned (python=3.X)"
    req = requirements()
    assert pins, f"{env_file.name}: no package besides python"
    for name, version in sorted(pins.items()):
        assert name in req, f"{env_file.name}: {name}={version} is not in requirements.txt (pin it there too)"
        assert version == req[name], (
            f"{env_file.name}: {name}={version} but requirements.txt has {name}=={req[name]}"
        )


@pytest.mark.parametrize("kind", sorted(REQUIREMENTS))
def test_requirements_pins_are_what_is_installed(kind):
    """The pins the envs are compared with are the versions the tests run with
    (`make test` installs all three files)."""
    for name, version in requirements(kind).items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            pytest.fail(f"{REQUIREMENTS[kind]} pins {name}=={version}, which is not installed in {sys.prefix}")
        assert installed == version, f"{REQUIREMENTS[kind]} pins {name}=={version}, {installed} is installed"


def test_requirements_files_are_split():
    """No package pinned twice; test, lint and Slurm tools are not runtime pins;
    the env has coreutils and no package only the main process needs."""
    files = {kind: set(requirements(kind)) for kind in REQUIREMENTS}
    for a in files:
        for b in files:
            assert a == b or not (files[a] & files[b]), f"pinned in both {a} and {b}: {sorted(files[a] & files[b])}"
    assert not (files["runtime"] & NOT_RUNTIME), sorted(files["runtime"] & NOT_RUNTIME)
    assert "snakemake-executor-plugin-slurm" in files["slurm"] and "pytest" in files["dev"]
    env = conda_pins(REPO / "envs" / "python.yaml")
    assert "coreutils" in env, "envs/python.yaml: the interaction steps run GNU sort (coreutils)"
    assert "jsonschema" not in env and "snakemake" not in env, "only the main process validates the config"


def test_makefile_run_installs_runtime_only():
    """`make run` depends on setup (requirements.txt and the package), never on
    the dev or Slurm pins; `make test` adds them."""
    make = (REPO / "Makefile").read_text()
    setup = re.search(r"^\$\(VENV\)/\.installed:.*\n((?:\t.*\n)+)", make, flags=re.M).group(1)
    assert "requirements.txt" in setup and "-e ." in setup
    assert "requirements-dev" not in setup and "requirements-slurm" not in setup
    assert re.search(r"^run: setup$", make, flags=re.M)
    assert re.search(r"^test: setup-dev\b", make, flags=re.M)


def test_every_rule_with_an_action_names_an_existing_env():
    envs = rule_envs()
    assert "parse_records" in envs and "collect_records" in envs, "rule parsing found no rules"
    for rule, env in sorted(envs.items()):
        assert env, f"rule {rule} has no conda: directive"
        path = (REPO / "rules" / env).resolve()
        assert path.parent == REPO / "envs" and path.is_file(), f"rule {rule}: conda: {env!r} is not a file in envs/"


def third_party_imports() -> set[str]:
    """Top-level modules imported by the library and the entry scripts that are
    neither the standard library nor gene_records."""
    names = set()
    for path in [*(REPO / "scripts").glob("*.py"), *(REPO / "scripts" / "gene_records").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in ("gene_records", "snakemake")}


def test_every_library_import_is_in_an_env():
    """A step run with --sdm conda finds every package the library imports."""
    dists = metadata.packages_distributions()
    pinned = set()
    for env_file in ENVS:
        pinned |= set(conda_pins(env_file))
    imports = third_party_imports()
    assert "Bio" in imports, "import scan found no third-party import (Biopython is used by protein QC)"
    for module in sorted(imports):
        providers = {norm(d) for d in dists.get(module, [])}
        assert providers, f"scripts import {module!r}, which no installed distribution provides"
        assert providers & pinned, f"scripts import {module!r} ({', '.join(sorted(providers))}): pin it in envs/"
