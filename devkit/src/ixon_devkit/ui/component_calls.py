"""The names the UI Components call, checked against the functions the workspace serves.

A UI Component calls its Cloud Function by name (`client.call('notes.add', ...)`); in IXON
Cloud a name that no exposed function answers gets ixoncdkingress's "Not found" text, which
IXON's client never hands to the component: the call just hangs until its timeout. So, as
`ixon_devkit.cloud.api_access` does for the IXON API names:

- `report` sets each component's calls (`ixon_devkit.ui.ui_calls`) beside what `functions/`
  serves (`ixon_devkit.serve.served`, resolved as ixoncdkingress resolves a name);
- `describe` is what `invoke component-calls` prints;
- `refusal` is the one line `invoke deploy` refuses with (`--ignore-component-calls` deploys
  anyway) and `invoke doctor` shows (`doctor_step`), naming each component, each name no
  function serves, where it is called, and the closest served name;
- `newly_missing` names the calls that removing files (`invoke remove-examples`) leaves
  without a function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ixon_devkit.doctor.doctor_report import DONE, MISSING, WARNING, Step
from ixon_devkit.errors import UserError
from ixon_devkit.serve import served
from ixon_devkit.ui import columns, components, ui_calls
from ixon_devkit.workspace import walk

DEPLOY_OPTION = "--ignore-component-calls"
TASK = "invoke component-calls"
#: What IXON Cloud does with a call no function answers.
UNANSWERED = "IXON Cloud never answers such a call (the component waits until it times out)"
_SKIPPED = {"node_modules", "dist", "__pycache__"}


class ComponentCallsError(UserError):
    """A deploy would ship UI Components that call functions the workspace does not serve."""


@dataclass
class Report:
    """Each UI Component's calls (by component name, or by folder for shared code) and what
    the workspace serves."""

    served: served.Served
    calls: dict[str, list[ui_calls.Call]] = field(default_factory=dict)

    def missing(self) -> dict[str, list[ui_calls.Call]]:
        """The literal calls no exposed function answers, by component."""
        found: dict[str, list[ui_calls.Call]] = {}
        for owner, made in self.calls.items():
            for call in made:
                if call.name is not None and not self.served.serves(call.name):
                    found.setdefault(owner, []).append(call)
        return found

    def dynamic(self) -> list[tuple[str, ui_calls.Call]]:
        """The calls whose name is not written literally."""
        return [(owner, c) for owner, made in self.calls.items() for c in made if c.name is None]

    def names(self) -> list[str]:
        """Every literal name some component calls."""
        return sorted({c.name for made in self.calls.values() for c in made if c.name})


def source_files(root: Path) -> list[Path]:
    """The UI Components' source files, under the components folder of `cdk.config.json`."""
    folder = root / components.component_root(root)
    if not folder.is_dir():
        return []
    return [path for path in walk.files(folder, _SKIPPED) if path.suffix in ui_calls.SUFFIXES]


def report(root: Path, only: Iterable[str] | None = None, without: Iterable[str] = ()) -> Report:
    """The calls of the workspace's UI Components (of those named in `only`, else all; code
    shared by components always counts) beside what `functions/` serves, leaving out the files
    `without` (posix paths relative to `root`, as if they were removed). Raises ComponentError
    when `cdk.config.json` is unusable."""
    listed = components.listed(root)
    names = {component.name for component in listed}
    wanted = names if only is None else set(only)
    found = Report(served.read(root, without))
    for path in source_files(root):
        owner = _owner(root, path, listed)
        if owner in names and owner not in wanted:
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        made = ui_calls.calls(text, path.relative_to(root).as_posix())
        if made:
            found.calls.setdefault(owner, []).extend(made)
    return found


def _owner(root: Path, path: Path, listed: list[components.Component]) -> str:
    """The component whose folder holds `path`, else the folder itself (shared code)."""
    for component in listed:
        if component.folder in path.parents:
            return component.name
    return path.parent.relative_to(root).as_posix()


def _missing_text(found: Report, missing: dict[str, list[ui_calls.Call]]) -> str:
    """`status-panel calls notes.ad (components/...:60; did you mean notes.add?)`, per
    component."""
    parts = []
    for owner, made in sorted(missing.items()):
        names: dict[str, list[str]] = {}
        for call in made:
            names.setdefault(str(call.name), []).append(call.where)
        listed = ", ".join(
            f"{name} ({', '.join(where)}{_hint(found, name)})" for name, where in names.items()
        )
        parts.append(f"{owner} calls {listed}")
    if not found.served.functions:
        parts[-1] += " (nothing in functions/ is exposed)"
    return "; ".join(parts)


def _hint(found: Report, name: str) -> str:
    close = found.served.closest(name)
    if not close:
        return ""
    also = f"; also close: {', '.join(close[1:])}" if close[1:] else ""
    return f"; did you mean {close[0]}?{also}"


