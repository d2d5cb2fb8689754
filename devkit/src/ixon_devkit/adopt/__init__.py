"""`invoke adopt PATH`: bring an existing IXON app or workspace into this one.

The app is found by its files (`layout`): the Cloud Function is the folder holding
`functions/` (a split repository may keep it in `backend/`), the UI Components the folder
holding `cdk.config.json` and `package.json`; either half may be missing. Its code moves in
(`copying`), 0.0.x imports rewritten for 1.x unless `--keep-old-imports`; the requirements are
merged and resolved with uv before anything is written (`requirements`), with the packages
the functions import that only the development requirements held (`production`); the context values
become a valid `context_values.yaml`, the example configuration's names placeholders
(`context`); IDs and API names go to `workspace.json`, never a setting that decides where the
token goes (`carry`); the UI half comes along with its lifecycle scripts listed, not run
(`ui`); the adopted code's lint findings, formatting included, go to the lint baseline so
that it deploys as it came (`baseline`). The app is untrusted: links are not followed, odd
names and big files not brought in, text in another encoding than UTF-8 refused by name
(`source`).

It plans first and writes nothing until the plan holds: a file you changed (since it was baked
or since the last adopt, `record`) is never replaced without `--force`. The result says what
was done and what is left (`review`, `report`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from ixon_devkit.adopt import (
    baseline,
    carry,
    context,
    copying,
    layout,
    record,
    report,
    review,
    source,
    ui,
)
from ixon_devkit.adopt.model import AdoptError, Layout, Options, Plan
from ixon_devkit.adopt.requirements import DEV_REQUIREMENTS, merge
from ixon_devkit.workspace import examples, files, workspace_file

__all__ = [
    "AdoptError",
    "Options",
    "Plan",
    "adopt",
    "apply",
    "check",
    "describe",
    "has_function",
    "plan",
]

#: Files and folders of the app that adopt takes (the rest is named as left behind).
HANDLED = {
    "functions",
    "tests",
    "components",
    ".env",
    "requirements.txt",
    *DEV_REQUIREMENTS,
    *context.CONTEXT_FILES,
    *context.EXAMPLE_FILES,
    *ui.UI_FILES,
    ui.OLDER_CONFIG_FILE,
    ui.JEST_CONFIG,
}


def plan(
    root: Path,
    app: Path,
    options: Options,
    runtime_modules: Iterable[str] = (),
    python: Path | None = None,
) -> Plan:
    """What adopting `app` into the workspace at `root` would do; raises AdoptError when
    `app` is no IXON app, or holds text adopt must read in another encoding than UTF-8.

    `python` is the workspace's environment, whose ruff lists the adopted code's findings in
    the lint baseline (None: not listed, and said so)."""
    root, app = root.resolve(), Path(app).resolve()
    if not app.is_dir():
        raise AdoptError(f"{app} is not a folder: give the folder of the app to adopt")
    if app == root:
        raise AdoptError("that is this workspace: give the folder of another app to adopt")
    found = layout.find(app)
    workspace = dict(workspace_file.read(root))
    before = dict(workspace)
    result = Plan(app, found, recorded=record.recorded(workspace))
    removing = examples.state(root).unchanged if options.remove_examples else ()
    if found.function is not None:
        copying.copy_folder(root, result, found.function, "functions", options, removing=removing)
        copying.copy_folder(root, result, found.function, "tests", options, removing=removing)
    merge(root, result, found.function, options, review.after(root, result, "functions"))
    context.move(root, result, found.function, options)
    carry.dotenv(root, result, _folders(found), workspace)
    ui.move(root, result, found.ui, options, workspace)
    _examples(root, result, options)
    for base in _folders(found):
        _left_behind(result, base)
    if result.bad_encodings:
        raise AdoptError(
            f"the app's {', '.join(result.bad_encodings)}: adopt reads these as UTF-8 text; "
            "save them as UTF-8 in the app and adopt again (nothing was written)"
        )
    review.review(root, result, frozenset(runtime_modules))
    carry.api_names(result, review.after(root, result, "functions"), workspace)
    baseline.plan(root, result, python)
    record.update(workspace, result)
    if workspace != before:
        result.writes[workspace_file.FILE] = carry.dumps(workspace)
    result.existing = {relative for relative in result.writes if (root / relative).exists()}
    return result


def has_function(app: Path) -> bool:
    """Whether `app` holds a Cloud Function (False too when it is no app: `plan` says why)."""
    try:
        return Path(app).is_dir() and layout.find(Path(app).resolve()).function is not None
    except (AdoptError, OSError):
        return False


def _folders(found: Layout) -> list[Path]:
    """The folders of the app that adopt reads: each half's, then the app's own."""
    folders = [found.function, found.ui, found.source]
    return [f for i, f in enumerate(folders) if f is not None and f not in folders[:i]]


def _examples(root: Path, result: Plan, options: Options) -> None:
    state = examples.state(root)
    if not options.remove_examples:
        gone = _replaced_examples(root, result, state.unchanged)
        if [path for path in state.unchanged if path not in result.writes and path not in gone]:
            result.done.append(
                "kept the template's examples (`invoke remove-examples` removes them; a deploy "
                "refuses them unless --keep-examples)"
            )
        return
    removed = [path for path in state.unchanged if path not in result.writes]
    result.deletes += removed
    if removed:
        result.done.append(f"removed the template's examples: {', '.join(removed)}")
    if state.changed:
        result.left.append(
            f"kept the examples you changed: {', '.join(state.changed)} (delete them if unwanted)"
        )


def _replaced_examples(root: Path, result: Plan, unchanged: Iterable[str]) -> list[str]:
    """Name each example the app's file of the same name replaces, and plan deleting the
    examples' tests that import it (they test the example, not the app's module); the tests
    deleted."""
    replaced = [path for path in unchanged if path in result.writes]
    modules = {Path(path).stem for path in replaced if path.startswith("functions/")}
    if not replaced:
        return []
    others = [path for path in unchanged if path not in result.writes]
    tests = [p for p in others if p.startswith("tests/") and _imports(root / p, modules)]
    result.deletes += tests
    result.done.append(
        f"the app's files replaced the template's examples {', '.join(replaced)} (same names)"
        + (f"; removed the examples' tests of them: {', '.join(tests)}" if tests else "")
    )
    users = [p for p in others if p.startswith("functions/") and _imports(root / p, modules)]
    if users:
        result.left.append(
            f"the template's examples {', '.join(users)} import {', '.join(sorted(modules))}, "
            "now the app's module: `invoke remove-examples` removes them if they no longer work"
        )
    return tests


def _imports(path: Path, modules: set[str]) -> bool:
    """Whether the Python file at `path` imports one of `modules` (of functions/)."""
    tree = review.parsed(path.read_bytes(), path.name) if path.is_file() else None
    for node in ast.walk(tree) if tree else ():
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        for name in names:
            parts = [part for part in name.split(".") if part]  # `from . import x` too
            parts = parts[1:] if parts[:1] == ["functions"] else parts
            if parts and parts[0] in modules:
                return True
    return False


def _left_behind(result: Plan, base: Path) -> None:
    behind = sorted(
        path.name + ("/" if path.is_dir() else "")
        for path in base.iterdir()
        if path.name not in HANDLED
        and not path.name.startswith(".")
        and path.name not in source.SKIPPED
        and not _holds_a_half(result, path)
        and not source.odd_name(path.name)
    )
    if behind:
        where = result.layout.shown(base) if result.layout else ""
        result.done.append(
            f"not brought in from {where} (the workspace's tasks and files replace them): "
            + ", ".join(behind)
        )


def _holds_a_half(result: Plan, path: Path) -> bool:
    halves = (result.layout.function, result.layout.ui) if result.layout else ()
    return any(half is not None and (path == half or path in half.parents) for half in halves)


def check(result: Plan) -> None:
    """Refuse a plan that would overwrite files the user changed (unless --force)."""
    if result.conflicts:
        shown = ", ".join(result.conflicts[:5]) + (", ..." if len(result.conflicts) > 5 else "")
        raise AdoptError(
            f"adopting would overwrite {len(result.conflicts)} file(s) you changed: {shown}: "
            "move them aside, or run again with --force to overwrite them (--dry-run shows "
            "the whole plan); nothing was written"
        )


def apply(root: Path, result: Plan) -> None:
    """Write and delete what the plan says."""
    for relative, data in result.writes.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        files.write_atomic(target, data)
    for relative in result.deletes:
        (root / relative).unlink(missing_ok=True)


def adopt(
    root: Path,
    source: Path,
    options: Options,
    runtime_modules: Iterable[str] = (),
    python: Path | None = None,
) -> Plan:
    """Plan, check and (unless a dry run) apply; the plan, to be shown with `describe`."""
    result = plan(root, source, options, runtime_modules, python)
    if not options.dry_run:
        check(result)
        apply(root, result)
    return result


def describe(root: Path, result: Plan, *, dry_run: bool) -> list[str]:
    """What was done (or would be) and what is left, as `invoke adopt` prints it."""
    return report.describe(result, dry_run=dry_run)
