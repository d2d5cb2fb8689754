"""The one import world: how ixoncdkingress resolves the modules of `functions/`.

ixoncdkingress puts the functions folder first on `sys.path` and imports a called module by
its bare name (`example.greet` imports `example`); `functions.x` and `from functions import x`
resolve through the workspace root after it. Tests, `invoke serve`, `invoke call` and `invoke
tools` all use that same order (`devkit.runtime.ingress.enter_import_world`, and pyproject's
`pythonpath = ["functions", "."]` for pytest), so whatever imports in one imports in all.

Two kinds of module names break in that world, and are refused by the bundle, the deploy,
`invoke new`, `invoke adopt` and the tests:

- a module `functions.py` (or a package `functions/functions/`) at the top of `functions/`:
  being first on `sys.path`, it is what `import functions` loads, not the package;
- a module named like one the runtime has already imported (`certifi`, `typing_extensions`,
  `json`, ...): `import` finds the loaded one in `sys.modules`, so in IXON Cloud, which never
  reloads, the library would run instead of your module. Which names those are is asked of the
  workspace's runtime at run time (`python -m devkit.runtime.modules`), not kept in a list.

Standard library only, Python 3.9+.
"""

from __future__ import annotations

import ast
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "functions"


@dataclass(frozen=True)
class Shadow:
    """A module of `functions/` that would not load as itself."""

    path: str  # relative to the workspace, posix
    name: str
    library: bool  # named like a module the runtime imported (else: like the package)

    def describe(self) -> str:
        if not self.library:
            return (
                f"{self.path} shadows the {PACKAGE} package: ixoncdkingress puts {PACKAGE}/ "
                f"first on sys.path, so `import {PACKAGE}` (and every `from {PACKAGE} import "
                "...`) would load this module instead: rename it"
            )
        return (
            f"{self.path} is named like `{self.name}`, a module the runtime has already "
            f"imported, so ixoncdkingress would run that one instead of yours (in IXON Cloud, "
            f"which never reloads): rename it, like {self.name}_app"
        )


def top_level_modules(functions: Path) -> dict[str, str]:
    """The names importable from the top of `functions/` (a `.py` file or a folder with an
    `__init__.py`), each with its path relative to the workspace."""
    found: dict[str, str] = {}
    if not functions.is_dir():
        return found
    for path in sorted(functions.iterdir()):
        if path.name.startswith((".", "_")) and path.name != "__init__.py":
            continue
        if path.is_file() and path.suffix == ".py" and path.name != "__init__.py":
            found.setdefault(path.stem, f"{PACKAGE}/{path.name}")
        elif path.is_dir() and (path / "__init__.py").is_file():
            found.setdefault(path.name, f"{PACKAGE}/{path.name}/")
    return found


def shadows(functions: Path, runtime_modules: set[str] | frozenset[str]) -> list[Shadow]:
    """The modules of `functions/` that would not load as themselves."""
    found = []
    for name, path in top_level_modules(functions).items():
        if name == PACKAGE:
            found.append(Shadow(path, name, library=False))
        elif name in runtime_modules:
            found.append(Shadow(path, name, library=True))
    return found


def runtime_modules(python: Path | str, root: Path, timeout: float = 60) -> frozenset[str]:
    """The top-level modules the runtime has imported before your code runs, asked of the
    workspace's `python` (its environment must be set up); empty when it cannot say."""
    try:
        result = subprocess.run(
            [str(python), "-m", "devkit.runtime.modules"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        names = json.loads(result.stdout) if result.returncode == 0 else []
    except (OSError, subprocess.TimeoutExpired, ValueError):
        names = []
    return frozenset(name for name in names if isinstance(name, str))


def app_descriptions(tree: ast.AST) -> list[int]:
    """The lines where a module creates an `AppDescription(...)`: ixoncdkingress allows one
    per app and fails the second module's import with "App description already created"."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else ""
            name = name or getattr(function, "id", "")
            if name == "AppDescription":
                lines.append(node.lineno)
    return lines


def app_description_clash(places: list[str]) -> str | None:
    """The line naming the modules that create an app description, when more than one does;
    `places` are `path:line` strings."""
    if len({place.partition(":")[0] for place in places}) < 2:
        return None
    return (
        f"AppDescription is created in {' and '.join(places)}: ixoncdkingress allows one per "
        'app (the second import fails with "App description already created"): keep one '
        "(`invoke remove-examples` removes the template's, in functions/assistant.py)"
    )
