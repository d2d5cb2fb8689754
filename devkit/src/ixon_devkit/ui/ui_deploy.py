"""`invoke deploy` for the UI Components: upload each to its page-component template, publish.

The same calls IXON's `cdk deploy` and `cdk publish` make (`@ixon-cdk/core`'s deploy service):
POST the component's zip to `page-component-templates/{id}/version-upload`, whose answer names
the new version (`data.publicId`), then, with `--publish`, PATCH
`page-component-template-versions/{versionId}` with `{"published": true}`. They go through the
function upload's client (`ixon_devkit.cloud.ixon_api.Client`): the same token, retries, timeouts,
one-line errors and masking.

Each component's template ID comes from `IXON_UI_TEMPLATE_ID_<NAME>` (the name in capitals,
dashes as underscores) in the environment, then `.env`, then `workspace.json`
(`ui_components.<name>.template_id`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ixon_devkit.cloud import ixon_api
from ixon_devkit.errors import UserError
from ixon_devkit.ship import deploy_record as deployments
from ixon_devkit.ship import deploy_summary
from ixon_devkit.ui import components as ui
from ixon_devkit.ui import ui_bundle
from ixon_devkit.workspace import settings

UPLOAD_PATH = "page-component-templates/{id}/version-upload"
PUBLISH_PATH = "page-component-template-versions/{id}"
#: What IXON's SDK sends with the zip (not application/zip: that is what IXON's API takes).
UPLOAD_CONTENT_TYPE = "application/x-www-form-urlencoded"


class UiDeployError(UserError):
    """A UI Component that cannot be (or was not) deployed; the message says what to do."""


@dataclass(frozen=True)
class Target:
    """One UI Component to deploy: where to, which version."""

    component: ui.Component
    template_id: settings.Setting
    version: str


def variable(name: str) -> str:
    """The environment variable that overrides a component's template ID."""
    return ui.template_variable(name)


def targets(
    root: Path,
    names: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
    *,
    force: bool = False,
    warn: Callable[[str], None] = print,
    template_ids: Mapping[str, str] | None = None,
) -> list[Target]:
    """The components to deploy (all, or the named ones), each checked before any upload.
    `template_ids` (a deploy target's) win over those of `ui_components` in workspace.json."""
    environ = os.environ if environ is None else environ
    dotenv = settings.read_dotenv(root / settings.DOTENV_FILE)
    found = ui.listed(root)
    wanted = list(names)
    for name in wanted:
        if name not in {c.name for c in found}:
            known = ", ".join(c.name for c in found) or "none"
            raise UiDeployError(f"no UI Component named {name}; the workspace has: {known}")
    chosen = [c for c in found if not wanted or c.name in wanted]
    result = []
    for component in chosen:
        key = variable(component.name)
        if environ.get(key, "").strip():
            setting = settings.Setting(key, environ[key].strip(), "environment")
        elif dotenv.get(key, "").strip():
            setting = settings.Setting(key, dotenv[key].strip(), settings.DOTENV_FILE)
        elif (template_ids or {}).get(component.name):
            setting = settings.Setting(
                key, template_ids[component.name], f"{ui.WORKSPACE_FILE} targets"
            )
        else:
            setting = settings.Setting(
                key, component.template_id, f"{ui.WORKSPACE_FILE} ui_components"
            )
        if not setting.value:
            raise UiDeployError(
                f"UI Component {component.name} has no page-component-template ID: set "
                f'"template_id" under ui_components.{component.name} in {ui.WORKSPACE_FILE} '
                f"(or {key} in .env or the environment) to its 12-character ID from IXON Studio "
                "(UI Components), or deploy with --functions-only"
            )
        if not ui.TEMPLATE_ID.fullmatch(setting.value):
            raise UiDeployError(
                f"{key} {json.dumps(setting.value)} (from {setting.source}) is not valid: "
                "expected 12 letters or digits like PcT0000000A1"
            )
        version = str(ui_bundle.read_manifest(component)["version"])
        if deployments.was_deployed(root, version, setting.value):
            if not force:
                raise UiDeployError(
                    deployments.component_repeat_refusal(component.name, version, setting.value)
                )
            warn(
                f"WARNING: --force: uploading UI Component {component.name} version {version} "
                f"again to template {setting.value}; IXON may answer 'version: Already exists'"
            )
        result.append(Target(component, setting, version))
    return result


def _url(base: str, path: str, public_id: str) -> str:
    return base.rstrip("/") + "/" + path.format(id=quote(public_id, safe=""))


@dataclass(frozen=True)
class Built:
    """A target with its built archive: what a deploy would send."""

    target: Target
    bundle: ui_bundle.UiBundle


