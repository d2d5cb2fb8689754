"""Every user-facing error of the workspace goes through the one wrapper.

Every module of the tooling package is imported in the workspace environment; each
`UserError` subclass found there is raised inside an invoke task wrapped by `user_task` (run by
invoke's own Program, as `invoke NAME` runs it) and inside a `main_wrapper` entry point. Each
must end with exactly one `ERROR:` line and its exit code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import contextlib, importlib, io, json, pkgutil, sys
import ixon_devkit
from invoke import Collection, Program
from ixon_devkit.errors import UserError, main_wrapper
from ixon_devkit.tasks import user_task

for info in pkgutil.walk_packages(ixon_devkit.__path__, "ixon_devkit."):
    if info.name != "ixon_devkit.__main__":
        importlib.import_module(info.name)

def subclasses(kind):
    for sub in kind.__subclasses__():
        yield sub
        yield from subclasses(sub)

MESSAGE = "it went wrong\n   over two lines: do this"
results = []
for kind in sorted(set(subclasses(UserError)), key=lambda k: (k.__module__, k.__qualname__)):
    error = kind(MESSAGE)

    @user_task
    def boom(c):
        raise error

    task_err = io.StringIO()
    with contextlib.redirect_stderr(task_err), contextlib.redirect_stdout(io.StringIO()):
        try:
            Program(namespace=Collection(boom), name="invoke").run(["invoke", "boom"])
            task_code = 0
        except SystemExit as stop:
            task_code = stop.code

    @main_wrapper
    def main():
        raise error

    main_err = io.StringIO()
    with contextlib.redirect_stderr(main_err):
        main_code = main()
    results.append({
        "name": kind.__name__, "module": kind.__module__, "exit_code": error.exit_code,
        "task": [task_code, task_err.getvalue()], "main": [main_code, main_err.getvalue()],
    })
print(json.dumps(results))
"""

#: Kinds that must be among those found: one per area of the workspace's tooling.
EXPECTED = {
    "SetupError",
    "SettingsError",
    "WorkspaceFileError",
    "BundleError",
    "VersionError",
    "ScaffoldError",
    "RecordError",
    "GitError",
    "DeployError",
    "ApiError",
    "CallError",
    "InputError",
    "CallContextError",
    "DocStoreError",
    "ToolsNotReadyError",
    "CommandError",
    "DoctorError",
    "OnlineError",
    "UncertainRequestError",
    "LockBusyError",
    "LoginError",
    "TargetError",
    "OriginError",
    "ExposeError",
    "UpgradeError",
}


def test_every_user_error_ends_in_one_error_line_and_its_exit_code(
    default_workspace: Path, shared_venv: Path
) -> None:
    python = shared_venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    result = subprocess.run(
        [str(python), "-c", SCRIPT],
        cwd=default_workspace,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(result.stdout)
    names = [kind["name"] for kind in found]

    assert set(names) >= EXPECTED, EXPECTED - set(names)
    assert len(names) == len(set(names)), "two error classes share a name"
    for kind in found:
        assert kind["exit_code"] != 0, kind
        for way in ("task", "main"):
            code, stderr = kind[way]
            assert code == kind["exit_code"], (way, kind)
            assert stderr.splitlines() == ["ERROR: it went wrong over two lines: do this"], (
                way,
                kind,
            )
