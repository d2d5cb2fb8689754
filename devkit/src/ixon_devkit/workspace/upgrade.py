"""`invoke upgrade`: finish moving a workspace from an older template release to this one.

Before 3.0.0 every workspace carried the tooling in `devkit/` (and before 2.0.0 its `tasks.py`
held every task); since 3.0.0 the tooling is the ixon-devkit package that requirements-dev.in
pins, and `tasks.py` takes the tasks from `ixon_devkit.tasks`. `cruft update` brings the
template's files and deletes the `devkit/` files nobody changed; what it cannot merge it leaves
as `.rej` files or conflict markers. `invoke upgrade` (run after `cruft update`; where tasks.py
does not load, `python3 -m bootstrap upgrade`, which runs the same upgrade) does the rest:

- tasks.py: the template's new file, with every statement of the old one that no template
  release wrote carried over (the user's tasks, added to the namespace; helpers; imports).
  Statements are told apart by their source text, compared with every top-level statement of
  every template `tasks.py` before 3.0.0 (`KNOWN`); conflict markers are read as the user's
  side. What cannot be carried is named, and the old file then kept beside the new one.
- the requirement files (`upgrade_requirements`): the user's requirements are kept, the pin
  of the tooling added, the tool lines the package now brings dropped;
- the locks are compiled again (`environment.lock_workspace`), and what is left of `devkit/`
  and the `.rej` files handled are removed.

Nothing is changed when a step fails: the files written are put back as they were.
"""

from __future__ import annotations

import ast
import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from ixon_devkit.errors import UserError
from ixon_devkit.workspace import files, upgrade_requirements
from ixon_devkit.workspace.conflicts import committed, has_conflicts, resolve, unmerged

#: The `tasks.py` the template writes since 3.0.0 (tests/test_upgrade.py checks it is the
#: template's file).
THIN = '''"""Tasks of this workspace: `invoke --list` lists them, `invoke docs` shows the manual.

The workspace's tasks (setup, test, serve, deploy, ...) come from the tooling package that
requirements-dev.in pins (ixon-devkit); bootstrap.py runs them in the workspace's environment,
setting it up first when needed. This file is yours: add your own tasks below.
"""

import bootstrap

bootstrap.enter(__file__)

from ixon_devkit.tasks import namespace, user_task  # noqa: E402, F401

# Your own tasks: define them with @user_task (invoke's @task that also turns the workspace's
# errors into one ERROR: line) and add them to the namespace, for example:
#
#     @user_task
#     def hello(c):
#         """Say hello."""
#         print("hello")
#
#     namespace.add_task(hello)

ns = namespace
'''
NAMESPACE_IMPORT = "from ixon_devkit.tasks import namespace, user_task  # noqa: E402, F401\n"

#: sha256 (first 16 hex digits) of each top-level statement of the template's `tasks.py` in
#: every release before 3.0.0 (commits ee88ce5, d7ae34b, f30cb0d, f47e675 before 2.0.0, the
#: first release ae1b876 has f47e675's; fc85b42 from 2.0.0 on), as `statement_key` computes it.
KNOWN = frozenset(
    {
        "02f0dd8e4cea12b6", "0468590345aa6206", "0db4cc4515e83d85", "1781506fb3c8bfbb",
        "264608a6628dbf7d", "2856ae838330f704", "32abb5ffe9fbf562", "38427a8ed57e7b83",
        "39a2630f58446845", "40a64b4d25401752", "4da76e2d9d0d8ffa", "508b301387e363ee",
        "5fa5e1d5c9fbf43e", "6410bb59a4761133", "6830d631f2ed46d9", "6cad26cbf1768102",
        "6d69f2ac09017b8a", "74f25a050c020de5", "7d8752c4c7ea34c2", "8551934f2766dfd5",
        "8dbe3a7e5d3210c6", "9924a7a7bce2e0eb", "99f84dd044d5f56e", "9e77b3746ea081eb",
        "a6284e6d3d43bdfb", "a79262c2e4f94186", "aa9f492e23f4ad28", "c6f9f8d9c2ecc7f0",
        "d40cc8d12407831e", "d5506217f22e9619", "e081aaa3e01bcd06", "e7e0f0b9f079b7f4",
        "eb90febe58104a37", "eff528b7f8d018b7", "f1e9a1ea21230c70", "f274a949556c0f89",
        "396fcb0298ea7c45", "499ca00ebb8d1cfa", "ead91b6109558935",
    }
)  # fmt: skip

