"""Packages the adopted functions import that IXON Cloud would not install.

IXON Cloud installs the production lock (`requirements.txt`: ixoncdkingress, what it needs and
what `requirements.in` declares), never the development one. A module the functions import
that only the development lock holds (`yaml`: PyYAML, say) imports in the tests and in
`invoke serve`, then fails deployed. Adopt declares each such package in `requirements.in`,
at the version the development lock has, and names it. Standard library only.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from ixon_devkit.adopt import review
from ixon_devkit.adopt.model import Plan
from ixon_devkit.workspace import lock

STANDARD = frozenset(getattr(sys, "stdlib_module_names", ()))
#: Import names that differ from the name of the project that provides them.
PROJECTS = {
    "yaml": "pyyaml",
    "dateutil": "python-dateutil",
    "bson": "pymongo",
    "gridfs": "pymongo",
    "jwt": "pyjwt",
    "PIL": "pillow",
    "attr": "attrs",
    "dns": "dnspython",
}


def imported(functions: dict[str, bytes], result: Plan) -> dict[str, str]:
    """Top-level modules the adopted functions (not their tests) import: module -> where."""
    local = {Path(relative).parts[1].removesuffix(".py") for relative in functions}
    found: dict[str, str] = {}
    for relative, tree in review.adopted_modules(result, functions):
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in STANDARD and top not in local | {"functions"}:
                    found.setdefault(top, f"{relative}:{node.lineno}")
    return found


def needed(
    root: Path, result: Plan, functions: dict[str, bytes], declared: set[str | None]
) -> list[tuple[str, str]]:
    """(name, `Name==version`) of each development-only package the functions import and
    production lacks; `declared` holds the names `requirements.in` declares already."""
    production = lock.read_lock(root / lock.PRODUCTION)
    development = lock.read_lock(root / lock.DEVELOPMENT)
    found: list[tuple[str, str]] = []
    for module, where in sorted(imported(functions, result).items()):
        name = lock.normalise(PROJECTS.get(module, module))
        pin = development.get(name)
        if pin is None or name in production or name in declared:
            continue
        line = f"{pin.name}=={pin.version}"
        if (name, line) not in found:
            found.append((name, line))
        result.done.append(
            f"{where} imports {module}, which only the development lock held: declared "
            f"{line} in requirements.in (IXON Cloud installs only the production lock)"
        )
    return found
