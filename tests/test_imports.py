"""The tooling's modules import each other as a tree, not in circles: read from the package
source with `ast` (nothing is imported), in process."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import PACKAGE_SOURCE


def modules(package: str) -> dict[str, Path]:
    """The modules of `package` (dotted name) in the package source, by dotted name."""
    folder = PACKAGE_SOURCE.joinpath(*package.split("."))
    found = {}
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(PACKAGE_SOURCE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of `known` that module `name` imports, anywhere in it (a function's own
    imports too). `from package import module` imports that module, not the package's
    `__init__` alone."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in known else base)
    return {module for module in found if module in known and module != name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each group of modules that import each other in a circle (Tarjan's strongly connected
    components of more than one module, or one that imports itself), each in import order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1 or module in graph[module]:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def import_graph(package: str) -> dict[str, set[str]]:
    known = modules(package)
    return {name: imported(name, path, set(known)) for name, path in known.items()}


def test_the_cycle_finder_finds_a_circle_and_passes_a_tree() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


@pytest.mark.parametrize("package", ["ixon_devkit.adopt"])
def test_the_modules_of_a_package_import_each_other_without_cycles(package: str) -> None:
    graph = import_graph(package)
    assert len(graph) > 5, graph  # the package was found
    assert f"{package}.requirements" in graph[package]  # imports are read
    found = cycles(graph)
    assert not found, f"modules that import each other in a circle: {found}"
