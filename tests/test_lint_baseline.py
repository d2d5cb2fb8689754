"""Lint findings of code brought in as it was do not block, new ones do
(`ixon_devkit.workspace.lint`).

In process: a small workspace written here with the workspace's own `pyproject.toml`, checked by
the real ruff of the template's test environment.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from conftest import WORKSPACE_TEMPLATE, workspace_module

lint = workspace_module("ixon_devkit.workspace.lint")

ADOPTED = """\
import os

from ixoncdkingress.function.context import FunctionContext


@FunctionContext.expose
def getFirmwareVersions(context: FunctionContext, httpServerName: str) -> str:
    return "LONG"
""".replace("LONG", "a string that IXON's code left longer than the workspace's line length " * 2)


def workspace(root: Path) -> Path:
    shutil.copy(WORKSPACE_TEMPLATE / "pyproject.toml", root / "pyproject.toml")
    (root / "functions").mkdir()
    (root / "functions" / "app.py").write_text(ADOPTED, encoding="utf-8")
    return root


def test_the_baseline_keeps_old_findings_and_fails_new_ones(tmp_path):
    root = workspace(tmp_path)

    found = lint.findings(sys.executable, root)

    # What a UI Component sends is never a finding: its function and argument names.
    assert {finding.code for finding in found} == {"F401", "E501"}, found
    assert lint.compare(found, lint.read_baseline(root)).new == found

    assert lint.write_baseline(root, found) == 2
    text = (root / lint.BASELINE).read_text(encoding="utf-8")
    assert "functions/app.py: F401 `os` imported but unused" in text
    assert lint.check(sys.executable, root).new == []
    assert lint.check(sys.executable, root).known == 2

    # A new finding fails, named by file and line; one fixed shows as a line to delete.
    (root / "functions" / "more.py").write_text("import sys\n", encoding="utf-8")
    app = root / "functions" / "app.py"
    app.write_text(ADOPTED.replace("import os\n\n", ""), encoding="utf-8")
    result = lint.check(sys.executable, root)
    assert [finding.describe() for finding in result.new] == [
        "functions/more.py:1:8: F401 `sys` imported but unused"
    ]
    assert result.known == 1
    assert result.gone == ["functions/app.py: F401 `os` imported but unused"]
    assert any("lint --baseline" in line for line in result.describe())


def test_the_baseline_covers_formatting_too(tmp_path):
    root = workspace(tmp_path)
    (root / "functions" / "unformatted.py").write_text("x  =  {'a':1}\n", encoding="utf-8")

    found = lint.findings(sys.executable, root)

    assert [f.describe() for f in found if f.code == lint.UNFORMATTED] == [
        "functions/unformatted.py:1:3: unformatted File would be reformatted"
    ]
    assert lint.checks_named(found) == "ruff check and ruff format --check"
    lint.write_baseline(root, found)
    assert lint.check(sys.executable, root).new == []
    # Another file that is not formatted is new.
    (root / "functions" / "later.py").write_text("y  =  2\n", encoding="utf-8")
    new = lint.check(sys.executable, root).new
    assert [f.path for f in new] == ["functions/later.py"]
    assert "`ruff format --check` found 1 new finding(s)" in lint.new_findings_refusal(new)


def test_a_baseline_takes_the_findings_of_brought_in_files_and_keeps_the_rest(tmp_path):
    root = workspace(tmp_path)
    found = lint.findings(sys.executable, root)
    baseline = lint.Counter(["functions/app.py: F401 old", "functions/mine.py: E501 kept"])

    keys = lint.with_files_replaced(baseline, ["functions/app.py"], found)

    assert sorted(keys) == sorted(["functions/mine.py: E501 kept", *(f.key for f in found)])