#: Names the `tasks.py` before 2.0.0 defined for its own tasks: a user statement using one cannot
#: be carried as it is (the helper is gone), and a def with one of these names is the template's.
OLD_TEMPLATE_NAMES = frozenset(
    {
        "_environment", "_run", "_checks", "bundling", "deploying", "environment", "scaffold",
        "serving", "agent_tools", "versioning", "setup", "test", "lint", "format_", "serve",
        "call", "bundle", "deploy", "version_", "bump", "new", "tools",
    }
)  # fmt: skip

#: Names the old headers provided that the new `tasks.py` does not, and the import to add.
HEADER_IMPORTS = {
    "task": "from invoke import task",
    "Exit": "from invoke import Exit",
    "subprocess": "import subprocess",
    "sys": "import sys",
    "Path": "from pathlib import Path",
}
#: The old headers' `ROOT`, defined again where a carried statement uses it.
ROOT_LINE = "ROOT = Path(__file__).resolve().parent"

BACKUP_SUFFIX = ".before-3.0"
MARK = "# Moved here from your tasks.py by `invoke upgrade` (template 3.0.0):"
#: The one command that runs the upgrade where tasks.py does not load.
FALLBACK = "python3 -m bootstrap upgrade"


class UpgradeError(UserError):
    """The workspace cannot be upgraded as it is; the message says why and what to do."""


def statement_key(source_lines: list[str], statement: ast.stmt) -> str:
    """A statement's identity: its source text (decorators included, trailing spaces off)."""
    first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", []))])
    text = "\n".join(line.rstrip() for line in source_lines[first - 1 : statement.end_lineno])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _segment(source_lines: list[str], statement: ast.stmt) -> str:
    first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", []))])
    return "\n".join(source_lines[first - 1 : statement.end_lineno])


def task_name(function: str, decorator: ast.expr | None = None) -> str:
    """The name invoke gives a task: `name=` of its decorator, else the function's, dashed."""
    if isinstance(decorator, ast.Call):
        for keyword in decorator.keywords:
            if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                return str(keyword.value.value)
    return function.strip("_").replace("_", "-")


def _task_decorator(function: ast.FunctionDef) -> ast.expr | None:
    """The function's `@task`/`@user_task` decorator (bare or called), if it has one."""
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in {"task", "user_task"}:
            return decorator
    return None


def _used_names(statement: ast.stmt) -> set[str]:
    return {node.id for node in ast.walk(statement) if isinstance(node, ast.Name)}


def _bound_names(statement: ast.stmt) -> set[str]:
    """The names a carried statement binds itself (its own imports, defs, assignments)."""
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return {(alias.asname or alias.name).split(".")[0] for alias in statement.names}
    if isinstance(statement, (ast.FunctionDef, ast.ClassDef)):
        return {statement.name}
    return {
        node.id
        for node in ast.walk(statement)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }


def _added_tasks(statement: ast.stmt) -> set[str]:
    """The functions a `namespace.add_task(NAME)` statement adds."""
    return {
        node.args[0].id
        for node in ast.walk(statement)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "add_task"
        and node.args
        and isinstance(node.args[0], ast.Name)
    }


def _keys(text: str) -> frozenset[str]:
    lines = text.splitlines()
    return frozenset(statement_key(lines, statement) for statement in ast.parse(text).body)


#: The statements of the new `tasks.py`: a file merged with conflict markers and no commit to
#: read the user's from may hold some of them beside the old ones.
THIN_KEYS = _keys(THIN)