def refusal(found: Report) -> str | None:
    """Why `invoke deploy` refuses the UI Components' calls, or None. `invoke doctor` shows
    the same words."""
    missing = found.missing()
    if not missing:
        return None
    return (
        f"UI Components call functions that this workspace does not serve: "
        f"{_missing_text(found, missing)}; {UNANSWERED}: call a served function (`{TASK}` "
        f"lists them) or add the function (`invoke new NAME`), and run this again "
        f"({DEPLOY_OPTION} deploys anyway)"
    )


def check_before_deploy(
    root: Path,
    only: Iterable[str] | None = None,
    *,
    skip: bool = False,
    warn: Callable[[str], None] = print,
) -> None:
    """Refuse (ComponentCallsError) UI Components that call names the workspace does not
    serve; with `skip`, warn and go on."""
    try:
        found = report(root, only)
    except components.ComponentError:
        return  # deploy's own reading of cdk.config.json says what is wrong with it
    refused = refusal(found)
    if refused is None:
        return
    if not skip:
        raise ComponentCallsError(refused)
    warn(
        f"WARNING: {DEPLOY_OPTION}: deploying with UI Components that call functions this "
        f"workspace does not serve: {_missing_text(found, found.missing())}; {UNANSWERED}"
    )


def doctor_step(root: Path) -> Step | None:
    """`invoke doctor`'s step for the names the UI Components call (None without any)."""
    name = "Component calls"
    try:
        if not components.listed(root):
            return None
        found = report(root)
    except components.ComponentError:
        return None  # the UI Component steps say what is wrong with cdk.config.json
    refused = refusal(found)
    if refused:
        return Step(name, MISSING, refused, blocking=True)
    dynamic = found.dynamic()
    if dynamic:
        return Step(
            name,
            WARNING,
            "not literal names: "
            + "; ".join(f"{owner}: {call.written} at {call.where}" for owner, call in dynamic),
            f"check by hand that they name served functions (`{TASK}` lists them)",
        )
    names = found.names()
    if not names:
        return Step(name, DONE, "no UI Component calls a function")
    return Step(name, DONE, f"every name the UI Components call is served: {', '.join(names)}")


def newly_missing(before: Report, after: Report) -> dict[str, list[ui_calls.Call]]:
    """The calls `before` served and `after` does not, by component."""
    was = before.missing()
    found: dict[str, list[ui_calls.Call]] = {}
    for owner, made in after.missing().items():
        new = [call for call in made if call not in was.get(owner, [])]
        if new:
            found[owner] = new
    return found


def removal_note(before: Report, after: Report, *, dry_run: bool = False) -> str | None:
    """What `invoke remove-examples` says about the components that still call what it
    removed (or, in a dry run, would remove), or None."""
    lost = newly_missing(before, after)
    if not lost:
        return None
    still = "would still call" if dry_run else "still call"
    return (
        f"UI Components {still} the removed examples: {_missing_text(after, lost)} -> "
        f"change them to call your own functions (`{TASK}` lists what is served); "
        f"`invoke doctor` and `invoke deploy` refuse them until then"
    )


def describe(found: Report) -> list[str]:
    """The lines `invoke component-calls` prints."""
    lines = [
        "UI Component calls: the names each component calls, beside what functions/ serves",
        "",
    ]
    rows = [("component", "name", "where", "served")]
    for owner, made in sorted(found.calls.items()):
        for call in made:
            if call.name is None:
                continue
            answer = found.served.function(call.name)
            if answer is not None:
                verdict = f"yes ({answer.where})"
            elif found.served.serves(call.name):
                verdict = "unknown (its module does not parse)"
            else:
                hint = _hint(found, call.name).removeprefix("; ")
                verdict = f"NO ({hint})" if hint else "NO"
            rows.append((owner, call.name, call.where, verdict))
    if len(rows) == 1:
        lines.append("  No UI Component calls a function.")
    else:
        lines += columns.table(rows)
    lines.append("")
    names = found.served.names
    lines.append(
        f"Served by functions/ ({len(names)}): {', '.join(names)}"
        if names
        else "Served by functions/: nothing (no function is marked @FunctionContext.expose)"
    )
    called = set(found.names())
    uncalled = [name for name in names if not any(_same(found, name, c) for c in called)]
    if names and uncalled and called:
        lines.append(f"Called by no UI Component: {', '.join(uncalled)}")
    for owner, call in found.dynamic():
        lines.append(
            f"Not a literal name: {owner}: {call.written} at {call.where} -> check by hand "
            "that it names a served function"
        )
    missing = found.missing()
    if missing:
        lines.append(
            f"Not served: {_missing_text(found, missing)}; {UNANSWERED} -> call a served "
            f"function or add it (`invoke new NAME`); `invoke deploy` refuses these "
            f"({DEPLOY_OPTION} deploys anyway)"
        )
    return lines


def _same(found: Report, served_name: str, called: str) -> bool:
    """Whether the called name reaches the served one (`functions.greet` is `greet`)."""
    answer = found.served.function(called)
    mine = found.served.function(served_name)
    return answer is not None and mine is not None and answer.where == mine.where
