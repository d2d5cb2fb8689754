"""The template's example functions and tests: which are still as baked, and removing them.

When a workspace is baked, the sha256 of every example file is recorded under `examples` in
`workspace.json` (and of the other files `invoke adopt` may replace, under `template_files`).
An example whose bytes still match is the template's and nobody's code: `invoke deploy`
refuses to ship it unless told `--keep-examples`, and `invoke remove-examples` deletes it. An
example you edited is yours: it is kept, and no longer counts as an example.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ixon_devkit.cloud import api_access
from ixon_devkit.workspace import files, workspace_file

EXAMPLES_KEY = "examples"
TEMPLATE_FILES_KEY = "template_files"
#: What the example modules are for, to say what would ship.
AGENTIC = "functions/assistant.py"
#: The IXON API names `api_access` lists for the examples alone (functions/agents.py's).
EXAMPLE_API_NAMES = ("AgentList",)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _recorded(root: Path, key: str) -> dict[str, str]:
    try:
        data = workspace_file.read(root).get(key) or {}
    except workspace_file.WorkspaceFileError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(path): str(digest) for path, digest in data.items()}


def is_as_baked(root: Path, relative: str) -> bool:
    """Whether `relative` still holds exactly what the template baked (an example or another
    template file recorded in workspace.json)."""
    digest = _recorded(root, EXAMPLES_KEY).get(relative) or _recorded(root, TEMPLATE_FILES_KEY).get(
        relative
    )
    path = root / relative
    return bool(digest) and path.is_file() and sha256(path) == digest


@dataclass(frozen=True)
class State:
    """The example files of a workspace, as they are now."""

    unchanged: tuple[str, ...]
    changed: tuple[str, ...]

    def shipped(self) -> list[str]:
        """The unchanged examples that a bundle would carry (functions/, not tests)."""
        return [path for path in self.unchanged if path.startswith("functions/")]


def state(root: Path) -> State:
    """Which recorded examples are still there, unchanged or edited."""
    unchanged, changed = [], []
    for relative, digest in sorted(_recorded(root, EXAMPLES_KEY).items()):
        path = root / relative
        if not path.is_file():
            continue
        (unchanged if sha256(path) == digest else changed).append(relative)
    return State(tuple(unchanged), tuple(changed))


def refusal(shipped: Iterable[str]) -> str:
    """The one line that refuses to deploy the template's examples."""
    shipped = list(shipped)
    agentic = (
        f" ({AGENTIC} would offer IXON's AI agent the template's example tool and app description)"
        if AGENTIC in shipped
        else ""
    )
    return (
        f"the bundle would ship the template's examples unchanged: {', '.join(shipped)}"
        f"{agentic}: remove them with `invoke remove-examples`, or deploy them on purpose "
        "with --keep-examples"
    )


def remove(root: Path, *, dry_run: bool = False) -> State:
    """Delete the unchanged examples (functions and tests); the State before, whose
    `changed` files were kept."""
    before = state(root)
    if not dry_run:
        for relative in before.unchanged:
            (root / relative).unlink()
    return before


def unneeded_api_names(root: Path) -> list[str]:
    """The names `api_access` lists for the examples alone that no code under `functions/`
    calls any more (once the examples are gone, nothing should ask IXON to grant them)."""
    try:
        listed = api_access.listed(root)
    except api_access.ApiAccessError:
        return []  # a broken list is for api-access and doctor to name
    used = set(api_access.used_names(root))
    return [name for name in EXAMPLE_API_NAMES if name in listed and name not in used]


def drop_api_names(root: Path, names: Iterable[str]) -> None:
    """Take `names` out of `api_access` in workspace.json, the rest of the file as it was."""
    names = set(names)
    if not names:
        return
    data = workspace_file.read(root)
    data[api_access.KEY] = [name for name in data.get(api_access.KEY, []) if name not in names]
    files.write_atomic(root / workspace_file.FILE, json.dumps(data, indent=2) + "\n")