def _left_out(index: int, statement: ast.stmt, lines: list[str]) -> str | None:
    """Why a statement of the old file stays behind ("" for the template's own), or None."""
    if statement_key(lines, statement) in KNOWN | THIN_KEYS:
        return ""
    if index == 0 and isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return "Left out your change to the module docstring of tasks.py"
    name = getattr(statement, "name", None)
    if name in OLD_TEMPLATE_NAMES:
        return (
            f"Not carried: your changed version of the template's `{name}` (the workspace's "
            "task comes from ixon-devkit now; add yours under another name if you need it)"
        )
    if isinstance(statement, ast.Assign) and [_bound_names(statement)] == [{"ns"}]:
        return ""  # `ns = namespace` in any spelling: the new file ends with its own
    modules = [alias.name for alias in getattr(statement, "names", [])]
    if isinstance(statement, ast.ImportFrom):
        modules = [statement.module or ""]
    if isinstance(statement, (ast.Import, ast.ImportFrom)) and any(
        module.split(".")[0] == "devkit" for module in modules
    ):
        return (
            f"Not carried (devkit/ is the ixon-devkit package since 3.0.0): "
            f"`{_segment(lines, statement).strip()}`"
        )
    return None


def plan(old: str, workspace_tasks: set[str]) -> tuple[str, list[str]]:
    """The new `tasks.py` for the old text, and the lines that tell the user what happened."""
    try:
        tree = ast.parse(old)
    except SyntaxError as error:
        raise UpgradeError(
            f"tasks.py does not parse (line {error.lineno}: {error.msg}): fix it, then run "
            f"`{FALLBACK}` again; nothing was changed"
        ) from None
    lines = old.splitlines()
    carried: list[ast.stmt] = []
    report: list[str] = []
    for index, statement in enumerate(tree.body):
        reason = _left_out(index, statement, lines)
        if reason is None:
            carried.append(statement)
        elif reason:
            report.append(reason)
    if not carried:
        return THIN, report
    bound = set().union(*map(_bound_names, carried))
    used = set().union(*map(_used_names, carried))
    already_added = set().union(*map(_added_tasks, carried))
    needed = used - bound
    if "ROOT" in needed:
        needed.add("Path")
    imports = {HEADER_IMPORTS[name] for name in needed & HEADER_IMPORTS.keys()}
    added: list[str] = []
    for statement in carried:
        report += [
            f"Check line {statement.lineno} of your old tasks.py: it uses `{gone}`, which the "
            "template's tasks.py no longer defines (see the CHANGELOG's 'Upgrading to 2.0.0')"
            for gone in sorted(_used_names(statement) & OLD_TEMPLATE_NAMES - bound)
        ]
        decorator = _task_decorator(statement) if isinstance(statement, ast.FunctionDef) else None
        if decorator is None:
            continue
        registered = task_name(statement.name, decorator)
        if registered in workspace_tasks:
            report.append(
                f"Your task `{registered}` has the name of a workspace task: it was carried but "
                f"not added to the list; rename it and add `namespace.add_task({statement.name})`"
            )
            continue
        if statement.name not in already_added:
            added.append(statement.name)
        report.append(f"Moved your task `{registered}` into the new tasks.py")
    block = [MARK, *([ROOT_LINE] if "ROOT" in needed else [])]
    block += [f"\n\n{_segment(lines, statement)}" for statement in carried]
    block += ["\n", *(f"namespace.add_task({name})" for name in added)]
    head, tail = with_imports(THIN, imports).rsplit("ns = namespace\n", 1)
    new = head.rstrip("\n") + "\n\n" + "\n".join(block).rstrip("\n") + "\n\nns = namespace\n" + tail
    try:
        compile(new, "tasks.py", "exec")
    except SyntaxError as error:  # a carried statement that only made sense in the old file
        raise UpgradeError(
            f"the upgraded tasks.py would not compile (line {error.lineno}: {error.msg}); "
            "nothing was changed: move your tasks into the template's tasks.py by hand "
            "(below the namespace import, each added with namespace.add_task)"
        ) from None
    return new, report


