"""A workspace holds the user's app; its tooling is the pinned package, installed in `.venv`.

End to end, as a newcomer meets it: a fresh clone of a baked workspace (no `.venv`, no
`.devkit/wheels/`), a global invoke (the test environment's, another Python than the
workspace's), and the package's wheel on an index (the folder CI built it into, standing for
one). The first task sets up `.venv` and runs inside it.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest
from test_serve import start_serve

from conftest import DEVKIT_DIST, bake, invoke

COMPANY = "1234-5678-9012-3456-7890"
TEMPLATE_ID = "AbCdEf123456"
#: Python files a bake holds that belong to the template rather than to the user's app.
USERS = ("functions", "tests")


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory, shared_venv: Path) -> Path:
    baked = bake(
        tmp_path_factory.mktemp("origin"),
        git_init="yes",
        company_id=COMPANY,
        template_id=TEMPLATE_ID,
    )
    target = tmp_path_factory.mktemp("clone") / "workspace"
    subprocess.run(["git", "clone", "--quiet", str(baked), str(target)], check=True)
    return target


def test_a_bake_holds_no_tooling_but_tasks_py_and_the_bootstrap(tmp_path: Path) -> None:
    project = bake(tmp_path, examples="no", ui_component="gauge")
    template_owned = [
        path
        for path in project.rglob("*.py")
        if path.relative_to(project).parts[0] not in USERS and ".devkit" not in path.parts
    ]

    assert sorted(path.name for path in template_owned) == ["bootstrap.py", "tasks.py"]
    lines = sum(len(path.read_text(encoding="utf-8").splitlines()) for path in template_owned)
    assert lines <= 150
    assert not (project / "devkit").exists()


def test_a_fresh_clone_lists_tests_serves_and_dry_runs_a_deploy_from_a_global_invoke(
    clone: Path,
) -> None:
    assert not (clone / ".venv").exists()
    assert not (clone / ".devkit").exists()

    listed = invoke(clone, "--list", IXON_VENV=None)

    assert "Setting up" in listed.stderr
    assert "  serve " in listed.stdout and "  deploy " in listed.stdout
    python = clone / ".venv" / "bin" / "python"
    version = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('ixon-devkit'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    [wheel] = DEVKIT_DIST.glob("ixon_devkit-*.whl")
    assert version == wheel.name.split("-")[1]
    pinned = (clone / "requirements-dev.in").read_text(encoding="utf-8")
    assert f"ixon-devkit=={version}" in pinned

    again = invoke(clone, "--list", IXON_VENV=None)
    assert "Setting up" not in again.stderr

    tested = invoke(clone, "test", IXON_VENV=None)
    assert " passed" in tested.stdout
    assert "warnings summary" not in tested.stdout  # pytest runs in the task's process

    served = start_serve(clone, IXON_VENV=None)
    try:
        assert served.process.poll() is None
    finally:
        assert served.stop() == 0, served.log()[-2000:]

    dry = invoke(clone, "deploy", "--dry-run", "--keep-examples", IXON_VENV=None)
    assert "dry run" in (dry.stdout + dry.stderr).lower()
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True
    )
    assert status.stdout == ""
    assert json.loads((clone / "workspace.json").read_text())["company_id"] == COMPANY


def test_lint_and_format_read_only_the_users_code(tmp_path: Path, shared_venv: Path) -> None:
    """The template's bootstrap.py, deliberately made to fail ruff here, is neither checked
    nor reformatted; the same fault in the user's code is found (so the check can fail)."""
    project = bake(tmp_path, examples="no")
    fault = "\nimport os,sys\n"
    bootstrap = project / "bootstrap.py"
    bootstrap.write_text(bootstrap.read_text(encoding="utf-8") + fault, encoding="utf-8")
    before = bootstrap.read_bytes()

    invoke(project, "lint")
    invoke(project, "format")

    assert bootstrap.read_bytes() == before
    helper = project / "functions" / "helper.py"
    helper.write_text(fault.lstrip(), encoding="utf-8")
    found = invoke(project, "lint", check=False)
    assert found.returncode != 0
    assert "functions/helper.py" in found.stdout + found.stderr


def test_the_tools_configuration_names_only_the_users_code(tmp_path: Path) -> None:
    """ruff leaves the template's bootstrap.py and .venv out, mypy and coverage read the
    functions (and mypy the tests): no tool of the user's is pointed at template code."""
    project = bake(tmp_path)
    settings = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["tool"]

    assert {"bootstrap.py", ".venv"} <= set(settings["ruff"]["extend-exclude"])
    assert settings["mypy"]["files"] == ["functions", "tests"]
    assert settings["coverage"]["run"]["source"] == ["functions"]
    assert "ixon_devkit" not in json.dumps(settings["ruff"]["lint"])
