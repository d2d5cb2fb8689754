"""Upgrading a workspace from an older template release to the package layout
(ixon_devkit/workspace/upgrade.py and upgrade_requirements.py), in process.

The whole path (a workspace made at 1.0.0, 2.0.0 and the last main before the package with
`cruft create`, work of the user's, `cruft update`, `invoke upgrade` or `python3 -m bootstrap
upgrade`, the workspace's tasks afterwards) runs end to end in tests/test_cruft.py; here are the
rules of the upgrade itself, on old `tasks.py` files taken from the template's history and on
requirement files as cruft leaves them.
"""

from __future__ import annotations

import ast
import importlib.util
import shutil
import subprocess
import tomllib

import pytest

from conftest import TEMPLATE, WORKSPACE_TEMPLATE, bake, workspace_module

upgrade = workspace_module("ixon_devkit.workspace.upgrade")
requirements = workspace_module("ixon_devkit.workspace.upgrade_requirements")
conflicts = workspace_module("ixon_devkit.workspace.conflicts")
WORKSPACE_TASKS = set(workspace_module("ixon_devkit.tasks").namespace.tasks)

#: The template's `tasks.py` before 3.0.0, one commit per version it had (the first release,
#: ae1b876, has f47e675's; fc85b42 is the thin one of 2.0.0 up to the package).
OLD_RELEASES = ("ee88ce5", "d7ae34b", "f30cb0d", "f47e675", "fc85b42")
TASKS = "{{cookiecutter.function_slug}}/tasks.py"
VERSION = tomllib.loads((TEMPLATE / "devkit" / "pyproject.toml").read_text())["project"]["version"]
USER_TASK = '''

@task
def hello(c, who="world"):
    """Say hello (a task of my own)."""
    print(f"hello {who}")
'''
THIN_USER_TASK = '''@user_task
def hello(c):
    """Mine."""
    print(ROOT)


namespace.add_task(hello)

ns = namespace
'''