def complete(text: str) -> tuple[str | None, list[str]]:
    """A `tasks.py` cruft merged into the new form whose statements of the user's use names the
    old file's header gave (`ROOT`, `sys`, `Path`, `task`, ...), with those names given again;
    None when nothing is missing."""
    try:
        tree = ast.parse(text)
    except SyntaxError as error:
        raise UpgradeError(
            f"tasks.py does not parse (line {error.lineno}: {error.msg}): fix it, then run "
            f"`{FALLBACK}` again; nothing was changed"
        ) from None
    lines = text.splitlines()
    own = [node for node in tree.body if statement_key(lines, node) not in KNOWN | THIN_KEYS]
    needed = set().union(*map(_used_names, own)) - set().union(*map(_bound_names, tree.body))
    if "ROOT" in needed:
        needed.add("Path")
    imports = {HEADER_IMPORTS[name] for name in needed & HEADER_IMPORTS.keys()}
    if not imports:
        return None, []
    new = with_imports(text, imports)
    if "ROOT" in needed:
        new = new.replace(NAMESPACE_IMPORT, f"{NAMESPACE_IMPORT}\n{ROOT_LINE}\n", 1)
    given = ", ".join(sorted(needed & (HEADER_IMPORTS.keys() | {"ROOT"})))
    return new, [f"Gave tasks.py back what your tasks use from the old one's header: {given}"]


def with_imports(text: str, imports: set[str]) -> str:
    """The new `tasks.py` with the imports the carried statements need, just above the
    namespace's import, in the order ruff's isort keeps (the standard library's, then invoke's
    and ixon_devkit's) and, like it, after `bootstrap.enter`."""
    if not imports:
        return text
    standard = sorted(i for i in imports if "invoke" not in i)
    standard.sort(key=lambda line: (line.startswith("from"), line))
    invoke_names = sorted(i.rsplit(" ", 1)[1] for i in imports if "invoke" in i)
    block = "".join(f"{line}  # noqa: E402\n" for line in standard)
    block += "\n" if standard else ""
    if invoke_names:
        block += f"from invoke import {', '.join(invoke_names)}  # noqa: E402\n"
    return text.replace(NAMESPACE_IMPORT, block + NAMESPACE_IMPORT, 1)


def is_current(text: str) -> bool:
    """Whether a `tasks.py` already takes its tasks from the package (and has no conflicts)."""
    return "ixon_devkit.tasks" in text and not has_conflicts(text)


def upgrade(
    root: Path,
    *,
    version: str,
    workspace_tasks: set[str],
    relock: Callable[[Path], list[str]],
) -> list[str]:
    """Upgrade the workspace at `root` in place; the lines to show. `relock` compiles the
    locks (`environment.lock_workspace`). Nothing is changed on error."""
    if not (root / "bootstrap.py").is_file():
        raise UpgradeError(
            f"bootstrap.py is missing in {root}: take the template's 3.0.0 release first "
            "(`cruft update`), then run `invoke upgrade`"
        )
    if has_conflicts(_read(root / "workspace.json")):
        raise UpgradeError(
            "workspace.json has cruft's conflict markers (<<<<<<<): merge them by hand (keep "
            "your settings and the template's new ones), then run `invoke upgrade` again"
        )
    tasks = root / "tasks.py"
    writes, report = _plan_tasks(tasks, workspace_tasks)
    requirements = upgrade_requirements.plan(root, version)
    writes.update({root / name: content for name, content in requirements.writes.items()})
    report += requirements.report
    rejects = [tasks.with_name("tasks.py.rej"), *requirements.rejects]
    rejects = [path for path in rejects if path.is_file()]
    leftover = _devkit_leftover(root)
    if not writes and not rejects and leftover is None and upgrade_requirements.locked(root):
        return [
            "The workspace already takes its tooling from ixon-devkit: nothing to do",
            *_left_to_merge(root),
        ]
    before = {path: path.read_bytes() if path.is_file() else None for path in writes}
    try:
        for path, content in writes.items():
            if content is None:
                path.unlink(missing_ok=True)
            else:
                files.write_atomic(path, content)
        changed = relock(root)
    except BaseException as error:
        _restore(before)
        if isinstance(error, UserError):
            raise UpgradeError(
                f"{error}; the upgrade changed nothing: fix that, then run `invoke upgrade` again"
            ) from None
        raise
    report.append(f"Locked again: {', '.join(changed) or 'the locks were up to date'}")
    return report + _clear(root, rejects, leftover)


