"""Which code a called function name runs: IXON Cloud's import world, resolved in advance.

ixoncdkingress turns a name into a module and a function (`parse_function_location`:
`a.b.c` is module `a.b`, function `c`; a bare name is module `functions`), puts the functions
folder first on `sys.path`, then imports and (in development) reloads that module. Any module
Python can import would do: `os.system`, `sys.exit`, or ixoncdkingress's own modules, whose
reload undoes what serve set up around them. So before anything is imported, `resolve` runs
Python's own search for the module in that order (`importlib.machinery.PathFinder`, with
the modules already loaded first, as `import` has them) and accepts it only when it is a file
under the functions folder. Everything else answers "not found" in ixoncdkingress's words.

`invoke serve`, `invoke call` and the tests all go through `ingress.make_app`, which puts
this check in front of ixoncdkingress's function caller. `exposed` lists what a workspace
serves (importing the user's modules, and only those), for serve's listing and for the
closest names to a misspelt one (`ixon_devkit.serve.served_names`); `ixon_devkit.serve.served`
finds the
same list without importing anything, for the checks that run before `.venv` exists.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ixoncdkingress.webserver.utils import parse_function_location

from ixon_devkit.serve.served_names import DEFAULT_MODULE, RUNTIME_NAMES, closest, module_names


def not_found(location: tuple[str, str]) -> str:
    """ixoncdkingress's answer to a name it cannot call, word for word."""
    return f"Not found, function '{'.'.join(location)}' does not exist or is not exposed"


@dataclass(frozen=True)
class Resolved:
    """A called name's module and function; `path` is the module's file (None for the
    runtime's own names, which import nothing of the workspace's)."""

    module: str
    function: str
    path: Path | None


def resolve(
    name: str, functions: Path, search_path: Sequence[str] | None = None
) -> Resolved | None:
    """The module file under `functions` that `name` calls, or None ("not found")."""
    return resolve_location(parse_function_location(name), functions, search_path)


def resolve_location(
    location: tuple[str, str], functions: Path, search_path: Sequence[str] | None = None
) -> Resolved | None:
    """As `resolve`, for a name already split by ixoncdkingress. `search_path` is the
    `sys.path` the import would see (default: the current one); the functions folder goes
    first, as `call_function` puts it."""
    module, function = location
    if function in RUNTIME_NAMES:
        return Resolved(module, function, None)
    if not function.isidentifier():
        return None
    path = module_file(module, functions, sys.path if search_path is None else search_path)
    return Resolved(module, function, path) if path is not None else None


def module_file(module: str, functions: Path, search_path: Sequence[str]) -> Path | None:
    """The file `import module` would load, when it lies under `functions`; else None."""
    parts = module.split(".")
    if not all(part.isidentifier() for part in parts):
        return None
    folder = os.path.realpath(functions)
    locations: list[str] = [str(functions), *search_path]
    spec = None
    for depth in range(len(parts)):
        spec = _users_spec(".".join(parts[: depth + 1]), locations, folder, top=depth == 0)
        if spec is None:
            return None
        locations = list(spec.submodule_search_locations or [])
    if spec is None or not spec.has_location or not spec.origin:
        return None  # a namespace package: no file holds its functions
    return Path(spec.origin)


def _users_spec(
    name: str, locations: list[str], folder: str, *, top: bool
) -> importlib.machinery.ModuleSpec | None:
    """What `import` would load for `name` from `locations`, when it lies in `folder`."""
    loaded = sys.modules.get(name)
    if loaded is not None and not _loaded_inside(loaded, folder):
        return None  # `import` gives the loaded module, which is not the user's
    if top and _builtin(name):
        return None
    spec = importlib.machinery.PathFinder.find_spec(name, locations)
    if spec is None:
        return None
    portions = list(spec.submodule_search_locations or [])
    inside = all(_inside(portion, folder) for portion in portions)
    if not inside or (spec.has_location and not _inside(spec.origin, folder)):
        return None
    return spec


def _builtin(name: str) -> bool:
    return name in sys.builtin_module_names or (
        importlib.machinery.FrozenImporter.find_spec(name) is not None
    )


def _loaded_inside(module: object, folder: str) -> bool:
    """Whether a loaded module came from `folder` (a namespace package: all its portions)."""
    file = getattr(module, "__file__", None)
    if file:
        return _inside(file, folder)
    portions = list(getattr(module, "__path__", None) or [])
    return bool(portions) and all(_inside(portion, folder) for portion in portions)


def _inside(path: str | None, folder: str) -> bool:
    if not path:
        return False
    real = os.path.realpath(path)
    return real == folder or real.startswith(folder + os.sep)


# -- what a workspace serves ----------------------------------------------------------------


@dataclass(frozen=True)
class Exposed:
    """One callable function: its name as a UI Component calls it, and whether IXON's AI
    agent is offered it as a tool."""

    name: str
    agentic: bool

    def describe(self) -> str:
        return f"{self.name} (agentic)" if self.agentic else self.name


@dataclass(frozen=True)
class Catalogue:
    """The functions a workspace serves, and the modules that did not import (path, error)."""

    functions: tuple[Exposed, ...]
    broken: tuple[tuple[str, str], ...]

    @property
    def names(self) -> list[str]:
        return [item.name for item in self.functions]

    def closest(self, name: str, count: int = 3) -> list[str]:
        """The served names nearest to `name` (a misspelling), best first."""
        return closest(name, self.names, count)


def exposed(functions: Path) -> Catalogue:
    """Import each module of the workspace (through `resolve`, so nothing else) and list its
    exposed functions; a module that fails to import is listed with its error."""
    items: list[Exposed] = []
    broken: list[tuple[str, str]] = []
    for module in module_names(functions):
        path = module_file(module, functions, sys.path)
        if path is None:
            continue
        try:
            loaded = importlib.import_module(module)
        except Exception as error:  # the user's module: say why, list the rest
            shown = os.path.relpath(path, functions.parent)
            broken.append((shown, f"{type(error).__name__}: {error}".splitlines()[0]))
            continue
        for attribute, value in sorted(vars(loaded).items()):
            if not getattr(value, "exposed", False) or not callable(value):
                continue
            # A module's own functions; the bare-name module also serves what it re-exports.
            if module != DEFAULT_MODULE and getattr(value, "__module__", module) != module:
                continue
            name = attribute if module == DEFAULT_MODULE else f"{module}.{attribute}"
            items.append(Exposed(name, bool(getattr(value, "exposed_to_agent", False))))
    return Catalogue(tuple(items), tuple(broken))
