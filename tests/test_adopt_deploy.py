"""From `invoke adopt` to `invoke deploy` with no hand edit (issue 31).

Each app here stands for a case that stopped an adopted app before a deploy: code that is not
formatted and has lint findings, a first line that is an unused import, requirements left
unpinned in a workspace without `.venv` yet, a module named like an unchanged example, a
workspace of UI Components alone. The apps are written in the tests (small, from the facts),
so each case is visible where it is checked.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import bake, invoke, workspace_module


def write(folder: Path, files: dict[str, str]) -> Path:
    """Write `files` (relative path -> text) under `folder`; `folder`."""
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


# --- the task itself ---------------------------------------------------------------------------


def test_adopt_help_prints_the_usage(default_workspace):
    for flag in ("--help", "-h"):
        result = invoke(default_workspace, "adopt", flag)

        assert result.returncode == 0, result.stdout + result.stderr
        assert "Usage: inv[oke] [--core-opts] adopt" in result.stdout
        assert "--keep-examples" in result.stdout and "not a folder" not in result.stderr


# --- doctor on UI Components alone -------------------------------------------------------------


def test_doctor_says_nothing_about_a_cloud_function_deploy_without_one(tmp_path):
    project = bake(tmp_path / "ws", examples="no", ui_component="status-panel")
    doctor = workspace_module("devkit.host.doctor", project)

    report = doctor.check(project, environ={})
    said = "\n".join(report.lines())

    assert "not needed: no Cloud Function" in said
    assert "Cloud Function was not deployed" not in said, said
    assert "Deploy and provisioning" not in {step.name for step in report.steps}


# --- invoke format ------------------------------------------------------------------------------


def test_one_format_leaves_lint_clean_when_a_fix_removes_the_first_line(workspace):
    (workspace / "functions" / "first.py").write_text(
        "import os\ndef total( a,b ):\n    return a+b\n", encoding="utf-8"
    )

    formatted = invoke(workspace, "format", check=False)
    linted = invoke(workspace, "lint", check=False)

    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert (workspace / "functions" / "first.py").read_text() == (
        "def total(a, b):\n    return a + b\n"
    )
