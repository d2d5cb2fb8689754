"""Upgrading a workspace from a template release before 2.0.0 (ixon_devkit/workspace/upgrade.py),
in process.

The whole path (a workspace made at the first release with `cruft create`, a task of the user's,
`cruft update`, the one-line refusal, the upgrade) runs end to end in tests/test_cruft.py; here
are the rules of the upgrade itself, on old `tasks.py` files taken from the template's history.
"""

from __future__ import annotations

import ast
import shutil
import subprocess

import pytest

from conftest import TEMPLATE, WORKSPACE_TEMPLATE, workspace_module

upgrade = workspace_module("ixon_devkit.workspace.upgrade")
package = workspace_module("devkit")

#: The template's `tasks.py` before 2.0.0, one commit per version it had (the first release,
#: ae1b876, has f47e675's).
OLD_RELEASES = ("ee88ce5", "d7ae34b", "f30cb0d", "f47e675")
TASKS = "{{cookiecutter.function_slug}}/tasks.py"
USER_TASK = '''

@task
def hello(c, who="world"):
    """Say hello (a task of my own)."""
    print(f"hello {who}")
'''


def old_tasks(commit: str = "f47e675") -> str:
    """The template's tasks.py at `commit`, from the template's own git history."""
    result = subprocess.run(
        ["git", "show", f"{commit}:{TASKS}"], cwd=TEMPLATE, capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.fail(f"the template's git history (commit {commit}) is needed: {result.stderr}")
    return result.stdout


WORKSPACE_TASKS = upgrade.workspace_task_names(WORKSPACE_TEMPLATE / "devkit" / "tasks.py")


def test_the_workspace_task_names_are_read_from_every_task_module():
    # devkit/tasks.py gathers them from devkit/tasks_*.py: a name missed would let an old
    # task of the same name through as the user's own
    assert {"setup", "test", "serve", "call", "deploy", "version", "login", "adopt"} <= (
        WORKSPACE_TASKS
    )


def test_the_thin_tasks_file_is_the_templates():
    assert (WORKSPACE_TEMPLATE / "tasks.py").read_text(encoding="utf-8") == upgrade.THIN


def test_every_statement_of_every_old_release_is_known_and_nothing_else():
    keys = set()
    for commit in OLD_RELEASES:
        text = old_tasks(commit)
        lines = text.splitlines()
        keys |= {upgrade.statement_key(lines, node) for node in ast.parse(text).body}
    assert keys == upgrade.KNOWN


def test_an_untouched_old_file_becomes_the_thin_one():
    new, report = upgrade.plan(old_tasks(), WORKSPACE_TASKS)

    assert new == upgrade.THIN
    assert report == []


def test_a_users_task_is_carried_with_the_imports_it_needs_and_listed():
    new, report = upgrade.plan(old_tasks() + USER_TASK, WORKSPACE_TASKS)

    assert "def hello(c, who=" in new
    assert "from invoke import task\n" in new
    assert new.rstrip().endswith("namespace.add_task(hello)\n\nns = namespace")
    assert report == ["Moved your task `hello` into the new tasks.py"]
    compile(new, "tasks.py", "exec")


def test_what_cannot_be_carried_is_named():
    old = old_tasks()
    changed_test = old.replace('"""Run the tests with pytest."""', '"""My own test task."""')
    assert changed_test != old
    clash = '\n\n@task\ndef deploy_(c):\n    """Mine."""\n'
    uses_helper = '\n\n@task\ndef check(c):\n    _run(_environment(), "-m", "pytest")\n'

    new, report = upgrade.plan(changed_test + clash + uses_helper, WORKSPACE_TASKS)

    assert "My own test task" not in new
    assert any("changed version of the template's `test`" in line for line in report)
    assert "def deploy_(c):" in new and "namespace.add_task(deploy_)" not in new
    assert any("`deploy` has the name of a workspace task" in line for line in report)
    assert "namespace.add_task(check)" in new
    assert sum("uses `_environment`" in line or "uses `_run`" in line for line in report) == 2


def test_a_file_that_does_not_parse_is_one_error_and_nothing_is_written(tmp_path):
    (tmp_path / "tasks.py").write_text(old_tasks() + "\ndef broken(:\n", encoding="utf-8")
    before = (tmp_path / "tasks.py").read_bytes()
    with pytest.raises(upgrade.UpgradeError, match=r"devkit/tasks\.py is missing: take the"):
        upgrade.upgrade(tmp_path)
    (tmp_path / "devkit").mkdir()
    shutil.copy(WORKSPACE_TEMPLATE / "devkit" / "tasks.py", tmp_path / "devkit")

    with pytest.raises(upgrade.UpgradeError, match=r"tasks.py does not parse \(line \d+"):
        upgrade.upgrade(tmp_path)
    assert (tmp_path / "tasks.py").read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["devkit", "tasks.py"]


def test_an_upgraded_file_is_left_alone(tmp_path):
    (tmp_path / "tasks.py").write_text(upgrade.THIN, encoding="utf-8")

    assert upgrade.upgrade(tmp_path) == [
        "tasks.py already takes the workspace's tasks from ixon_devkit.tasks: nothing to do"
    ]


def test_a_moved_module_is_one_line_and_other_names_stay_attribute_errors():
    with pytest.raises(SystemExit) as stopped:
        package.__getattr__("bundle")
    assert "python3 -m ixon_devkit.workspace.upgrade" in str(stopped.value.code)
    assert "\n" not in str(stopped.value.code)
    with pytest.raises(AttributeError):
        package.__getattr__("tasks_that_never_were")
