"""Upgrade a `tasks.py` from a template release before 2.0.0 to the thin, user-owned one.

Before 2.0.0 the template owned `tasks.py`: it defined every workspace task and imported
`devkit.bundle`, `devkit.deploy`, ... Since 2.0.0 those tasks come from `ixon_devkit.tasks` and
`tasks.py` belongs to the user. `cruft update` cannot merge the two when the user added tasks of
their own (it leaves `tasks.py.rej`), and the old file then fails on its first import.

`python3 -m ixon_devkit.workspace.upgrade` (run in the workspace; standard library only, no `.venv`
needed) writes the new `tasks.py` and carries over every statement of the old one that no
template release wrote: the user's own tasks (added to the workspace's namespace), helpers and
imports. Statements are told apart by their source text, compared with every top-level
statement of the template's `tasks.py` before 2.0.0 (`KNOWN`). What cannot be carried (a changed
template task, a use of a helper the template no longer has) is named, never dropped silently;
the old file is kept beside the new one.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import sys
from pathlib import Path

from ixon_devkit.errors import UserError, main_wrapper
from ixon_devkit.workspace.files import write_atomic

#: The `tasks.py` the template writes since 2.0.0 (tests/test_cruft.py checks it is the same as
#: the template's file).
THIN = '''"""Tasks of this workspace: `invoke --list` lists them.

The workspace's own tasks (setup, test, serve, deploy, ...) come from `ixon_devkit.tasks`, which
the template owns. This file is yours: add your own tasks below and they join the list.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

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

#: sha256 (first 16 hex digits) of each top-level statement of the template's `tasks.py` in
#: every release before 2.0.0 (commits ee88ce5, d7ae34b, f30cb0d, f47e675; the first release,
#: ae1b876, has f47e675's), as `statement_key` computes it.
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
    }
)  # fmt: skip

#: Names the old `tasks.py` defined for its own tasks: a user statement using one cannot be
#: carried as it is (the helper is gone), and a def with one of these names is the template's.
OLD_TEMPLATE_NAMES = frozenset(
    {
        "_environment", "_run", "_checks", "bundling", "deploying", "environment", "scaffold",
        "serving", "agent_tools", "versioning", "setup", "test", "lint", "format_", "serve",
        "call", "bundle", "deploy", "version_", "bump", "new", "tools",
    }
)  # fmt: skip

#: Names the old header imported that the new `tasks.py` does not, and the import to add.
HEADER_IMPORTS = {
    "task": "from invoke import task",
    "Exit": "from invoke import Exit",
    "subprocess": "import subprocess",
}
#: Names the new `tasks.py` provides, like the old one did.
PROVIDED = frozenset({"sys", "Path", "ROOT", "annotations"})

BACKUP_SUFFIX = ".before-2.0"
MARK = (
    "# Moved here from your tasks.py by `python3 -m ixon_devkit.workspace.upgrade` "
    "(template 2.0.0):"
)


class UpgradeError(UserError):
    """tasks.py cannot be upgraded as it is; the message says why and what to do."""


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


