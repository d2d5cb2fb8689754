"""The names of the functions a workspace serves, in the few lines `invoke serve` needs at its
start: the modules a called name can reach, the runtime's own names, and the served names
closest to a misspelt one. `ixon_devkit.serve.served` reads the whole list from the sources (and
re-exports these); serve imports only this.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

#: The package of the functions, and the module a bare name (`greet`) is called in.
PACKAGE = "functions"
DEFAULT_MODULE = "functions"
#: Names ixoncdkingress answers itself, whatever the module part (`caller.call_function`).
RUNTIME_NAMES = ("list-agent-tools", "list-agent-tools-issues", "app-description")


def is_test(name: str) -> bool:
    """Whether a module's file name is a test's (IXON's bundle leaves those out)."""
    stem = name[:-3] if name.endswith(".py") else name
    return stem.startswith("test_") or stem.endswith("_test")


def module_names_of(paths: Iterable[str]) -> list[str]:
    """The modules a called name can reach (`example`, `pkg.mod`), from the posix paths of the
    `.py` files relative to the functions folder; tests left out, and `functions` (the module
    of bare names) first."""
    found = []
    for path in sorted(paths):
        parts = path[: -len(".py")].split("/") if path.endswith(".py") else []
        if parts and parts[-1] == "__init__":
            parts.pop()
        if not parts or "__pycache__" in parts or is_test(parts[-1]):
            continue
        if all(part.isidentifier() for part in parts):
            found.append(".".join(parts))
    return [DEFAULT_MODULE, *(name for name in found if name != DEFAULT_MODULE)]


def module_names(functions: Path) -> list[str]:
    """`module_names_of` the `.py` files under the folder `functions`."""
    paths = functions.rglob("*.py")
    return module_names_of(path.relative_to(functions).as_posix() for path in paths)


def closest(name: str, names: Iterable[str], count: int = 3) -> list[str]:
    """The names nearest to `name` (a misspelling), best first."""
    return difflib.get_close_matches(name, list(names), n=count, cutoff=0.6)