def old_tasks(commit: str = "f47e675") -> str:
    """The template's tasks.py at `commit`, from the template's own git history."""
    result = subprocess.run(
        ["git", "show", f"{commit}:{TASKS}"], cwd=TEMPLATE, capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.fail(f"the template's git history (commit {commit}) is needed: {result.stderr}")
    return result.stdout


def no_lock(root):
    return []


# tasks.py


def test_the_workspace_task_names_come_from_the_package():
    assert {"setup", "test", "serve", "call", "deploy", "version", "login", "adopt"} <= (
        WORKSPACE_TASKS
    )
    assert "upgrade" in WORKSPACE_TASKS


def test_the_thin_tasks_file_is_the_templates():
    assert (WORKSPACE_TEMPLATE / "tasks.py").read_text(encoding="utf-8") == upgrade.THIN


def test_every_statement_of_every_old_release_is_known_and_nothing_else():
    keys = set()
    for commit in OLD_RELEASES:
        text = old_tasks(commit)
        lines = text.splitlines()
        keys |= {upgrade.statement_key(lines, node) for node in ast.parse(text).body}
    assert keys == upgrade.KNOWN


@pytest.mark.parametrize("commit", ["f47e675", "fc85b42"])
def test_an_untouched_old_file_becomes_the_thin_one(commit):
    new, report = upgrade.plan(old_tasks(commit), WORKSPACE_TASKS)

    assert new == upgrade.THIN
    assert report == []


def test_a_users_task_is_carried_with_the_imports_it_needs_and_listed():
    new, report = upgrade.plan(old_tasks() + USER_TASK, WORKSPACE_TASKS)

    assert "def hello(c, who=" in new
    assert "bootstrap.enter(__file__)\n\nfrom invoke import task  # noqa: E402\n" in new
    assert new.rstrip().endswith("namespace.add_task(hello)\n\nns = namespace")
    assert report == ["Moved your task `hello` into the new tasks.py"]
    compile(new, "tasks.py", "exec")


def test_a_task_of_the_thin_file_keeps_its_own_add_task_and_gets_root_back():
    old = old_tasks("fc85b42").replace("ns = namespace\n", THIN_USER_TASK)

    new, report = upgrade.plan(old, WORKSPACE_TASKS)

    assert new.count("\nnamespace.add_task(hello)") == 1  # the example's is a comment
    assert "from pathlib import Path  # noqa: E402" in new
    assert f"{upgrade.MARK}\n{upgrade.ROOT_LINE}\n" in new
    assert "from devkit" not in new
    assert report == ["Moved your task `hello` into the new tasks.py"]


def test_a_merged_new_file_gets_back_what_the_users_task_used_from_the_old_header():
    """cruft merges a thin tasks.py of 2.0.0 into the new one cleanly, but the new one no
    longer defines ROOT (nor imports Path) for the user's task below."""
    merged = upgrade.THIN.replace("ns = namespace\n", THIN_USER_TASK)
    assert upgrade.is_current(merged)

    new, report = upgrade.complete(merged)

    assert f"from pathlib import Path  # noqa: E402\n\n{upgrade.NAMESPACE_IMPORT}" in new
    assert f"{upgrade.NAMESPACE_IMPORT}\n{upgrade.ROOT_LINE}\n" in new
    assert report == [
        "Gave tasks.py back what your tasks use from the old one's header: Path, ROOT"
    ]
    compile(new, "tasks.py", "exec")
    assert upgrade.complete(new) == (None, [])
    assert upgrade.complete(upgrade.THIN) == (None, [])


@pytest.mark.parametrize("merged", [False, True])
def test_an_upgraded_file_passes_the_workspaces_lint(tmp_path, merged):
    if merged:
        merged_file = upgrade.THIN.replace("ns = namespace\n", f"\n{THIN_USER_TASK}")
        new, _ = upgrade.complete(merged_file)
    else:
        new, _ = upgrade.plan(old_tasks() + USER_TASK, WORKSPACE_TASKS)
    (tmp_path / "tasks.py").write_text(new, encoding="utf-8")
    shutil.copy(WORKSPACE_TEMPLATE / "pyproject.toml", tmp_path)
    shutil.copy(WORKSPACE_TEMPLATE / "bootstrap.py", tmp_path)
    ruff = shutil.which("ruff")
    assert ruff, "ruff is not installed: pip install -r requirements-test.txt"

    # The template's namespace import says `noqa: F401` for an unused `user_task`: a task of the
    # user's made with it makes that noqa unused (RUF100), upgraded or not.
    ignored = ["--extend-ignore", "RUF100"] if merged else []
    checked = subprocess.run(
        [ruff, "check", *ignored, "tasks.py"], cwd=tmp_path, capture_output=True
    )
    formatted = subprocess.run(
        [ruff, "format", "--check", "tasks.py"], cwd=tmp_path, capture_output=True
    )

    assert checked.returncode == 0, checked.stdout
    assert formatted.returncode == 0, formatted.stdout


def test_what_cannot_be_carried_is_named():
    old = old_tasks()
    changed_test = old.replace('"""Run the tests with pytest."""', '"""My own test task."""')
    assert changed_test != old
    clash = '\n\n@task\ndef deploy_(c):\n    """Mine."""\n'
    uses_helper = '\n\n@task\ndef check(c):\n    _run(_environment(), "-m", "pytest")\n'
    moved = "\nfrom devkit.host import git\n"

    new, report = upgrade.plan(changed_test + clash + uses_helper + moved, WORKSPACE_TASKS)

    assert "My own test task" not in new
    assert any("changed version of the template's `test`" in line for line in report)
    assert "def deploy_(c):" in new and "namespace.add_task(deploy_)" not in new
    assert any("`deploy` has the name of a workspace task" in line for line in report)
    assert "namespace.add_task(check)" in new
    assert sum("uses `_environment`" in line or "uses `_run`" in line for line in report) == 2
    assert any("`from devkit.host import git`" in line for line in report)


def test_conflict_markers_are_read_as_the_users_side():
    theirs = upgrade.THIN
    ours = old_tasks("fc85b42").replace("ns = namespace\n", THIN_USER_TASK)
    text = f"<<<<<<< ours\n{ours}||||||| base\nold\n=======\n{theirs}>>>>>>> theirs\n"

    assert conflicts.has_conflicts(text)
    assert conflicts.resolve(text, "ours") == ours
    assert conflicts.resolve(text, "theirs") == theirs
    assert not upgrade.is_current(text)


def test_a_merge_of_both_tasks_files_without_a_commit_keeps_only_the_users_statements(tmp_path):
    """Where both changed the same lines git leaves conflict markers, elsewhere it takes the
    template's: with no commit to read the user's file from, the user's sides of the
    conflicts beside the new file's statements."""
    old = old_tasks()
    last = old[old.rindex("\n@task") :]  # the old template's last task, then the user's
    (tmp_path / "tasks.py").write_text(
        upgrade.THIN.replace(
            "ns = namespace\n",
            f"<<<<<<< ours\n{last}{USER_TASK}=======\nns = namespace\n>>>>>>> theirs\n",
        ),
        encoding="utf-8",
    )

    writes, report = upgrade._plan_tasks(tmp_path / "tasks.py", WORKSPACE_TASKS)

    new = writes[tmp_path / "tasks.py"]
    assert new.count("import bootstrap") == 1 and new.count("\nnamespace.add_task(hello)") == 1
    assert report == ["Moved your task `hello` into the new tasks.py"]
    assert list(writes) == [tmp_path / "tasks.py"]  # nothing left out: no old file kept


# The whole upgrade of a workspace's files (the lock stood in for)


@pytest.fixture
def after_cruft(tmp_path):
    """A baked workspace as `cruft update` leaves one of 2.0.0: its old tasks.py with a task of
    the user's, the old hand-written requirements.txt beside cruft's .rej, what is left of
    devkit/ (a file the user changed, caches)."""
    root = bake(tmp_path)
    (root / "tasks.py").write_text(old_tasks("fc85b42").replace("ns = namespace\n", THIN_USER_TASK))
    (root / "requirements.txt").write_text(
        "# What the bundle carries to IXON Cloud, which installs it there: pin every line with "
        "==.\nixoncdkingress==1.0.0\nrequests==2.31.0\n"
    )
    (root / "requirements.txt.rej").write_text(
        "diff a/requirements.txt b/requirements.txt\t(rejected hunks)\n@@ -1,2 +1,3 @@\n"
        "-# What the bundle carries to IXON Cloud\n ixoncdkingress==1.0.0\n+    # via -r x\n"
    )
    (root / "devkit" / "host" / "__pycache__").mkdir(parents=True)
    (root / "devkit" / "host" / "bundle.py").write_text("# my change\n")
    (root / "README.md.rej").write_text("a hunk\n")
    return root


def test_a_workspace_after_cruft_update_is_upgraded(after_cruft):
    root = after_cruft
    locked = []

    report = upgrade.upgrade(
        root,
        version=VERSION,
        workspace_tasks=WORKSPACE_TASKS,
        relock=lambda where: locked.append(where) or ["requirements.txt"],
    )

    assert locked == [root]
    assert "namespace.add_task(hello)" in (root / "tasks.py").read_text(encoding="utf-8")
    assert "requests==2.31.0" in (root / "requirements.in").read_text(encoding="utf-8")
    assert not (root / "requirements.txt").exists()  # compiled anew by the lock
    assert not (root / "devkit").exists()
    assert not (root / "requirements.txt.rej").exists()
    assert (root / "README.md.rej").is_file()  # not the upgrade's to merge
    assert report == [
        "Moved your task `hello` into the new tasks.py",
        "Kept your requirement `requests==2.31.0` (now in requirements.in)",
        "Locked again: requirements.txt",
        "Removed requirements.txt.rej (cruft's rejected change, taken over here)",
        "Removed devkit/ (the tooling is the ixon-devkit package now; git's history has your "
        "changes to devkit/host/bundle.py)",
        "Merge by hand what cruft could not: README.md.rej",
        "Next: invoke --list, invoke test; then commit (`git add --all` settles the files cruft "
        "left conflicted)",
    ]


def test_a_failed_lock_changes_nothing(after_cruft):
    root = after_cruft
    before = {
        path.relative_to(root): path.read_bytes() for path in root.rglob("*") if path.is_file()
    }

    def failing(where):
        (where / "requirements-dev.txt").write_text("half written")
        raise upgrade.upgrade_requirements.RequirementsError(
            "`uv pip compile requirements.in` failed: no index"
        )

    with pytest.raises(upgrade.UpgradeError) as refused:
        upgrade.upgrade(root, version=VERSION, workspace_tasks=WORKSPACE_TASKS, relock=failing)

    message = str(refused.value)
    assert message.startswith("`uv pip compile requirements.in` failed: no index; the upgrade")
    assert "run `invoke upgrade` again" in message and "\n" not in message
    after = {
        path.relative_to(root): path.read_bytes() for path in root.rglob("*") if path.is_file()
    }
    # the lock's own restore puts requirements-dev.txt back in the real run; this stand-in does
    # not, so it is left out of the comparison
    after.pop(root.joinpath("requirements-dev.txt").relative_to(root))
    before.pop(root.joinpath("requirements-dev.txt").relative_to(root))
    assert after == before


def test_a_file_that_does_not_parse_is_one_error_and_nothing_is_written(tmp_path):
    root = bake(tmp_path)
    (root / "tasks.py").write_text(old_tasks() + "\ndef broken(:\n", encoding="utf-8")
    before = sorted(path.name for path in root.iterdir())

    with pytest.raises(upgrade.UpgradeError, match=r"tasks.py does not parse \(line \d+") as error:
        upgrade.upgrade(root, version=VERSION, workspace_tasks=WORKSPACE_TASKS, relock=no_lock)

    assert "`python3 -m bootstrap upgrade`" in str(error.value)
    assert sorted(path.name for path in root.iterdir()) == before


def test_an_upgrade_before_cruft_update_says_to_take_the_release_first(tmp_path):
    root = bake(tmp_path)
    (root / "bootstrap.py").unlink()

    with pytest.raises(upgrade.UpgradeError, match=r"bootstrap.py is missing .*`cruft update`"):
        upgrade.upgrade(root, version=VERSION, workspace_tasks=WORKSPACE_TASKS, relock=no_lock)


def test_a_fresh_bake_has_nothing_to_upgrade(tmp_path):
    root = bake(tmp_path)

    report = upgrade.upgrade(root, version=VERSION, workspace_tasks=WORKSPACE_TASKS, relock=None)

    assert report == ["The workspace already takes its tooling from ixon-devkit: nothing to do"]
    (root / "functions" / "example.py.rej").write_text("a hunk\n")
    again = upgrade.upgrade(root, version=VERSION, workspace_tasks=WORKSPACE_TASKS, relock=None)
    assert again[1:] == ["Merge by hand what cruft could not: functions/example.py.rej"]


# requirement files


def test_a_conflicted_development_declaration_keeps_both_sides_and_drops_the_tools(tmp_path):
    root = bake(tmp_path)
    declaration = root / "requirements-dev.in"
    template = declaration.read_text(encoding="utf-8")
    pin = next(line for line in template.splitlines() if line.startswith("ixon-devkit=="))
    declaration.write_text(
        template.replace(
            pin,
            "<<<<<<< ours\npytest==9.2.0\nuv==0.13.9  # the installer\nrich==15.0.0\n"
            f"-c constraints.txt\n=======\n{pin}\n>>>>>>> theirs",
        ),
        encoding="utf-8",
    )
    (root / "requirements-dev.txt").write_text(
        "<<<<<<< ours\nmine==1\n    # via -r requirements-dev.in\n=======\ntheirs==2\n"
        ">>>>>>> theirs\n",
        encoding="utf-8",
    )

    plan = requirements.plan(root, VERSION)

    merged = plan.writes["requirements-dev.in"]
    assert merged.splitlines()[-3:] == [pin, "rich==15.0.0", "-c constraints.txt"]
    assert "pytest" not in merged and "uv==" not in merged and "<<<<<<<" not in merged
    assert plan.writes["requirements-dev.txt"] == "theirs==2\n"
    assert "mine" not in merged  # a compiled lock's pins are no declarations
    assert "Removed `pytest==9.2.0` from requirements-dev.in: ixon-devkit brings it" in " ".join(
        plan.report
    )


def test_a_hand_written_file_with_conflict_markers_gives_the_users_lines_to_its_declaration(
    tmp_path,
):
    """1.x and 2.x wrote requirements*.txt by hand: cruft merges the template's lock into the
    user's changed file with conflict markers; the names the template never wrote there are the
    user's."""
    root = bake(tmp_path)
    lock = (root / "requirements-dev.txt").read_text(encoding="utf-8")
    (root / "requirements-dev.txt").write_text(
        "<<<<<<< ours\n-r requirements.txt\npytest==9.2.0\nrequests==2.31.0\n"
        f"rich==15.0.0  # mine\n=======\n{lock}>>>>>>> theirs\n",
        encoding="utf-8",
    )

    plan = requirements.plan(root, VERSION)

    assert plan.writes["requirements-dev.txt"] == lock
    assert plan.writes["requirements-dev.in"].endswith("\nrich==15.0.0  # mine\n")
    assert "pytest" not in plan.writes["requirements-dev.in"]
    assert "requests" not in plan.writes["requirements-dev.in"]  # the template's old list had it
    assert "Kept your requirement `rich==15.0.0  # mine` (now in requirements-dev.in)" in (
        plan.report
    )


def test_a_declaration_without_the_pin_gets_it(tmp_path):
    root = bake(tmp_path)
    declaration = root / "requirements-dev.in"
    declaration.write_text("-r requirements.in\nruff==0.17.6\nrich==15.0.0\n", encoding="utf-8")

    plan = requirements.plan(root, VERSION)

    assert plan.writes["requirements-dev.in"] == (
        f"-r requirements.in\nrich==15.0.0\nixon-devkit=={VERSION}{requirements.PIN_NOTE}\n"
    )
    assert f"Pinned ixon-devkit=={VERSION} in requirements-dev.in" in plan.report


def test_the_tools_the_package_brings_are_its_dependencies():
    """The tool lines upgrade drops (the old template's) are all dependencies of the package;
    the package's other dependencies (requests, packaging, ...) a user may declare for their
    own code, so upgrade keeps such a line."""
    project = tomllib.loads((TEMPLATE / "devkit" / "pyproject.toml").read_text())["project"]
    names = {requirements.requirement_name(line) for line in project["dependencies"]}

    assert names >= requirements.BROUGHT
    assert not {"requests", "packaging", "urllib3"} & requirements.BROUGHT


# bootstrap.py: the environment of `python3 -m bootstrap upgrade`


def _bootstrap():
    spec = importlib.util.spec_from_file_location(
        "_bootstrap_under_test", WORKSPACE_TEMPLATE / "bootstrap.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("lock_has_tooling", [True, False])
def test_bootstrap_installs_the_pin_where_the_lock_has_no_tooling_yet(
    tmp_path, monkeypatch, lock_has_tooling
):
    bootstrap = _bootstrap()
    (tmp_path / "requirements-dev.in").write_text("-r requirements.in\nixon-devkit==9.9  # x\n")
    lock = "# header\nixon-devkit==9.9 \\\n    --hash=sha256:00\n" if lock_has_tooling else "a==1\n"
    (tmp_path / "requirements-dev.txt").write_text(lock)
    env = tmp_path / "env"
    env.mkdir()
    (env / "pyvenv.cfg").write_text("")
    ran = []
    monkeypatch.setattr(bootstrap, "_find_python", lambda root: "python3")
    monkeypatch.setattr(bootstrap.shutil, "which", lambda name: f"/bin/{name}")
    monkeypatch.setattr(bootstrap.subprocess, "run", lambda command, **_: ran.append(command))

    bootstrap._install(tmp_path, env, env / "bin")

    assert ran[-1][:3] == ["/bin/uv", "pip", "sync" if lock_has_tooling else "install"]
    assert ran[-1][-1] == (
        str(tmp_path / "requirements-dev.txt") if lock_has_tooling else "ixon-devkit==9.9"
    )
