"""Helpers of the adopt tests that run `ixon_devkit.adopt` in process on a copy of one bake."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from conftest import (
    TEMPLATE,
    check_snapshot_missed_nothing,
    snapshot_environment,
    workspace_module,
)

APPS = TEMPLATE / "tests" / "apps"


def fresh_copy(
    base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, ModuleType]:
    """A copy of the baked workspace `base` and its adopt module (uv from the tools' PATH,
    resolving on the index snapshot: see `adopt_into`)."""
    project = tmp_path / "workspace"
    shutil.copytree(base, project)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("IXON_VENV", raising=False)
    for name, value in snapshot_environment().items():
        monkeypatch.setenv(name, value)
    return project, workspace_module("ixon_devkit.adopt", project)


def adopt_into(project: Path, adopting: ModuleType, app: Path, **options: bool):
    """Adopt `app` into `project` in process; the plan and its printed lines."""
    chosen = {"remove_examples": True, **options}
    try:
        result = adopting.adopt(project, app, adopting.Options(**chosen))
    finally:
        check_snapshot_missed_nothing()
    return result, "\n".join(adopting.describe(project, result, dry_run=False))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` and its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def write(folder: Path, files: dict[str, str]) -> Path:
    """Write `files` (relative path -> text) under `folder`: an app written in the test."""
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder
