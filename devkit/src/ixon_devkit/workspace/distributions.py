"""Which importable modules of the environment `requirements.txt` does not bring itself.

IXON Cloud installs `requirements.txt` alone. The workspace's environment also holds
`requirements-dev.txt` (pytest, ruff, PyYAML, ...), so code that imports a module of a dev tool
runs here and fails there; and a module that comes only as a dependency of a dependency
(`packaging`, through docker) is there at a version nobody tested. `python -m
ixon_devkit.workspace.distributions` prints those modules as JSON (see `unlisted`), asked of the
environment's own metadata (`importlib.metadata`), not kept in a list.
"""

from __future__ import annotations

import json
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from ixon_devkit.workspace import lock, root

ROOT = root.find()
RUNTIME = "ixoncdkingress"


def required(path: Path) -> set[str]:
    """The distribution names listed in a requirements file (normalised)."""
    names = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        found = lock.requirement(line)
        if found is not None:
            names.add(lock.normalise(found.name))
    return names


def closure(names: set[str]) -> dict[str, str | None]:
    """`names` and every distribution they need, as installed (extras left out): each with
    the distribution that needs it (None for `names` themselves)."""
    seen: dict[str, str | None] = {}
    todo: list[tuple[str, str | None]] = [(name, None) for name in sorted(names)]
    while todo:
        name, through = todo.pop(0)  # breadth first: the shortest way in is recorded
        if name in seen:
            continue
        seen[name] = through
        try:
            needs = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for text in needs:
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            if requirement.marker is None or "extra" not in str(requirement.marker):
                todo.append((lock.normalise(requirement.name), name))
    return seen


def unlisted(root: Path = ROOT) -> dict[str, dict[str, str | None]]:
    """Top-level modules of the environment that requirements.txt does not list themselves:
    `{module: {"distribution": "name==version", "via": listed distribution or None}}`.

    `via` None: nothing in requirements.txt brings it, so IXON Cloud will not have it; else
    the distribution that needs it, so it comes at a version nobody pinned. The
    runtime's own direct dependencies (requests, pydantic, pymongo, ...) are left out: they
    are part of the runtime, as its pin fixes them.
    """
    listed = required(root / "requirements.txt")
    shipped = closure(listed)
    runtime = {name for name, through in shipped.items() if through == RUNTIME}
    found: dict[str, dict[str, str | None]] = {}
    for module, distributions in metadata.packages_distributions().items():
        names = [lock.normalise(d) for d in distributions]
        if module.startswith("_") or any(n in listed or n in runtime for n in names):
            continue
        via = next((shipped[n] for n in names if n in shipped), None)
        name = distributions[0]
        try:
            shown = f"{name}=={metadata.version(name)}"
        except metadata.PackageNotFoundError:
            shown = name
        found[module] = {"distribution": shown, "via": via}
    return found


def main() -> int:
    print(json.dumps(unlisted(), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
