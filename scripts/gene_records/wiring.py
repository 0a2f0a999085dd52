"""Which library files each step depends on, from the real import graph.

Every rule lists the library files its step imports as ``code=`` inputs, so
that an edit in the library reruns exactly the rules that use it. The list is
computed here, never kept by hand: the imports of ``scripts/<rule>.py`` are
followed through the package (``import``/``from ... import``, relative and
absolute, including the ``__init__.py`` of every package on the way),
statically, with :mod:`ast` (nothing is executed). Imports inside functions
are not followed: the package imports its modules at module level, except
``gene_records.load_table``, the users' loader that no step calls (a test
holds both).

From the command line: ``python -m gene_records.wiring scripts/check_proteins.py``
prints the files.
"""

from __future__ import annotations

import ast
import functools
import os
import sys

PACKAGE = "gene_records"
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _module_file(module: str) -> str | None:
    """The file of a ``gene_records...`` module (a package's ``__init__.py``), or None."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    base = os.path.join(PACKAGE_DIR, *parts[1:])
    if os.path.isfile(os.path.join(base, "__init__.py")):
        return os.path.join(base, "__init__.py")
    if os.path.isfile(base + ".py"):
        return base + ".py"
    return None


def _module_name(path: str) -> str:
    rel = os.path.relpath(path, PACKAGE_DIR)[: -len(".py")].split(os.sep)
    if rel[-1] == "__init__":
        rel = rel[:-1]
    return ".".join([PACKAGE, *rel])


def _with_parents(module: str) -> list[str]:
    """``a.b.c`` -> ``a``, ``a.b``, ``a.b.c``: importing a module runs its packages' ``__init__``."""
    parts = module.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def module_level(tree: ast.AST):
    """The nodes that run when the module is imported: everything but the
    bodies of functions (an import inside a function runs only if it is
    called; the package keeps its imports at module level, see
    tests/test_wiring.py, so that this graph is the real one)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                todo.append(child)


@functools.lru_cache(maxsize=None)
def imported_modules(path: str, package: str | None) -> frozenset[str]:
    """The ``gene_records`` modules a file imports directly (absolute names).

    ``package`` is the package the file belongs to (for relative imports), or
    None for a script outside the package. Each file is read once per process
    (planning asks for every rule's files).
    """
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read(), filename=path)
    found: set[str] = set()
    for node in module_level(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if package is None:
                    continue
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # `from pkg import name`: name may be a submodule
            names = [stem] + [f"{stem}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] == PACKAGE and _module_file(name):
                found.update(m for m in _with_parents(name) if _module_file(m))
    return frozenset(found)


@functools.lru_cache(maxsize=None)
def _closure(module: str) -> frozenset[str]:
    seen: set[str] = set()
    todo = [module]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        f = _module_file(m)
        is_pkg = f.endswith("__init__.py")
        todo.extend(imported_modules(f, m if is_pkg else m.rsplit(".", 1)[0]) - seen)
    return frozenset(seen)


def step_files(script: str) -> list[str]:
    """Every library file the step script ``script`` imports, directly or not, sorted."""
    modules: set[str] = set()
    for m in imported_modules(script, None):
        modules |= _closure(m)
    return sorted(_module_file(m) for m in modules)


if __name__ == "__main__":  # pragma: no cover - a convenience
    for arg in sys.argv[1:]:
        for f in step_files(arg):
            print(os.path.relpath(f))
