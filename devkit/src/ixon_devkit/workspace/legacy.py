"""Code written for ixoncdkingress 0.0.x: its pin, its imports, and their 1.x replacements.

ixoncdkingress 0.0.x called the context `CbcContext` and kept it in `ixoncdkingress.cbc...`;
1.x has only `ixoncdkingress.function...` (`FunctionContext`). Code that imports the old
modules cannot import under 1.x. This module finds such pins and imports (per file and line,
with the replacement) and rewrites the imports on request. A pin is read by `packaging`
(`ixon_devkit.workspace.lock.requirement`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from ixon_devkit.workspace import files, lock, walk

#: The ixoncdkingress release this workspace's tooling runs (requirements-dev.txt locks it).
CURRENT_RELEASE = "1.0.0"
OLD_PACKAGE = "ixoncdkingress.cbc"
#: 0.0.x releases (Python 3.10) that already carry the 1.x modules (`ixoncdkingress.function`).
CARRIES_1X = ("0.0.22", "0.0.23")
#: Each 0.0.x module, the 1.x module that replaces it, and the names it renamed.
MODULES: dict[str, tuple[str, dict[str, str]]] = {
    "ixoncdkingress.cbc.context": (
        "ixoncdkingress.function.context",
        {"CbcContext": "FunctionContext", "CbcResource": "FunctionResource"},
    ),
    "ixoncdkingress.cbc.api_client": ("ixoncdkingress.function.api_client", {}),
    "ixoncdkingress.cbc.document_db_client": ("ixoncdkingress.function.document_db_client", {}),
    "ixoncdkingress.cbc.objectstorage.types": (
        "ixoncdkingress.function.objectstorage.types",
        {},
    ),
    "ixoncdkingress.cbc.objectstorage": ("ixoncdkingress.function.objectstorage", {}),
    "ixoncdkingress.cbc": ("ixoncdkingress.function", {}),
}
RENAMED = {old: new for _, names in MODULES.values() for old, new in names.items()}
_OLD_MODULE = re.compile(r"\bixoncdkingress\.cbc(?:\.[A-Za-z_][\w.]*)?\b")
_OLD_NAME = re.compile(r"\b(" + "|".join(RENAMED) + r")\b")


@dataclass(frozen=True)
class OldImport:
    """One import of a 0.0.x module."""

    path: str  # relative to the workspace, posix
    line: int
    module: str

    @property
    def replacement(self) -> str:
        return replacement(self.module)

    def describe(self) -> str:
        """One line: where, what, and what 1.x has instead."""
        renamed = MODULES.get(self.module, ("", {}))[1]
        names = "".join(f", {old} is now {new}" for old, new in renamed.items())
        return (
            f"{self.path}:{self.line} imports {self.module} (ixoncdkingress 0.0.x), which 1.x "
            f"no longer has: use {self.replacement}{names}"
        )


def replacement(module: str) -> str:
    """The 1.x module for a 0.0.x one (the longest known prefix decides)."""
    for old in sorted(MODULES, key=len, reverse=True):
        if module == old or module.startswith(old + "."):
            return MODULES[old][0] + module[len(old) :]
    return module


def old_pin(requirements: Path) -> tuple[int, str] | None:
    """(line, version) of an `ixoncdkingress==0.0.x` pin in `requirements`, else None."""
    if not requirements.is_file():
        return None
    # Undecodable bytes are the bundle's to refuse (it names the encoding); a pin reads as ASCII.
    text = requirements.read_bytes().decode("utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), 1):
        found = lock.requirement(line)
        if found is None or lock.normalise(found.name) != "ixoncdkingress":
            continue
        version = lock.exact_version(found)
        try:
            if version is not None and Version(version).release[:2] == (0, 0):
                return number, version
        except InvalidVersion:
            continue
    return None


def pin_message(requirements: Path, line: int, version: str) -> str:
    """The one line that refuses an old pin."""
    return (
        f"{requirements.name}:{line} pins ixoncdkingress=={version}, the old 0.0.x runtime, "
        f"which this workspace does not run: pin ixoncdkingress=={CURRENT_RELEASE} and move "
        f"imports of {OLD_PACKAGE} to ixoncdkingress.function (`invoke rewrite-imports` does "
        "that; CbcContext is now FunctionContext)"
    )


def imports_in(path: Path, shown: str) -> list[OldImport]:
    """The 0.0.x imports of one Python file (none when it does not parse)."""
    try:
        tree = ast.parse(path.read_bytes(), filename=shown)
    except (SyntaxError, ValueError, OSError):
        return []
    return imports_of(tree, shown)


def imports_of(tree: ast.AST, shown: str) -> list[OldImport]:
    """The 0.0.x imports of a parsed module; `shown` names its file in the findings."""
    found = []
    for node in ast.walk(tree):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules = [node.module]
        found += [
            OldImport(shown, node.lineno, module)
            for module in modules
            if module == OLD_PACKAGE or module.startswith(OLD_PACKAGE + ".")
        ]
    return found


def python_files(root: Path, folders: Iterable[str] = ("functions", "tests")) -> list[Path]:
    """The Python files under `folders` of `root`, without caches and hidden folders."""
    return [
        path
        for _folder, path in walk.under(root, folders, "*.py")
        if not any(
            part.startswith(".") or part == "__pycache__" for part in path.relative_to(root).parts
        )
    ]


def find(root: Path, folders: Iterable[str] = ("functions", "tests")) -> list[OldImport]:
    """Every 0.0.x import under `folders` of the workspace at `root`."""
    found = []
    for path in python_files(root, folders):
        found += imports_in(path, path.relative_to(root).as_posix())
    return found


def rewrite(text: str) -> str:
    """`text` with 0.0.x modules and names replaced by their 1.x ones."""
    text = _OLD_MODULE.sub(lambda match: replacement(match.group(0)), text)
    return _OLD_NAME.sub(lambda match: RENAMED[match.group(1)], text)


def rewrite_files(root: Path, *, dry_run: bool = False) -> list[str]:
    """Rewrite the 0.0.x imports of the workspace's files; the files (posix) changed."""
    changed = []
    for path in python_files(root):
        shown = path.relative_to(root).as_posix()
        if not imports_in(path, shown):
            continue
        text = path.read_text(encoding="utf-8")
        new = rewrite(text)
        if new != text:
            changed.append(shown)
            if not dry_run:
                files.write_atomic(path, new)
    return changed
