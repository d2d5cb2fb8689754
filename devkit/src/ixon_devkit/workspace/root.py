"""Which folder is the workspace: the tasks and entry points work on the workspace they run in.

The package is installed in the workspace's environment, not inside the workspace, so it cannot
find the workspace from its own files. The workspace's `tasks.py` sets `IXON_WORKSPACE` to its
own folder (and every process the tasks start inherits it); without it, the nearest folder from
the current one up that holds `workspace.json`, else `tasks.py`, else the current folder.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Set by the workspace's tasks.py (and its bootstrap) to the workspace's folder.
VARIABLE = "IXON_WORKSPACE"
MARKERS = ("workspace.json", "tasks.py")


def find(start: Path | None = None) -> Path:
    """The workspace's folder (see the module's description)."""
    override = os.environ.get(VARIABLE)
    if override:
        return Path(override).resolve()
    here = (start or Path.cwd()).resolve()
    for marker in MARKERS:
        for folder in (here, *here.parents):
            if (folder / marker).is_file():
                return folder
    return here
