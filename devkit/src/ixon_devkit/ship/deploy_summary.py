"""The end of `invoke deploy`: one summary, its last lines.

What went where (the Cloud Function and each UI Component: version, template, sha256, published
or not), what was skipped or overridden on purpose, and the next steps in the IXON portal and
IXON Studio, with the IXON API names to grant the deployed function (`invoke api-access` reads
the same). Nothing here sends anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ixon_devkit.cloud import api_access


@dataclass(frozen=True)
class Shipped:
    """One target the deploy uploaded."""

    what: str  # "Cloud Function my-cloud-function" or "UI Component status-panel"
    version: str
    template_id: str
    sha256: str
    published: bool | None = None  # None for the Cloud Function, which has no publishing
    version_id: str = ""
    publish_failed: bool = False  # uploaded, then publishing it failed (the deploy's error)


@dataclass
class Summary:
    """What one deploy did, gathered as it goes, told at its end."""

    company_id: str
    shipped: list[Shipped] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    provisioning: bool = False
    grants: list[str] = field(default_factory=list)
    #: The line of `--smoke`: the deployed function's answer, or why there is none.
    smoke: str = ""
    smoke_failed: bool = False
    #: What became of deployments.json in git (committed, or what to commit): the last line.
    record: str = ""

    def lines(self, *, stopped: bool = False) -> list[str]:
        """The summary, as the deploy's last lines (`stopped`: a later step failed, and the
        error line follows)."""
        lines = [f"Deploy summary (company {self.company_id}):"]
        for item in self.shipped:
            state = ""
            if item.published is True:
                state = ", published"
            elif item.publish_failed:
                state = ", NOT published: publishing it failed (see the ERROR line below)"
            elif item.published is False:
                state = ", not published (preview it in IXON Studio, or deploy with --publish)"
            version_id = f", version ID {item.version_id}" if item.version_id else ""
            lines.append(
                f"  deployed {item.what} {item.version} to template {item.template_id}: "
                f"sha256 {item.sha256}{version_id}{state}"
            )
        if not self.shipped:
            lines.append("  nothing was uploaded")
        lines += [f"  skipped: {item}" for item in self.skipped]
        if self.smoke:
            lines.append(f"  {self.smoke}")
        if stopped:
            lines.append("  stopped before the end: the ERROR line below says why")
        lines.append("Next, in IXON Studio and the IXON portal:")
        if self.provisioning:
            lines.append(
                "  - wait for IXON to prepare the company (up to two business days; "
                "`invoke doctor` shows since when)"
            )
        if self.grants:
            lines.append(
                f"  - grant the function its API access in {api_access.STUDIO}: "
                f"{', '.join(self.grants)}"
            )
        lines += [
            "  - enable the app for the company: Admin > Apps",
            "  - share it with other companies there, if they need it",
            "  - its logs: Admin > Apps, the app, More options > Download logs",
        ]
        if self.record:
            lines.append(self.record)
        return lines
