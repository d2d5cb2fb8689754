"""What every module of the workspace's tasks shares: `user_task`, the environment, and the
modules the tasks use, each imported at its first use (`ixon_devkit.tasks` says more).
"""

from __future__ import annotations

import functools
import importlib.util
import subprocess
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from invoke import Exit, task

from ixon_devkit.errors import UserError, error_line
from ixon_devkit.workspace import environment, root


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


adopting = _lazy("ixon_devkit.adopt")
api_names = _lazy("ixon_devkit.cloud.api_access")
bundling = _lazy("ixon_devkit.ship.bundle")
ui_components = _lazy("ixon_devkit.ui.components")
component_calls = _lazy("ixon_devkit.ui.component_calls")
doctoring = _lazy("ixon_devkit.doctor.doctor")
doctor_targets = _lazy("ixon_devkit.doctor.doctor_targets")
examples = _lazy("ixon_devkit.workspace.examples")
import_world = _lazy("ixon_devkit.workspace.import_world")
login = _lazy("ixon_devkit.cloud.login")
scaffold = _lazy("ixon_devkit.workspace.scaffold")
together = _lazy("ixon_devkit.serve.together")
token_file = _lazy("ixon_devkit.cloud.token_file")
ui_bundle = _lazy("ixon_devkit.ui.ui_bundle")
versioning = _lazy("ixon_devkit.ship.versioning")
linting = _lazy("ixon_devkit.workspace.lint")
locking = _lazy("ixon_devkit.workspace.lock")
nodejs = _lazy("ixon_devkit.ui.node")

ROOT = root.find()


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
