"""`workspace.json`: the workspace's committed settings (answers given when it was baked).

One reader for every tool, standard library only; each tool turns a WorkspaceFileError into
its own one-line error.
"""

from __future__ import annotations

import json
from pathlib import Path

from devkit.errors import UserError

FILE = "workspace.json"


class WorkspaceFileError(UserError):
    """`workspace.json` cannot be used; the message says what to fix."""


def read(root: Path) -> dict[str, object]:
    """The settings of the workspace at `root` ({} when there is no `workspace.json`)."""
    try:
        data = json.loads((root / FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as error:
        raise WorkspaceFileError(f"{FILE} is not valid JSON ({error}): fix it") from None
    if not isinstance(data, dict):
        raise WorkspaceFileError(f"{FILE} must hold a JSON object of settings: fix it")
    return data
