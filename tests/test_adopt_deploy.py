"""From `invoke adopt` to `invoke deploy` with no hand edit (issue 31).

Each app here stands for a case that stopped an adopted app before a deploy: code that is not
formatted and has lint findings, a first line that is an unused import, requirements left
unpinned in a workspace without `.venv` yet, a module named like an unchanged example, a
workspace of UI Components alone. The apps are written in the tests (small, from the facts),
so each case is visible where it is checked.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from adopt_support import adopt_into, write
from test_setup_uv import path_without_uv

from conftest import LIVE_INDEX, bake, invoke, workspace_module

#: A Cloud Function as IXON's own apps are written: not formatted as ruff formats, an unused
#: import, imports out of order, trailing whitespace; the workspace's requirements only.
MESSY = {
    "requirements.txt": "ixoncdkingress==1.0.0\n",
    "functions/functions.py": (
        "import os\n"
        "from ixoncdkingress.function.context import FunctionContext\n"
        "\n"
        "@FunctionContext.expose\n"
        "def getGreeting(context: FunctionContext, userName: str='you'):\n"
        "    return {'greeting': \"Hello, \"+userName}\n"
    ),
    "tests/test_greeting.py": (
        "from functions import getGreeting\n"
        "def test_greeting(): \n"
        "    assert getGreeting(None, userName='Ada')['greeting'] == \"Hello, Ada\"\n"
    ),
}


def git(project: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Adopter", "-c", "user.email=adopter@example.com", *arguments],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


# --- code brought in as it was deploys as it was ---------------------------------------------


def test_adopted_code_deploys_as_it_came_and_one_format_leaves_lint_clean(tmp_path, shared_venv):
    app = write(tmp_path / "messy", MESSY)
    project = bake(tmp_path / "ws")

    adopted = invoke(project, "adopt", str(app), "--remove-examples")
    baseline = (project / "lint-baseline.txt").read_text(encoding="utf-8")
    deployed = invoke(project, "deploy", "--dry-run", check=False)

    assert "functions/functions.py: unformatted File would be reformatted" in baseline
    assert "functions/functions.py: F401 `os` imported but unused" in baseline
    assert "tests/test_greeting.py: W291 Trailing whitespace" in baseline
    assert "lint-baseline.txt: the adopted code's 6 finding(s)" in adopted.stdout
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert "Dry run: nothing was sent." in deployed.stdout
    assert (project / "functions" / "functions.py").read_text() == MESSY["functions/functions.py"]

    invoke(project, "format", check=False)  # the unused import is ruff's to keep (F401 unsafe)
    linted = invoke(project, "lint", check=False)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    again = invoke(project, "adopt", str(app), "--remove-examples", "--force")
    assert "lint-baseline.txt" in again.stdout  # the app's files as they came, listed again


def test_bake_then_adopt_leaves_pinned_locks_that_setup_keeps(tmp_path, shared_venv):
    """No uv on PATH and no .venv yet: adopt puts uv in as setup does, and locks."""
    app = write(tmp_path / "app", {**MESSY, "requirements.txt": "ixoncdkingress==1.0.0\nsix\n"})
    project = bake(tmp_path / "ws", git_init="yes")
    # setting up the environment from nothing installs from the real registries
    own = {"IXON_VENV": str(tmp_path / "venv"), "PATH": path_without_uv(), **LIVE_INDEX}

    adopted = invoke(project, "adopt", str(app), "--remove-examples", timeout=900, **own)
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "Adopt the app")
    invoke(project, "setup", timeout=900, **own)

    assert git(project, "status", "--porcelain") == ""
    assert "uv is not on PATH: installing uv==" in adopted.stdout
    assert "were not resolved" not in adopted.stdout
    declared = (project / "requirements.in").read_text(encoding="utf-8")
    assert re.search(r"^six==\d", declared, re.M), declared
    locked = (project / "requirements.txt").read_text(encoding="utf-8")
    assert re.search(r"^six==\d", locked, re.M), locked


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
    doctor = workspace_module("ixon_devkit.doctor.doctor", project)

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


# --- --keep-examples and an app's module named like an example ----------------------------------


def test_an_example_replaced_under_keep_examples_is_named_and_its_test_goes(tmp_path, shared_venv):
    app = write(
        tmp_path / "app",
        {
            "requirements.txt": "ixoncdkingress==1.0.0\n",
            "functions/notes.py": (
                "from ixoncdkingress.function.context import FunctionContext\n\n\n"
                "@FunctionContext.expose\n"
                "def count(context: FunctionContext) -> int:\n"
                "    return 3\n"
            ),
        },
    )
    project = bake(tmp_path / "ws")

    adopted = invoke(project, "adopt", str(app), "--keep-examples")
    tested = invoke(project, "test", check=False)

    assert "replaced the template's examples functions/notes.py" in adopted.stdout
    assert "removed the examples' tests of them: tests/test_notes.py" in adopted.stdout
    assert "  - tests/test_notes.py" in adopted.stdout  # in the list of files
    assert not (project / "tests" / "test_notes.py").exists()
    assert (project / "tests" / "test_example.py").is_file()  # the other examples stay
    assert tested.returncode == 0, tested.stdout + tested.stderr


# --- markers of the plugins adopt brings in ------------------------------------------------------


def test_a_marker_of_a_plugin_adopt_adds_is_not_left_to_do(fresh, tmp_path):
    project, adopting = fresh
    app = write(
        tmp_path / "app",
        {
            "requirements.txt": "ixoncdkingress==1.0.0\n",
            "requirements-dev.txt": "-r requirements.txt\npytest-cov==6.0.0\n",
            "functions/__init__.py": "",
            "functions/alarm.py": "LEVEL = 3\n",
            "tests/test_alarm.py": (
                "import pytest\n\nfrom functions import alarm\n\n\n@pytest.mark.no_cover\n"
                "def test_level():\n    assert alarm.LEVEL == 3\n"
            ),
        },
    )

    _, said = adopt_into(project, adopting, app)

    assert "pytest-cov==6.0.0" in (project / "requirements-dev.in").read_text(encoding="utf-8")
    left = said.split("Left to do:")[1]
    assert "no_cover" not in left, left
