"""Copying the app's code folders (`functions/`, `tests/`, `components/`) into the workspace.

The code moves in unchanged, with one exception made by default: imports of ixoncdkingress
0.0.x (`ixoncdkingress.cbc...`, `CbcContext`) are rewritten for 1.x, each change listed
(`--keep-old-imports` keeps them as they are). Standard library only.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from ixon_devkit.adopt import source as app
from ixon_devkit.adopt.model import Options, Plan, plural, put
from ixon_devkit.workspace import legacy


def copy_folder(
    root: Path,
    result: Plan,
    base: Path,
    folder: str,
    options: Options,
    *,
    removing: Iterable[str] = (),
) -> list[str]:
    """Plan copying `base/folder` to `folder` of the workspace; the workspace paths planned."""
    where = base / folder
    if where.is_symlink():
        app.accepted(result, where)  # names the link, which is not followed
        return []
    if not where.is_dir():
        return []
    count, planned, rewritten = 0, [], []
    for path in app.tree(result, where):
        relative = f"{folder}/{path.relative_to(where).as_posix()}"
        data = path.read_bytes()
        if options.rewrite_imports and path.suffix == ".py":
            data, changes = _rewritten(data, relative)
            rewritten += changes
        count += put(root, result, relative, data, options, removing=removing)
        planned.append(relative)
    result.done.append(f"{folder}/: {plural(count, 'file')} from the app")
    if rewritten:
        result.done.append(
            "rewrote the ixoncdkingress 0.0.x imports for 1.x (--keep-old-imports keeps them): "
            + "; ".join(rewritten)
        )
    return planned


def _rewritten(data: bytes, relative: str) -> tuple[bytes, list[str]]:
    """`data` with its 0.0.x imports rewritten, and one description per import changed."""
    try:
        tree = ast.parse(data, filename=relative)
    except (SyntaxError, ValueError):
        return data, []
    found = legacy.imports_of(tree, relative)
    if not found:
        return data, []
    text = data.decode("utf-8", errors="surrogateescape")
    new = legacy.rewrite(text)
    if new == text:
        return data, []
    changes = []
    for old in found:
        renamed = legacy.MODULES.get(old.module, ("", {}))[1]
        names = "".join(f", {a} -> {b}" for a, b in renamed.items() if a in text)
        changes.append(f"{old.path}:{old.line} {old.module} -> {old.replacement}{names}")
    return new.encode("utf-8", errors="surrogateescape"), changes
