"""`invoke doctor`'s first step, developing locally: the environments, the tests, lint.

The tests are read from their last recorded run (`invoke test`, or the checks of `invoke
deploy`: `ixon_devkit.ship.check_runs`); lint is run (ruff takes a moment) when the workspace's
environment is ready. A failure is marked in the words `invoke deploy` stops with.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ixon_devkit.doctor.doctor_report import DONE, MISSING, WARNING, Step
from ixon_devkit.ship import check_runs
from ixon_devkit.workspace import environment, walk
from ixon_devkit.workspace import lint as linting

_SKIPPED = {"__pycache__", "node_modules"}


def python_step(root: Path) -> Step:
    """The workspace's Python environment: ready, or how to make it."""
    name = "Python environment"
    try:
        version = environment.workspace_python_version(root)
    except environment.SetupError as error:
        return Step(name, MISSING, str(error), "fix workspace.json", blocking=True)
    env = environment.environment_for(root)
    if environment.is_ready(env, version):
        return Step(name, DONE, f"Python {version} environment ready at {shown(root, env.path)}")
    # Finding a Python is `invoke setup`'s job (and slow): it says how to get one when none is.
    state = "not set up yet" if not env.python.exists() else "out of date with requirements*"
    return Step(
        name,
        WARNING,
        f"{shown(root, env.path)} is {state}",
        f"run `invoke setup` (every task also does it when needed; it finds Python {version} "
        "or says how to get it)",
    )


def node_step(root: Path) -> Step:
    """Node and npm, needed by the UI Components (only when `package.json` exists)."""
    name = "Node for the UI Components"
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        missing = " and ".join(tool for tool, path in (("node", node), ("npm", npm)) if not path)
        return Step(
            name,
            MISSING,
            f"{missing} not found on PATH (package.json needs them)",
            "install Node 20 or newer with npm, then `invoke setup`",
            blocking=True,
        )
    version = output([node, "--version"]) or "unknown version"
    if not (root / "node_modules").is_dir():
        return Step(
            name, WARNING, f"node {version} found, node_modules missing", "run `invoke setup`"
        )
    return Step(name, DONE, f"node {version}, node_modules installed")


def tests_step(root: Path) -> Step:
    """The tests at their last run (`invoke test` and `invoke deploy` record it)."""
    name = "Tests"
    last = check_runs.last_test_run(root)
    if last is None:
        return Step(name, WARNING, "no run recorded yet", "run `invoke test`")
    when = str(last.get("time") or "an unknown time")
    by = f" by `{last['by']}`" if last.get("by") and last.get("by") != "invoke test" else ""
    selection = str(last.get("selection") or "")
    if last.get("exit_code") == check_runs.NO_TESTS and not selection:
        return Step(
            name,
            WARNING,
            f"there are no tests yet (the last run, {when}{by}, found none); `invoke deploy` "
            "warns and deploys without them",
            "`invoke new NAME` adds a function with its test; or write tests under tests/",
        )
    if last.get("exit_code") != 0:
        return Step(
            name,
            MISSING,
            f"failed at the last run ({when}{by}); `invoke deploy` would stop: "
            + check_runs.failed_check("pytest -q"),
            "fix them and run `invoke test`",
            blocking=True,
        )
    if selection:
        return Step(
            name,
            WARNING,
            f"only the tests matching -k {selection} ran last ({when}), and passed",
            "run `invoke test` for all of them",
        )
    changed = changed_since(root, last.get("timestamp"))
    if changed:
        return Step(
            name,
            WARNING,
            f"passed at the last run ({when}{by}), but {changed} changed since",
            "run `invoke test`",
        )
    return Step(name, DONE, f"passed at the last run ({when}{by})")


def lint_step(root: Path) -> Step:
    """ruff's lint rules and formatting, as `invoke lint` and `invoke deploy` run them."""
    name = "Lint"
    try:
        version = environment.workspace_python_version(root)
    except environment.SetupError:
        return Step(name, WARNING, "not checked: the Python environment is not known")
    env = environment.environment_for(root)
    if not environment.is_ready(env, version):
        return Step(name, WARNING, "not checked yet (no environment)", "run `invoke lint`")
    try:
        found = linting.check(env.python, root)
    except linting.LintError as error:
        return Step(name, WARNING, f"`ruff check` did not run: {error}")
    if found.new:
        return Step(
            name,
            MISSING,
            "`invoke deploy` would stop: " + linting.new_findings_refusal(found.new),
            "`invoke lint` lists them; `invoke format` fixes the formatting (code brought in as "
            "it was: `invoke lint --baseline`)",
            blocking=True,
        )
    listed = f" ({found.known} listed in {linting.BASELINE})" if found.known else ""
    return Step(name, DONE, f"ruff check and ruff format --check find nothing new{listed}")


def shown(root: Path, path: Path) -> str:
    """`path` relative to the workspace when it is inside it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def output(command: list[str]) -> str | None:
    """What `command` prints, or None when it fails."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def changed_since(root: Path, timestamp: object) -> str:
    """A file of the function or its tests changed after `timestamp` (seconds), or ""."""
    if not isinstance(timestamp, (int, float)):
        return ""
    for folder in ("functions", "tests"):
        if not (root / folder).is_dir():
            continue
        for path in walk.files(root / folder, _SKIPPED):
            if path.suffix == ".py" and path.stat().st_mtime > timestamp:
                return shown(root, path)
    return ""
