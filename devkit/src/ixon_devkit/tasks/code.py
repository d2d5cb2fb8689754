"""The tasks that set up the environment and check the code: setup, lock, audit, typecheck,
test, lint and format (`ixon_devkit.tasks` gathers every task).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ixon_devkit.ship import check_runs
from ixon_devkit.tasks.common import (
    ROOT,
    CommandError,
    ensure_environment,
    linting,
    locking,
    nodejs,
    run_in_environment,
    user_task,
)
from ixon_devkit.workspace import environment, legacy, masking, processes, settings


@user_task(help={"force": "Reinstall even when the environment is up to date"})
def setup(c, force=False):
    """Create .venv and sync it to requirements-dev.txt, and the Node packages (quick when done).

    A lock that no longer fits its declaration (requirements*.in) is locked again first. With
    UI Components (a package.json) it also runs `npm ci`, which needs Node.js 22 or newer;
    a stamp in node_modules/ makes it quick when nothing changed. Finds Python 3.12 on PATH,
    through the py launcher, among pyenv's or uv's Pythons, or at IXON_PYTHON. IXON_VENV puts
    the environment somewhere else than .venv.
    """
    env = ensure_environment(force=force)
    environment.compile_tasks(env, ROOT)  # quick when compiled (ensure compiles at a build)
    for found in legacy.find(ROOT):
        print(f"WARNING: {found.describe()}", file=sys.stderr)
    print(f"Ready: {env.python}")
    if nodejs.wanted(ROOT):
        print(nodejs.install(ROOT, force=force))


@user_task(
    help={
        "k": "Only run tests matching this expression (pytest -k)",
        "verbose": "List every test",
        "record": "Record IXON's real API answers for tests marked ixon_recording (your token)",
        "watch": "Run them again after every save (the changed test files, or all), until Ctrl-C",
    }
)
def test(c, k="", verbose=False, record=False, watch=False):
    """Run the tests with pytest."""
    env = ensure_environment()
    arguments = ["-m", "ixon_devkit.testing.watch" if watch else "pytest"]
    if k:
        arguments += ["-k", k]
    if verbose:
        arguments.append("-v")
    if watch:
        processes.run_foreground([str(env.python), *arguments], ROOT)
        return
    if record:
        code = _record([str(env.python), *arguments])
    elif _inside(env):
        code = _pytest_here(arguments[2:])
    else:
        code = subprocess.run([str(env.python), *arguments], cwd=ROOT).returncode
    check_runs.record_test_run(ROOT, code, selection=k)
    if code == check_runs.NO_TESTS and not k:
        print("No tests yet (pytest found none): `invoke new NAME` adds a function with its test")
        return
    if code == check_runs.NO_TESTS:
        raise CommandError(
            "no tests ran: check the -k expression, or add tests under tests/", exit_code=5
        )
    if code != 0:
        raise CommandError(
            "tests failed (listed above): fix them, then run `invoke test` again "
            "(`invoke test -k NAME` runs only the matching ones)",
            exit_code=code,
        )


def _inside(env: environment.Environment) -> bool:
    """Whether this process runs in `env` (as the workspace's bootstrap makes every task run)."""
    return Path(sys.prefix).resolve() == env.path.resolve()


def _pytest_here(arguments: list[str]) -> int:
    """pytest's exit code, run in this process: the tests run hundreds of times a day, and a
    second Python would import much of what this one has (importlib.metadata, inspect, ...)."""
    import pytest  # noqa: PLC0415 - imported by the tests alone, not by every task

    os.chdir(ROOT)
    return int(pytest.main(arguments))


def _record(command: list[str]) -> int:
    """Run the tests with IXON_RECORD=1: against IXON's API, with your token. What pytest
    prints goes through the token's mask (a failing test may print what IXON echoed)."""
    token = settings.find_token(ROOT)  # none: the marked tests say how to get one
    if sys.stdout.isatty():
        command = [*command, "--color=yes"]  # through the mask, pytest sees no terminal
    environ = {**os.environ, "IXON_RECORD": "1"}
    secret = token.reveal() if token else ""
    return processes.run_masked(command, ROOT, environ, lambda text: masking.mask(text, secret))


@user_task(
    help={
        "upgrade": "Move every pin to the newest release the declarations allow",
        "check": "Only check that every lock fits its declaration (CI; no registry needed)",
    }
)
def lock(c, upgrade=False, check=False):
    """Compile requirements*.in into the locks requirements*.txt (same input, same bytes).

    Then `invoke setup` (or any task) syncs .venv to the new lock. Needs the package registry.
    """
    if check:
        reason = locking.stale_reason(ROOT)
        if reason:
            raise CommandError(f"{reason}: run `invoke lock` and commit the locks")
        print("The locks fit their declarations")
        return
    changed = environment.lock_workspace(ROOT, upgrade=upgrade)
    print(f"Locked: {', '.join(changed)} changed" if changed else "Locked: nothing changed")


@user_task(help={"strict": "Fail on findings the runtime's own caps hold back too"})
def audit(c, strict=False):
    """Known vulnerabilities of the locked packages (pip-audit) and the Node packages (npm).

    Says which findings the runtime's own pins hold back; fails only on what this workspace can
    fix (all with --strict). One line, and no failure, when the advisories cannot be reached.
    """
    run_in_environment("-m", "ixon_devkit.workspace.audit", *(["--strict"] if strict else []))
    if nodejs.wanted(ROOT):
        line, failed = nodejs.audit(ROOT)
        print(line)
        if failed:
            raise CommandError("npm audit found vulnerabilities (listed above): `npm audit fix`")


@user_task
def typecheck(c):
    """Check the type hints of functions/ and tests/ with mypy (optional: CI does not run it)."""
    run_in_environment(
        "-m", "mypy", "functions", "tests", failed="mypy found type errors (listed above)"
    )


@user_task(
    help={
        "baseline": f"Write {linting.BASELINE}: the current findings, which then fail no more",
    }
)
def lint(c, baseline=False):
    """Check the code with ruff: lint rules and formatting (new findings, past the baseline).

    Findings listed in lint-baseline.txt (written by --baseline or `invoke adopt`, for code
    brought in as it was) are counted, not failed; any other finding fails, as in deploy.
    """
    env = ensure_environment()
    found = linting.findings(env.python, ROOT)
    if baseline:
        count = linting.write_baseline(ROOT, found)
        print(
            f"Wrote {linting.BASELINE}: {count} finding(s) that `invoke lint` and `invoke deploy` "
            "no longer fail on; delete its lines as you fix them"
            if count
            else f"No findings: no {linting.BASELINE} needed"
        )
        return
    result = linting.compare(found, linting.read_baseline(ROOT))
    for line in result.describe():
        print(line)
    if not result.new:
        print("ruff check and ruff format --check: no new findings")
        return
    raise CommandError(
        f"{linting.checks_named(result.new)} found problems (listed above): `invoke format` "
        "fixes the formatting and ruff's safe fixes; fix the rest by hand (code brought in as "
        f"it was: `invoke lint --baseline` lists its findings, formatting too, in "
        f"{linting.BASELINE})"
    )


@user_task(name="format")
def format_(c):
    """Apply ruff's safe fixes, then format the code (one run leaves `invoke lint` clean of
    both: a fix that removes a line may leave the file to be formatted again)."""
    env = ensure_environment()
    fixed = subprocess.run([str(env.python), "-m", "ruff", "check", "--fix", "."], cwd=ROOT)
    run_in_environment("-m", "ruff", "format", ".")
    if fixed.returncode != 0:
        raise CommandError(
            "ruff check found what its safe fixes cannot fix (listed above): fix it by hand "
            f"(code brought in as it was: `invoke lint --baseline` lists it in {linting.BASELINE})",
            exit_code=fixed.returncode,
        )
