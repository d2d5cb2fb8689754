"""What every module of the workspace's tasks shares: `user_task`, the environment, and the
host modules the tasks use, each imported at its first use (`devkit.tasks` says more).

Runs in whatever Python runs invoke: standard library (and invoke) only, Python 3.9+.
"""

from __future__ import annotations

import functools
import importlib.util
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from invoke import Exit, task

from devkit.errors import UserError, error_line
from devkit.host import environment


def _lazy(name: str) -> ModuleType:
    """The module `name`, imported at its first use: every task loads this file, and `invoke
    test` (run hundreds of times a day) should not pay for `invoke adopt`'s modules."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name}")
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


adopting = _lazy("devkit.host.adopt")
api_names = _lazy("devkit.host.api_access")
bundling = _lazy("devkit.host.bundle")
ui_components = _lazy("devkit.host.components")
component_calls = _lazy("devkit.host.component_calls")
doctoring = _lazy("devkit.host.doctor")
doctor_targets = _lazy("devkit.host.doctor_targets")
examples = _lazy("devkit.host.examples")
import_world = _lazy("devkit.host.import_world")
login = _lazy("devkit.host.login")
scaffold = _lazy("devkit.host.scaffold")
together = _lazy("devkit.host.together")
token_file = _lazy("devkit.host.token_file")
ui_bundle = _lazy("devkit.host.ui_bundle")
versioning = _lazy("devkit.host.versioning")
linting = _lazy("devkit.host.lint")
locking = _lazy("devkit.host.lock")
nodejs = _lazy("devkit.host.node")

ROOT = Path(__file__).resolve().parent.parent


class CommandError(UserError):
    """A tool run by a task failed and has said why above; the message says what to do."""


def user_task(*arguments: Any, **options: Any) -> Any:
    """`@task`, with every UserError turned into its one `ERROR:` line and exit code."""

    def decorate(body: Callable[..., Any]) -> Any:
        @functools.wraps(body)
        def wrapped(*call_arguments: Any, **call_options: Any) -> Any:
            try:
                return body(*call_arguments, **call_options)
            except UserError as error:
                raise Exit(error_line(error), code=error.exit_code) from None

        return task(wrapped, **options)

    if arguments and callable(arguments[0]):
        return decorate(arguments[0])
    return decorate


def ensure_environment(force: bool = False) -> environment.Environment:
    """The workspace's environment, set up first when needed."""
    return environment.ensure(ROOT, force=force)


def run_in_environment(*arguments: str, failed: str = "") -> int:
    """Run `python ARGUMENTS` in the workspace's environment (set up when needed).

    A non-zero exit ends the task with that code; with `failed`, also with that ERROR line
    (without it the tool has already said what went wrong).
    """
    env = ensure_environment()
    code = subprocess.run([str(env.python), *arguments], cwd=ROOT).returncode
    if code != 0:
        if failed:
            raise CommandError(failed, exit_code=code)
        raise Exit(code=code)
    return code
