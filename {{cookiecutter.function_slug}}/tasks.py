"""Tasks of this Cloud Function workspace: `invoke --list` lists them.

Each task sets up `.venv` first when it is missing or its requirements changed, so on a fresh
machine `invoke test` alone is enough. The logic lives in `devkit/`; this file only wires it up.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from invoke import Exit, task

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from devkit import environment  # noqa: E402


def _environment(force: bool = False) -> environment.Environment:
    try:
        return environment.ensure(ROOT, force=force)
    except environment.SetupError as error:
        raise Exit(f"ERROR: {error}") from None


def _run(env: environment.Environment, *arguments: str) -> None:
    """Run `python -m ...` in the workspace's environment; fail the task with its exit code."""
    result = subprocess.run([str(env.python), *arguments], cwd=ROOT)
    if result.returncode != 0:
        raise Exit(code=result.returncode)


@task(help={"force": "Reinstall even when the environment is up to date"})
def setup(c, force=False):
    """Create .venv with Python 3.12 and install requirements-dev.txt (fast when up to date)."""
    env = _environment(force=force)
    print(f"Ready: {env.python}")


@task(
    help={
        "k": "Only run tests matching this expression (pytest -k)",
        "verbose": "List every test",
    }
)
def test(c, k="", verbose=False):
    """Run the tests (pytest) in the workspace's environment."""
    env = _environment()
    arguments = ["-m", "pytest"]
    if k:
        arguments += ["-k", k]
    if verbose:
        arguments.append("-v")
    _run(env, *arguments)


@task
def lint(c):
    """Check the code with ruff: lint rules and formatting (changes nothing)."""
    env = _environment()
    _run(env, "-m", "ruff", "check", ".")
    _run(env, "-m", "ruff", "format", "--check", ".")


@task(name="format")
def format_(c):
    """Format the code and apply ruff's safe fixes."""
    env = _environment()
    _run(env, "-m", "ruff", "format", ".")
    _run(env, "-m", "ruff", "check", "--fix", ".")
