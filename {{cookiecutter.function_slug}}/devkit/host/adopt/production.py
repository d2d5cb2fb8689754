"""Packages the adopted functions import that IXON Cloud would not install.

IXON Cloud installs `requirements.txt` (with what ixoncdkingress needs), never the development
requirements. A module the functions import that only `requirements-dev.txt` provides
(`packaging`, say) imports in the tests and in `invoke serve`, then fails deployed. Adopt adds
the development pin of each such package to `requirements.txt` and names it. Which packages
production gets is asked of uv (the resolution of `requirements.txt` alone). Standard library
only.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from devkit.host.adopt import review
from devkit.host.adopt.model import Options, Plan, put_merged
from devkit.host.adopt.requirements import FROM_APP, Requirement, normalise, parse, resolve

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
    "mongomock": "mongomock",
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


def add_missing(root: Path, result: Plan, functions: dict[str, bytes], options: Options) -> None:
    """Add to `requirements.txt` the development pins the functions need in IXON Cloud."""
    modules = imported(functions, result)
    if not modules:
        return
    main = _planned(root, result, "requirements.txt")
    dev = _planned(root, result, "requirements-dev.txt")
    in_main = {r.name for r in parse(main)}
    dev_only = {r.name: r for r in parse(dev) if r.name and r.name not in in_main}
    needed = {
        module: dev_only[normalise(PROJECTS.get(module, module))]
        for module in modules
        if normalise(PROJECTS.get(module, module)) in dev_only
    }
    if not needed:
        return
    production = resolve(root, main, dev, target="requirements.txt")
    added: list[Requirement] = []
    for module, requirement in sorted(needed.items()):
        if production is not None and requirement.name in production:
            continue  # ixoncdkingress brings it in IXON Cloud too
        if requirement not in added:
            added.append(requirement)
        result.done.append(
            f"{modules[module]} imports {module}, which only requirements-dev.txt provided: "
            f"added {requirement.spec} to requirements.txt (IXON Cloud installs only that file)"
        )
    if added:
        header = "" if FROM_APP in main else FROM_APP + "\n"
        text = main.rstrip("\n") + "\n" + header + "\n".join(r.spec for r in added) + "\n"
        put_merged(root, result, "requirements.txt", text.encode("utf-8"), options)


def _planned(root: Path, result: Plan, relative: str) -> str:
    if relative in result.writes:
        return result.writes[relative].decode("utf-8")
    path = root / relative
    return path.read_text(encoding="utf-8") if path.is_file() else ""
