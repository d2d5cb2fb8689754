"""Development tasks of the template itself: `invoke --list` lists them.

`invoke test` is what CI runs (`.ci/run`); `invoke bake` gives you a workspace to try by hand.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from invoke import Exit, task

ROOT = Path(__file__).resolve().parent
SCRATCH = ROOT / ".bake"


def _run(*arguments: str) -> None:
    result = subprocess.run([sys.executable, *arguments], cwd=ROOT)
    if result.returncode != 0:
        raise Exit(code=result.returncode)


#: The template's own Python files and folders.
LINTED = (
    "hooks",
    "tests",
    "tasks.py",
    "benchmarks",
    "local_extensions.py",
    "wheel_extension.py",
    "devkit",
    ".ci/release_check.py",
)


@task(
    help={
        "k": "Only run tests matching this expression (pytest -k)",
        "verbose": "List every test",
        "fast": "Only the in-process tier: no workspace environment, no uv, no bump (< 1 min)",
        "serial": "One process instead of one per core (to read a failure's output in order)",
    }
)
def test(c, k="", verbose=False, fast=False, serial=False):
    """Run the template's whole test suite (bakes workspaces and runs their tasks).

    Spread over the cores by pytest-xdist, a test file per worker at a time (so each file's
    module fixtures, like one running server, are set up once).
    """
    arguments = ["-m", "pytest"]
    if not serial:
        arguments += ["-n", "auto", "--dist", "loadfile"]
    if fast:
        arguments += ["-m", "not e2e"]
    if k:
        arguments += ["-k", k]
    if verbose:
        arguments.append("-v")
    _run(*arguments)


#: The template's own lock and the declaration it is compiled from (with the Python CI uses).
TEST_LOCK, TEST_DECLARATION, TEST_PYTHON = "requirements-test.txt", "requirements-test.in", "3.11"
#: The declaration's line that records the moment its lock is resolved as of (as a workspace's
#: `lock_moment`): the same declaration gives the same lock until `invoke lock --upgrade`.
MOMENT_LINE = re.compile(r"^# lock_moment: (\S+)$", re.MULTILINE)


@task(help={"upgrade": "Move the moment to now and every pin to the newest release allowed"})
def lock(c, upgrade=False):
    """Compile requirements-test.in into requirements-test.txt (every pin, hashes; any OS),
    as of the moment its `# lock_moment:` line records."""
    declaration = ROOT / TEST_DECLARATION
    text = declaration.read_text(encoding="utf-8")
    found = MOMENT_LINE.search(text)
    if not found:
        raise Exit(f"{TEST_DECLARATION} has no '# lock_moment: <UTC time>' line: add one", code=1)
    moment = found[1]
    if upgrade:
        moment = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    command = [
        sys.executable, "-m", "uv", "pip", "compile", "--universal", "--python-version",
        TEST_PYTHON, "--generate-hashes", TEST_DECLARATION, "-o", TEST_LOCK, "--quiet",
    ]  # fmt: skip
    if upgrade:
        command.append("--upgrade")
    environ = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_EXCLUDE_NEWER": moment}
    result = subprocess.run(command, cwd=ROOT, env=environ)
    if result.returncode != 0:
        raise Exit(f"uv pip compile failed (exit {result.returncode}): see above", code=1)
    if moment != found[1]:
        declaration.write_text(MOMENT_LINE.sub(f"# lock_moment: {moment}", text), encoding="utf-8")
    print(f"Locked {TEST_DECLARATION} into {TEST_LOCK} as of {moment}")


@task
def lint(c):
    """Check the template's own Python (hooks, tests, tasks) with ruff."""
    _run("-m", "ruff", "check", *LINTED)
    _run("-m", "ruff", "format", "--check", *LINTED)


@task(
    help={
        "name": "The function_name answer (the slug is derived from it)",
        "output": "Folder to bake into (default: .bake/ in the template)",
    }
)
def bake(c, name="My Cloud Function", output=""):
    """Bake a demo workspace into a scratch folder, replacing an earlier one."""
    from cookiecutter.main import cookiecutter

    target = Path(output).resolve() if output else SCRATCH
    target.mkdir(parents=True, exist_ok=True)
    project = Path(
        cookiecutter(
            str(ROOT),
            no_input=True,
            output_dir=str(target),
            overwrite_if_exists=True,
            extra_context={"function_name": name},
        )
    )
    print(f"Baked {project}\nNext: cd {os.path.relpath(project)} && invoke serve")
