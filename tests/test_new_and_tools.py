"""`invoke new NAME` adds a working function module; `invoke tools` shows what the agent sees."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SHARED_VENV, bake, invoke, workspace_module

#: An agentic tool with two mistakes: no description, and a parameter type without a schema.
BROKEN_TOOL = """\
from ixoncdkingress.function.context import FunctionContext


class Gauge:
    pass


@FunctionContext.expose(is_agentic=True)
def read_gauge(context: FunctionContext, gauge: Gauge) -> float:
    return 0.0
"""


def venv_python() -> Path:
    folder = "Scripts" if sys.platform == "win32" else "bin"
    return SHARED_VENV / folder / ("python.exe" if sys.platform == "win32" else "python")


def ruff(project: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """ruff of the workspace's environment, with the workspace's rules."""
    return subprocess.run(
        [str(venv_python()), "-m", "ruff", *arguments, "--no-cache"],
        cwd=project,
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def untouched(tmp_path_factory: pytest.TempPathFactory, shared_venv: Path) -> Path:
    """A workspace for refusals, which must leave it as it was (`invoke new` asks the
    workspace environment which module names the runtime has taken)."""
    return bake(tmp_path_factory.mktemp("refusals"))


def test_new_then_test_passes(workspace):
    made = invoke(workspace, "new", "thermometer")

    assert "functions/thermometer.py" in made.stdout and "tests/test_thermometer.py" in made.stdout
    tested = invoke(workspace, "test", "--verbose")
    assert "test_thermometer.py::test_hello_directly PASSED" in tested.stdout
    assert "test_thermometer.py::test_hello_by_name_through_ixoncdkingress PASSED" in tested.stdout


@pytest.mark.parametrize("name", ["thermometer", "a" * 40])
def test_new_modules_pass_the_workspace_lint(workspace, name):
    invoke(workspace, "new", name)
    files = [f"functions/{name}.py", f"tests/test_{name}.py"]

    checked = ruff(workspace, "check", *files)
    formatted = ruff(workspace, "format", "--check", *files)

    assert checked.returncode == 0, checked.stdout
    assert formatted.returncode == 0, formatted.stdout


def test_new_object_storage_hooks_pass_their_tests_and_the_lint(workspace):
    made = invoke(workspace, "new", "object-storage")
    again = invoke(workspace, "new", "object-storage", check=False)
    tested = invoke(workspace, "test", "-k", "objectstorage", "--verbose")
    files = ["functions/ayayot/objectstorage_v1.py", "tests/test_objectstorage_v1.py"]
    checked = ruff(workspace, "check", *files)
    formatted = ruff(workspace, "format", "--check", *files)

    assert "functions/ayayot/objectstorage_v1.py" in made.stdout
    assert (workspace / "functions" / "ayayot" / "__init__.py").is_file()
    assert again.returncode == 1 and "already exists" in again.stderr
    assert tested.stdout.count(" PASSED") == 10, tested.stdout[-3000:]
    assert "test_changes_need_a_managing_permission[upload] PASSED" in tested.stdout
    assert checked.returncode == 0, checked.stdout
    assert formatted.returncode == 0, formatted.stdout


def test_a_dry_run_writes_nothing(untouched):
    result = invoke(untouched, "new", "thermometer", "--dry-run")

    assert "Would create functions/thermometer.py" in result.stdout
    assert not (untouched / "functions" / "thermometer.py").exists()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Thermometer", "not a valid function module name"),
        ("my-gauge", "like my_gauge"),
        ("9lives", "not a valid function module name"),
        ("_private", "not a valid function module name"),
        ("a" * 41, "at most 40 characters"),
        ("class", "is a Python keyword"),
        ("test_gauge", "looks like a test module, which the bundle leaves out"),
        ("gauge_test", "pick another name, like gauge"),
        ("json", "Python or ixoncdkingress already imports"),
        ("pydantic", "Python or ixoncdkingress already imports"),
        ("functions", "Python or ixoncdkingress already imports"),
        ("example", "functions/example.py already exists"),
        ("helpers", "functions/helpers.py already exists"),
    ],
)
def test_bad_or_taken_names_are_refused_with_one_line(untouched, name, reason):
    before = sorted(path.name for path in untouched.rglob("*"))

    result = invoke(untouched, "new", name, check=False)

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("ERROR: ") and reason in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert sorted(path.name for path in untouched.rglob("*")) == before


def test_a_name_whose_test_exists_is_refused_and_nothing_is_written(workspace):
    (workspace / "tests" / "test_gauge.py").write_text("def test_mine():\n    pass\n")

    result = invoke(workspace, "new", "gauge", check=False)

    assert result.returncode != 0
    assert result.stderr.strip() == (
        "ERROR: tests/test_gauge.py already exists: pick another name (or edit that file)"
    )
    assert not (workspace / "functions" / "gauge.py").exists()
    assert (workspace / "tests" / "test_gauge.py").read_text() == "def test_mine():\n    pass\n"


def test_a_second_new_with_the_same_name_is_refused(workspace):
    invoke(workspace, "new", "thermometer")

    again = invoke(workspace, "new", "thermometer", check=False)

    assert again.returncode != 0
    assert "functions/thermometer.py already exists" in again.stderr


def test_tools_lists_the_agentic_example_as_ready(default_workspace):
    result = invoke(default_workspace, "tools", "--strict")

    lines = result.stdout.splitlines()
    assert lines[0].startswith("App description: my-cloud-function: Checks machine temperatures")
    assert lines[1] == "Tools the agent sees (1):"
    assert lines[2].startswith("  assistant.check_temperature: Check a machine temperature")
    assert "Not ready" not in result.stdout
    assert not result.stderr


def test_tools_names_what_keeps_a_broken_tool_from_the_agent(workspace):
    (workspace / "functions" / "gauges.py").write_text(BROKEN_TOOL)

    result = invoke(workspace, "tools")

    hidden = result.stdout.split("Not ready, hidden from the agent (1):\n", 1)[1]
    assert hidden.startswith("  gauges.read_gauge\n")
    assert "- no description: give the function a docstring" in hidden
    assert "- parameter `gauge` (type Gauge) gives no JSON schema" in hidden
    assert "assistant.check_temperature" in result.stdout.split("Not ready")[0]
    assert "1 tool not ready for IXON's AI agent" in result.stdout


def test_tools_strict_fails_on_a_broken_tool_or_module(workspace):
    (workspace / "functions" / "gauges.py").write_text(BROKEN_TOOL)
    (workspace / "functions" / "typo.py").write_text("import not_a_module_anywhere\n")

    result = invoke(workspace, "tools", "--strict", check=False)

    assert result.returncode == 1
    assert "typo: No module named 'not_a_module_anywhere'" in result.stdout
    assert result.stderr.strip() == (
        "ERROR: 1 tool not ready for IXON's AI agent and 1 module that does not import: "
        "fix the problems listed above"
    )


def test_tools_warns_about_calls_that_would_fail(workspace):
    (workspace / "functions" / "risky.py").write_text(
        "from pydantic import BaseModel\n"
        "from ixoncdkingress.function.context import FunctionContext\n\n\n"
        "class Level(BaseModel):\n    value: float\n\n\n"
        '@FunctionContext.expose(is_agentic=True, description="Read the level.")\n'
        "def level(context: FunctionContext, tank, unit: str = 'm') -> Level:\n"
        "    return Level(value=1.0)\n"
    )

    result = invoke(workspace, "tools", "--strict")

    assert "  risky.level: Read the level." in result.stdout
    assert "warning: parameter `tank` has no type hint" in result.stdout
    assert "warning: it returns a pydantic model (Level)" in result.stdout


def test_deploy_warnings_name_each_tool_that_is_not_ready(workspace):
    tools = workspace_module("ixon_devkit.workspace.tools", workspace)
    assert tools.deploy_warnings(workspace, venv_python()) == []
    (workspace / "functions" / "gauges.py").write_text(BROKEN_TOOL)

    warnings = tools.deploy_warnings(workspace, venv_python())

    assert warnings[0].startswith(
        "tool gauges.read_gauge is not ready for IXON's AI agent: no description"
    )
    assert warnings[-1] == "run `invoke tools` for details"
    assert tools.deploy_warnings(workspace, workspace / "no-python") == [
        "the agentic tools could not be checked: run `invoke tools` to see why"
    ]
