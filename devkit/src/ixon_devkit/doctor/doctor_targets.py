"""`invoke doctor` across deploy targets: the workspace's steps once, then each target's own.

A workspace without named targets (`ixon_devkit.ship.targets`) gets `doctor.check` as it is. With
named targets and no `--target`, the steps that are the same for every target (environment,
tests, API access, token) are shown once, followed by each target's steps (company, templates,
version, deploy), each named after its target: `[production] Version: ...`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from ixon_devkit.doctor import doctor
from ixon_devkit.ship import targets
from ixon_devkit.workspace import workspace_file

#: The steps whose answer depends on where the deploy goes.
PER_TARGET = (
    "Company ID",
    "Cloud Function template ID",
    "UI Component ",
    "Version",
    "Deploy and provisioning",
)


def is_per_target(step: doctor.Step) -> bool:
    """Whether `step` depends on the deploy target."""
    return step.name.startswith(PER_TARGET)


def report(
    root: Path,
    target: str | None = None,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> doctor.Report:
    """`doctor.check` for `target`; without one, for every named target at once."""
    try:
        names = list(targets.named(workspace_file.read(root)))
    except (targets.TargetError, workspace_file.WorkspaceFileError):
        names = []  # doctor.check says what is wrong with the file
    if target or len(names) < 2:
        return doctor.check(root, environ, now, target=target)
    reports = [(name, doctor.check(root, environ, now, target=name)) for name in names]
    first = reports[0][1]
    steps = [step for step in first.steps if not is_per_target(step)]
    for name, each in reports:
        steps += [
            doctor.Step(
                f"[{name}] {step.name}",
                step.status,
                step.detail,
                step.action.replace("`invoke deploy", f"`invoke deploy --target {name}"),
                step.blocking,
            )
            for step in each.steps
            if is_per_target(step)
        ]
    return doctor.Report(
        steps=steps, deployed=any(each.deployed for _name, each in reports), notes=first.notes
    )
