"""`invoke deploy`'s execution of its plan (`ixon_devkit.ship.deploy_plan`): the uploads and
their record.

`execute` uploads the function: one deploy of a version to a template at a time
(`deploy_record.one_upload`), the release rule checked again under that lock, discovery, the
upload recorded as pending, the upload through IXON's API v2 (`ixon_devkit.cloud.ixon_api`),
then the record settled (`ixon_devkit.ship.deploy_record`): a deploy killed at any point loses
no upload IXON took. `ship` then uploads each UI Component (`ixon_devkit.ui.ui_deploy`), and
`record_in_git` commits the record of what went out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ixon_devkit.cloud import api_access, ixon_api
from ixon_devkit.errors import UserError
from ixon_devkit.ship import deploy_record as deployments
from ixon_devkit.ship import deploy_summary
from ixon_devkit.ship.deploy_plan import (
    DeployError,
    Plan,
    check_not_deployed,
    print_line,
    print_warning,
)
from ixon_devkit.ui import ui_deploy
from ixon_devkit.workspace import files, settings
from ixon_devkit.workspace.git import git_state


@dataclass(frozen=True)
class Deployed:
    """A deploy that IXON took."""

    plan: Plan
    result: ixon_api.UploadResult
    entry: dict


def execute(
    plan: Plan, client: ixon_api.Client, *, echo: Callable[[str], None] = print_line
) -> Deployed:
    """Upload the planned bundle and record it: one deploy of a version at a time."""
    config = plan.settings
    template = config.template_id.value
    root = plan.root

    def waiting() -> None:
        echo(f"Waiting for another deploy of {plan.version} to template {template} to finish")

    def plan_warnings(line: str) -> None:
        if not plan.again:  # the plan said its --force warning already
            print_warning(line)

    try:
        with deployments.one_upload(root, plan.version, template, waiting=waiting):
            # Checked again: a deploy of the same version may have finished while we planned.
            # Any upload left pending now is a stopped deploy's: the running ones hold the lock.
            check_not_deployed(
                root, plan.version, config, plan.options, warn=plan_warnings, pending=True
            )
            echo(f"Asking {config.base_url.value} where uploads go (discovery)")
            url = client.discover_upload_url()
            built = plan.bundle
            echo(f"Uploading {built.path.name} ({built.size:,} bytes) to {url}")
            result, entry = _upload_recorded(plan, client, url)
    except files.LockBusyError as error:
        raise DeployError(f"{error} (nothing was sent)") from None
    if result.company_to_be_provisioned:
        echo(ixon_api.PROVISIONING_MESSAGE)
    aimed = f" (target {config.target})" if config.target else ""
    echo(
        f"Deployed {plan.bundle.slug} {plan.version} to template {template} of company "
        f"{config.company_id.value}{aimed} (HTTP {result.status}, sha256 "
        f"{plan.bundle.sha256[:12]}): "
        f"recorded in {deployments.RECORD_NAME} at {entry['time']}"
    )
    return Deployed(plan, result, entry)


def _upload_recorded(
    plan: Plan, client: ixon_api.Client, url: str
) -> tuple[ixon_api.UploadResult, dict]:
    """Record the upload as pending, send it, then settle the record (or drop it when IXON
    refused the upload); killed anywhere in between, the pending entry stays."""
    name = deployments.RECORD_NAME
    archive = plan.bundle.path.read_bytes()
    result, pending = deployments.send_on_record(
        plan.root,
        lambda: client.upload(url, archive),
        uncertain=(ixon_api.UncertainRequestError,),
        version=plan.version,
        template_id=plan.settings.template_id.value,
        company_id=plan.settings.company_id.value,
        sha256=plan.bundle.sha256,
        commit=plan.git.commit,
        dirty=plan.git.dirty,
        component=None,
        target=plan.settings.target,
    )
    try:
        entry = deployments.settle(
            plan.root, pending, provisioning=result.company_to_be_provisioned
        )
    except (UserError, OSError) as error:
        raise DeployError(
            f"IXON took the upload of {plan.version} (HTTP {result.status}), but settling it "
            f'in {name} failed ({error}): delete the line "{deployments.PENDING_KEY}": true '
            "of its entry by hand so the next deploy knows this version is out"
        ) from None
    return result, entry


def ship(
    root: Path,
    config: settings.DeploySettings,
    api: ixon_api.Client,
    summary: deploy_summary.Summary,
    *,
    plan: Plan | None,
    ui_plan: list[ui_deploy.Built],
    publish: bool,
    echo: Callable[[str], None],
) -> None:
    """Upload the planned function, then each UI Component, noting each in `summary`."""
    if plan is not None:
        deployed = execute(plan, api, echo=echo)
        summary.shipped.append(
            deploy_summary.Shipped(
                f"Cloud Function {plan.bundle.slug}",
                plan.version,
                plan.settings.template_id.value,
                plan.bundle.sha256,
            )
        )
        summary.provisioning = deployed.result.company_to_be_provisioned
        summary.grants = api_access.granted_names(root)
    if ui_plan:
        state = git_state(root)
        ui_deploy.ship(
            root,
            ui_plan,
            config,
            api,
            publish=publish,
            commit=state.commit,
            dirty=state.dirty,
            echo=echo,
            shipped=summary.shipped,
        )


def record_in_git(root: Path, summary: deploy_summary.Summary, *, clean: bool) -> str:
    """Commit the record of what went out (`deploy_record.commit_after_deploy`): the line
    the summary ends with."""
    shipped = [f"{item.what} {item.version}" for item in summary.shipped]
    return deployments.commit_after_deploy(root, shipped, clean=clean)