def workspace_task_names(tasks_module: Path) -> set[str]:
    """The names of the workspace's own tasks, read without importing them from
    `devkit/tasks.py` and the `devkit/tasks_*.py` modules it gathers them from."""
    names = set()
    for path in [tasks_module, *sorted(tasks_module.parent.glob("tasks_*.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {
            task_name(node.name, decorator)
            for node in tree.body
            if isinstance(node, ast.FunctionDef)
            and (decorator := _task_decorator(node)) is not None
        }
    return names


def _used_names(statement: ast.stmt) -> set[str]:
    return {node.id for node in ast.walk(statement) if isinstance(node, ast.Name)}


def _left_out(index: int, statement: ast.stmt, lines: list[str]) -> str | None:
    """Why a statement of the old file stays behind ("" for the template's own), or None."""
    if statement_key(lines, statement) in KNOWN:
        return ""
    if index == 0 and isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return "Left out your change to the module docstring of tasks.py"
    name = getattr(statement, "name", None)
    if name in OLD_TEMPLATE_NAMES:
        return (
            f"Not carried: your changed version of the template's `{name}` (the workspace's "
            "task lives in devkit/tasks.py now; add yours under another name if you need it)"
        )
    modules = [alias.name for alias in getattr(statement, "names", [])]
    if isinstance(statement, ast.ImportFrom):
        modules = [statement.module or ""]
    if isinstance(statement, (ast.Import, ast.ImportFrom)) and any(
        module.split(".")[0] == "devkit" for module in modules
    ):
        return f"Not carried (moved in 2.0.0): `{_segment(lines, statement).strip()}`"
    return None


def plan(old: str, workspace_tasks: set[str]) -> tuple[str, list[str]]:
    """The new `tasks.py` for the old text, and the lines that tell the user what happened."""
    try:
        tree = ast.parse(old)
    except SyntaxError as error:
        raise UpgradeError(
            f"tasks.py does not parse (line {error.lineno}: {error.msg}): fix it, then run "
            "`python3 -m ixon_devkit.workspace.upgrade` again"
        ) from None
    lines = old.splitlines()
    carried: list[str] = []
    imports: set[str] = set()
    added: list[str] = []
    report: list[str] = []
    for index, statement in enumerate(tree.body):
        reason = _left_out(index, statement, lines)
        if reason is not None:
            report += [reason] if reason else []
            continue
        carried.append(_segment(lines, statement))
        used = _used_names(statement)
        imports |= {HEADER_IMPORTS[used_name] for used_name in used & HEADER_IMPORTS.keys()}
        report += [
            f"Check line {statement.lineno} of your old tasks.py: it uses `{gone}`, which the "
            "template's tasks.py no longer defines (see the CHANGELOG's 'Upgrading to 2.0.0')"
            for gone in sorted(used & OLD_TEMPLATE_NAMES)
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
        else:
            added.append(statement.name)
            report.append(f"Moved your task `{registered}` into the new tasks.py")
    if not carried:
        return THIN, report
    head, tail = with_imports(THIN, imports).rsplit("ns = namespace\n", 1)
    block = [MARK, *(f"\n\n{text}" for text in carried), "\n"]
    block += [f"namespace.add_task({name})" for name in added]
    new = head.rstrip("\n") + "\n\n" + "\n".join(block).rstrip("\n") + "\n\nns = namespace\n" + tail
    try:
        compile(new, "tasks.py", "exec")
    except SyntaxError as error:  # a carried statement that only made sense in the old file
        raise UpgradeError(
            f"the upgraded tasks.py would not compile (line {error.lineno}: {error.msg}); "
            "nothing was written: move your tasks by hand as the CHANGELOG's 'Upgrading to "
            "2.0.0' says"
        ) from None
    return new, report


def with_imports(text: str, imports: set[str]) -> str:
    """The new `tasks.py` with the old header's imports that the carried statements use, in the
    order ruff's isort keeps (the standard library's, then invoke's)."""
    standard = sorted(
        {"import sys", "from pathlib import Path"} | {i for i in imports if "invoke" not in i}
    )
    standard.sort(key=lambda line: (line.startswith("from"), line))
    invoke_names = sorted(i.rsplit(" ", 1)[1] for i in imports if "invoke" in i)
    block = "\n".join(standard) + "\n"
    if invoke_names:
        block += f"\nfrom invoke import {', '.join(invoke_names)}\n"
    return text.replace("import sys\nfrom pathlib import Path\n", block, 1)


def is_old(text: str) -> bool:
    """Whether a `tasks.py` is from before 2.0.0 (it does not take its tasks from
    ixon_devkit.tasks)."""
    return "ixon_devkit.tasks" not in text


def upgrade(root: Path) -> list[str]:
    """Upgrade `root`'s tasks.py in place; the lines to show. Nothing is written on error."""
    tasks = root / "tasks.py"
    if not tasks.is_file():
        raise UpgradeError(f"no tasks.py in {root}: run this in the workspace's folder")
    old = tasks.read_text(encoding="utf-8")
    if not is_old(old):
        return [
            "tasks.py already takes the workspace's tasks from ixon_devkit.tasks: nothing to do"
        ]
    workspace_tasks = root / "devkit" / "tasks.py"
    if not workspace_tasks.is_file():
        raise UpgradeError(
            "devkit/tasks.py is missing: take the template's 2.0.0 release first "
            "(`cruft update`), then run `python3 -m ixon_devkit.workspace.upgrade` again"
        )
    new, report = plan(old, workspace_task_names(workspace_tasks))
    backup = tasks.with_name(tasks.name + BACKUP_SUFFIX)
    write_atomic(backup, old)
    write_atomic(tasks, new)
    report.append(
        f"Kept your old tasks.py as {backup.name} (delete it once `invoke --list` suits you)"
    )
    rejected = tasks.with_name(tasks.name + ".rej")
    if rejected.is_file():
        rejected.unlink()
        report.append(
            "Removed tasks.py.rej (cruft's rejected hunk: the new tasks.py is what it held)"
        )
    report.append("Next: invoke --list")
    return report


@main_wrapper
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m ixon_devkit.workspace.upgrade",
        description="Move a tasks.py from a template release before 2.0.0 to the new form.",
    )
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the workspace folder")
    arguments = parser.parse_args(argv)
    for line in upgrade(arguments.root.resolve()):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
