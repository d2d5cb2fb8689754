"""Walking the workspace's files the way its tools agree on. Standard library only."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
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


def under(root: Path, folders: Iterable[str], pattern: str = "*") -> Iterator[tuple[str, Path]]:
    """(folder, path) for every path matching `pattern` at any depth below each of `folders`
    of `root` that is a folder, folder by folder, each one's paths in sorted order. Nothing is
    left out: the caller chooses."""
    for folder in folders:
        base = root / folder
        if base.is_dir():
            for path in sorted(base.rglob(pattern)):
                yield folder, path