def build(
    root: Path,
    chosen: list[Target],
    config: settings.DeploySettings,
    *,
    echo: Callable[[str], None],
) -> list[Built]:
    """Build every target's archive (IXON's builder, the manifest checks); nothing is sent."""
    if not chosen:
        return []
    names = [target.component.name for target in chosen]
    made = {
        bundle.component.name: bundle
        for bundle in ui_bundle.build_all(root, names, secrets=[config.token.reveal()])
    }
    result = [Built(target, made[target.component.name]) for target in chosen]
    for item in result:
        for line in item.bundle.describe(root):
            echo(line)
    return result


def describe(planned: list[Built], config: settings.DeploySettings, *, publish: bool) -> list[str]:
    """What a deploy would send for the UI Components (for --dry-run)."""
    base = config.base_url.value
    lines = []
    for item in planned:
        bundle = item.bundle
        lines.append(
            f"  POST {_url(base, UPLOAD_PATH, item.target.template_id.value)} with "
            f"{bundle.path.name} ({bundle.size:,} bytes, sha256 {bundle.sha256}), Content-Type: "
            f"{UPLOAD_CONTENT_TYPE}, Authorization: Bearer ********"
        )
        if publish:
            lines.append(
                f"  PATCH {_url(base, PUBLISH_PATH, '{versionId}')} with "
                '{"published": true}, the version ID the upload answers'
            )
    return lines


# The calls below go through the function upload's client: the same token handling, retries,
# deadlines and one-line messages.


def upload(client: ixon_api.Client, base: str, template_id: str, archive: bytes) -> str:
    """POST a component's zip to its template; the new version's publicId."""
    url = _url(base, UPLOAD_PATH, template_id)
    check = "check the UI Component's versions in IXON Studio before deploying again"
    answer = client.request(
        "POST",
        url,
        body=archive,
        headers={"Content-Type": UPLOAD_CONTENT_TYPE},
        what="UI upload",
        check=check,
    )
    what = f"the UI upload to {url}"
    if not answer.ok:
        raise ixon_api.ApiError(client.explain(answer, what, ui=True))
    document = client.json_of(answer, what, hint=check)
    data = document.get("data") if isinstance(document, dict) else None
    version_id = data.get("publicId") if isinstance(data, dict) else None
    succeeded = isinstance(document, dict) and document.get("status") == "success"
    if not succeeded or not isinstance(version_id, str) or not version_id:
        raise ixon_api.ApiError(
            f'{what} answered {answer.status} without "status": "success" and the new '
            f"version's publicId: {check}"
        )
    return version_id


def publish_version(client: ixon_api.Client, base: str, version_id: str) -> None:
    """PATCH the uploaded version to published, as `cdk publish` does (safe to repeat)."""
    url = _url(base, PUBLISH_PATH, version_id)
    answer = client.request(
        "PATCH",
        url,
        body=json.dumps({"published": True}).encode(),
        headers={"Content-Type": "application/json"},
        what="publish",
        repeatable=True,
    )
    if not answer.ok:
        raise ixon_api.ApiError(
            client.explain(answer, f"publishing UI version {version_id} at {url}", ui=True)
            + " (the version was uploaded: publish it in IXON Studio, or deploy again after "
            "`invoke bump`)"
        )


def ship(
    root: Path,
    planned: list[Built],
    config: settings.DeploySettings,
    client: ixon_api.Client,
    *,
    publish: bool,
    commit: str | None,
    dirty: bool,
    echo: Callable[[str], None],
    shipped: list[deploy_summary.Shipped],
) -> None:
    """Upload (and publish) each built component, recording each upload (and whether it was
    published), and adding what went where to `shipped` (the deploy's summary) as it goes, so
    that a failure still leaves the summary whole."""
    base = config.base_url.value
    for item in planned:
        target, bundle = item.target, item.bundle
        name = target.component.name
        echo(f"Uploading UI Component {name} ({bundle.size:,} bytes)")
        archive = bundle.path.read_bytes()
        template = target.template_id.value
        version_id, pending = deployments.send_on_record(
            root,
            lambda: upload(client, base, template, archive),  # noqa: B023 - called at once
            uncertain=(ixon_api.UncertainRequestError,),
            version=target.version,
            template_id=template,
            company_id=config.company_id.value,
            sha256=bundle.sha256,
            commit=commit,
            dirty=dirty,
            component=name,
            target=config.target,
        )
        echo(
            f"Deployed UI Component {name} version {target.version} to template "
            f"{target.template_id.value} (version ID {version_id})"
        )
        published = False
        try:
            if publish:
                publish_version(client, base, version_id)
                published = True
                echo(f"Published UI Component {name} version {target.version}")
        finally:
            shipped.append(
                deploy_summary.Shipped(
                    f"UI Component {name}",
                    target.version,
                    target.template_id.value,
                    bundle.sha256,
                    published=published,
                    version_id=version_id,
                    publish_failed=publish and not published,
                )
            )
            # Settled even when publishing failed: IXON has the version, so it may not repeat.
            deployments.settle(root, pending, published=published)
