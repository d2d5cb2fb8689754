"""`invoke doctor`: where this workspace stands in IXON's process, one step per line.

IXON's "Getting started" is a process, not a command: develop and test locally; get a Cloud
Function template (register it in IXON Studio, or ask IXON support by e-mail); have the API
endpoints the function uses authorised; deploy with the company ID and the template ID, as a
user with the Platform administrator role; raise the version for every deploy; then enable,
share and watch the app in the IXON portal. `check` walks those steps for the workspace at
`root` in that order and marks each done, missing or warning, with the one next action for
what is not done. A step marked `blocking` is one `invoke deploy` would refuse, said in the
deploy's words: the examples, API access, every target's version, lint, the tests.

The steps live in modules of one job each: `doctor_local` (environments, tests, lint),
`doctor_settings` (IDs, token), `doctor_release` (examples, API access, versions, deploys),
`component_calls` (the names the UI Components call), `doctor_email` (`--email`);
`doctor_report` has the words, `doctor_sources` the settings.
Everything is read from the workspace (offline); `invoke doctor --online` adds what IXON's API
says about the token (`ixon_devkit.doctor.doctor_online`). The access token is never shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from ixon_devkit.doctor import doctor_local, doctor_release, doctor_settings
from ixon_devkit.doctor.doctor_email import email_requests
from ixon_devkit.doctor.doctor_release import PROVISIONING_BUSINESS_DAYS, business_days_after
from ixon_devkit.doctor.doctor_report import (
    DEPLOYER_ROLE,
    DONE,
    MISSING,
    PORTAL_STEPS,
    WARNING,
    DoctorError,
    Report,
    Step,
)
from ixon_devkit.doctor.doctor_sources import Sources, read_sources, ui_components
from ixon_devkit.ship import bundle
from ixon_devkit.ship.check_runs import LAST_TEST, record_test_run
from ixon_devkit.ui import component_calls

__all__ = [
    "DEPLOYER_ROLE",
    "DONE",
    "LAST_TEST",
    "MISSING",
    "ONLINE_NEEDS",
    "PORTAL_STEPS",
    "PROVISIONING_BUSINESS_DAYS",
    "WARNING",
    "DoctorError",
    "Report",
    "Sources",
    "Step",
    "business_days_after",
    "check",
    "email_requests",
    "read_sources",
    "record_test_run",
    "ui_components",
]

#: `--online` needs these steps done.
ONLINE_NEEDS = {"Settings", "Company ID", "Access token"}


def check(
    root: Path,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
    target: str | None = None,
) -> Report:
    """Walk IXON's process for the workspace at `root` (deploying to `target`, else the
    default deploy target)."""
    root = root.resolve()
    now = now or datetime.now(UTC)
    sources = read_sources(root, environ, target)
    steps: list[Step] = list(sources.problems)
    steps.append(doctor_local.python_step(root))
    if (root / "package.json").is_file():
        steps.append(doctor_local.node_step(root))
    steps.append(doctor_local.tests_step(root))
    steps.append(doctor_local.lint_step(root))
    steps.append(doctor_settings.company_step(sources))
    ui_only = bundle.ui_only(root)
    steps.append(
        doctor_settings.ui_only_step() if ui_only else doctor_settings.template_step(sources)
    )
    steps += doctor_settings.ui_component_steps(sources)
    steps.append(doctor_release.examples_step(root))
    steps.append(doctor_release.api_access_step(sources))
    calls = component_calls.doctor_step(root)
    steps += [calls] if calls else []
    steps.append(doctor_settings.token_step(root, sources.environ, now))
    records = doctor_release.records(root, steps)
    steps.append(doctor_release.version_step(root, sources, records))
    steps += doctor_release.component_version_steps(sources, records)
    if not ui_only:  # a workspace of UI Components alone deploys no Cloud Function
        steps.append(doctor_release.deploy_step(sources, records, now))
    steps += doctor_release.component_deploy_steps(sources, records)
    return Report(steps=steps, deployed=bool(records))
