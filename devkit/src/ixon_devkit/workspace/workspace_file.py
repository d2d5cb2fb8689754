"""`workspace.json`: the workspace's committed settings (answers given when it was baked).

One reader for every tool, standard library only; each tool turns a WorkspaceFileError into
its own one-line error.
"""

from __future__ import annotations

import json
from pathlib import Path

from ixon_devkit.errors import UserError
from ixon_devkit.workspace import files

FILE = "workspace.json"


class WorkspaceFileError(UserError):
    """`workspace.json` cannot be used; the message says what to fix."""


def read(root: Path) -> dict[str, object]:
    """The settings of the workspace at `root` ({} when there is no `workspace.json`)."""
    return read_object(root / FILE, WorkspaceFileError, "it")


def read_object(path: Path, error: type[UserError], what: str) -> dict[str, object]:
    """The JSON object in the file at `path` ({} when there is none); `error` says "fix
    `what`" when the file is not valid JSON or holds something else than an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as problem:
        raise error(f"{path.name} is not valid JSON ({problem}): fix {what}") from None
    if not isinstance(data, dict):
        raise error(f"{path.name} must hold a JSON object: fix {what}")
    return data


def set_value(root: Path, key: str, value: object) -> None:
    """Set `key` of `workspace.json` to `value`, keeping every other setting and its order
    (a new key goes last); written atomically."""
    data = read(root)
    data[key] = value
    files.write_atomic(root / FILE, json.dumps(data, indent=2) + "\n")