def _plan_tasks(tasks: Path, workspace_tasks: set[str]) -> tuple[dict[Path, str | None], list[str]]:
    """What to write for tasks.py (and its backup), and the lines to say."""
    text = _read(tasks)
    if is_current(text):
        completed, report = complete(text)
        return ({tasks: completed} if completed else {}), report
    old = text
    if has_conflicts(text):  # the user's file: the last commit's, else the user's sides
        before = committed(tasks.parent, tasks.name)
        usable = before is not None and not has_conflicts(before) and not is_current(before)
        old = before if usable else resolve(text, "ours")
    new, report = plan(old, workspace_tasks)
    writes: dict[Path, str | None] = {tasks: new}
    if any(line.startswith(("Not carried", "Left out", "Check line")) for line in report):
        backup = tasks.with_name(tasks.name + BACKUP_SUFFIX)
        writes[backup] = old
        report.append(f"Kept your old tasks.py as {backup.name} (delete it once done)")
    return writes, report


def _clear(root: Path, rejects: list[Path], leftover: str | None) -> list[str]:
    """Remove the `.rej` files taken over and what is left of devkit/; the lines to say."""
    report = []
    for path in rejects:
        path.unlink()
        report.append(f"Removed {path.name} (cruft's rejected change, taken over here)")
    if leftover is not None:
        shutil.rmtree(root / "devkit")
        kept = f"; git's history has your changes to {leftover}" if leftover else ""
        report.append(f"Removed devkit/ (the tooling is the ixon-devkit package now{kept})")
    report += _left_to_merge(root)
    report.append(
        "Next: invoke --list, invoke test; then commit (`git add --all` settles the files cruft "
        "left conflicted)"
    )
    return report


def _left_to_merge(root: Path) -> list[str]:
    """The line naming the files cruft left for the user to merge (conflict markers git left,
    `.rej` files), if any."""
    conflicted = [name for name in unmerged(root) if has_conflicts(_read(root / name))]
    left = [*(f"{name} (conflict markers)" for name in conflicted), *_rejects_left(root)]
    return [f"Merge by hand what cruft could not: {', '.join(left)}"] if left else []


def _rejects_left(root: Path) -> list[str]:
    """The `.rej` files cruft left anywhere in the workspace (not in hidden folders, caches and
    installed packages), relative and posix."""
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [
            name for name in subfolders if not name.startswith(".") and name != "node_modules"
        ]
        found += [
            (Path(folder) / name).relative_to(root).as_posix()
            for name in names
            if name.endswith(".rej")
        ]
    return sorted(found)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _devkit_leftover(root: Path) -> str | None:
    """What is left of the old `devkit/` folder: "" when only caches, else the files named
    (those the user had changed); None when there is no such folder (or it is something else:
    a package's source)."""
    folder = root / "devkit"
    if not folder.is_dir() or (folder / "pyproject.toml").is_file():
        return None
    left = sorted(
        path.relative_to(root).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )
    shown = ", ".join(left[:3]) + (f" and {len(left) - 3} more" if len(left) > 3 else "")
    return shown


def _restore(before: dict[Path, bytes | None]) -> None:
    for path, content in before.items():
        if content is None:
            path.unlink(missing_ok=True)
        elif not path.is_file() or path.read_bytes() != content:
            files.write_atomic(path, content)
