"""Walking the workspace's files the way its tools agree on. Standard library only."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


def files(top: Path, skipped: set[str]) -> Iterator[Path]:
    """Every file under `top`, folder by folder in sorted order, never entering hidden
    folders, virtual environments or folders named in `skipped`."""
    for folder, folders, names in os.walk(top):
        here = Path(folder)
        folders[:] = sorted(
            name
            for name in folders
            if not name.startswith(".")
            and name not in skipped
            and not (here / name / "pyvenv.cfg").exists()
        )
        for name in sorted(names):
            yield here / name
