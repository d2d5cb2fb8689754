"""`invoke doctor`'s words: the statuses, one step, the report of every step.

A step is `done`, `missing` or `warning`, with the one next action for what is not done; a
`blocking` step is one `invoke deploy` would refuse, and its detail says it in the words the
deploy uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ixon_devkit.cloud import ixon_roles
from ixon_devkit.errors import UserError

DONE = "done"
MISSING = "missing"
WARNING = "warning"

DEPLOYER_ROLE = ixon_roles.FUNCTION_ROLE
PORTAL_STEPS = (
    "enable the app for the company in the IXON portal: Admin > Apps",
    "share it with other companies there: Admin > Apps, the app, share",
    "download its logs there: Admin > Apps, the app, More options > Download logs (the last "
    "48 hours, about five minutes behind; only the Cloud Function's owner company can)",
)


@dataclass(frozen=True)
class Step:
    """One step of IXON's process as it stands for this workspace."""

    name: str
    status: str
    detail: str
    action: str = ""
    blocking: bool = False

    def line(self) -> str:
        """The step as the one line `invoke doctor` prints."""
        text = f"{self.status:<8} {self.name}: {self.detail}"
        if self.action:
            text += f" -> {self.action}"
        return text


@dataclass(frozen=True)
class Report:
    """Every step, in IXON's order, and the portal steps that follow a deploy."""

    steps: list[Step]
    deployed: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def blocking(self) -> list[Step]:
        """The steps that would stop a deploy."""
        return [step for step in self.steps if step.blocking]

    def lines(self) -> list[str]:
        """What `invoke doctor` prints, before its verdict."""
        lines = [step.line() for step in self.steps]
        if self.deployed:
            lines.append("After a deploy, in the IXON portal:")
            lines += [f"  - {item}" for item in PORTAL_STEPS]
        lines += self.notes
        return lines


class DoctorError(UserError):
    """Something would stop a deploy; the message names the steps."""
