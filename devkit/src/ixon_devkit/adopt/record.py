"""What adopt wrote the last time, so that running it again never undoes your changes.

After writing, adopt records the sha256 of every file it wrote under `"adopted"` in
`workspace.json` (which is committed, so a fresh clone knows too). The next run may replace a
file whose bytes still match (adopt's own), and refuses, without `--force`, to replace a file
you changed since or to bring back one you deleted. Standard library only.
"""

from __future__ import annotations

import hashlib

from ixon_devkit.adopt.model import Plan

KEY = "adopted"
#: Files adopt merges key by key rather than replaces: never recorded.
MERGED = ("workspace.json", ".env")


def recorded(workspace: dict[str, object]) -> dict[str, str]:
    """The files adopt wrote last time and their sha256 ({} before the first adopt)."""
    data = workspace.get(KEY)
    files = data.get("files") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def update(workspace: dict[str, object], result: Plan) -> None:
    """Record in `workspace` what this plan writes (and forget what it deletes)."""
    files = dict(result.recorded)
    for relative, data in result.writes.items():
        if relative not in MERGED and relative not in result.derived:
            files[relative] = hashlib.sha256(data).hexdigest()
    for relative in result.deletes:
        files.pop(relative, None)
    workspace[KEY] = {"source": result.source.name, "files": dict(sorted(files.items()))}
