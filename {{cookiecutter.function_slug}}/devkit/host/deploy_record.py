"""The deploy record: `deployments.json`, kept under version control, one entry per upload.

Each successful deploy appends `version`, `template_id`, `company_id`, `time` (UTC, ISO 8601),
the bundle's `sha256`, the git `commit` (or null) and whether the tree was `dirty`, and the
deploy `target` when the workspace names its targets; an upload that left the company to be
provisioned (its first) also gets `company_to_be_provisioned: true`; a UI Component's upload
names the `component` (the Cloud Function's has null) and whether it was `published`.
`invoke deploy` reads it to refuse uploading a version twice to the same template of the same
company (so once per target), and `invoke doctor` to tell where the workspace stands.

The record changes after every deploy, so it is not counted when telling whether the tree is
dirty (`git.dirty_paths`): recording a deploy must not make the next `invoke bump` refuse.

Concurrent deploys: `record` reads and rewrites the record under a lock (`LOCK_NAME`), so N
deploys at once leave N entries; `one_upload` lets only one deploy of a version to a template
run at a time, so the second one finds the first one's entry and stops.
Standard library only, Python 3.9+.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from devkit.errors import UserError
from devkit.host import files

RECORD_NAME = "deployments.json"
#: Set (true) on an upload that IXON answered with `companyToBeProvisioned`: the company's
#: first, after which IXON prepares the company within two business days.
PROVISIONING_KEY = "company_to_be_provisioned"
#: Held while the record is read and rewritten (ignored by git).
LOCK_NAME = ".deployments.json.lock"
#: Held by the deploy of one version to one template, in the bundle folder (ignored by git).
UPLOAD_LOCK = "dist/.deploy-{template_id}-{version}.lock"


class RecordError(UserError):
    """The record cannot be read; the message says how to repair it."""


def load(root: Path) -> list[dict[str, Any]]:
    """Every recorded deployment, oldest first (empty when there is no record yet)."""
    path = root / RECORD_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    try:
        data = json.loads(text)
    except ValueError as error:
        line = getattr(error, "lineno", 1)
        raise RecordError(
            f"{RECORD_NAME}:{line} is not valid JSON ({error}): repair it from git "
            f"(`git checkout -- {RECORD_NAME}`) or by hand"
        ) from None
    entries = data.get("deployments") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise RecordError(
            f'{RECORD_NAME} must hold {{"deployments": [...]}}: repair it from git '
            f"(`git checkout -- {RECORD_NAME}`) or by hand"
        )
    return entries


def was_deployed(root: Path, version: str, template_id: str, company_id: str | None = None) -> bool:
    """Whether `version` was already deployed to the template `template_id` (of the company
    `company_id`, when given and recorded)."""
    return any(
        entry.get("version") == version
        and entry.get("template_id") == template_id
        and (company_id is None or entry.get("company_id") in (None, company_id))
        for entry in load(root)
    )


def repeat_refusal(version: str, template_id: str) -> str:
    """Why `invoke deploy` refuses a Cloud Function version already deployed to the template
    (`invoke doctor` says the same)."""
    return (
        f"version {version} was already deployed to template {template_id} (see "
        f"{RECORD_NAME}): IXON requires a new version for every deployment; run `invoke bump` "
        "first (or --force to upload it again)"
    )


def component_repeat_refusal(name: str, version: str, template_id: str) -> str:
    """Why `invoke deploy` refuses a UI Component version already deployed to its template
    (`invoke doctor` says the same)."""
    return (
        f"UI Component {name} version {version} was already deployed to template "
        f"{template_id} (see {RECORD_NAME}): IXON refuses a repeated version; run `invoke bump` "
        "first (it raises every manifest's version), or --force"
    )


def is_component(entry: dict[str, Any], component_templates: set[str]) -> bool:
    """Whether `entry` records a UI Component's upload rather than the Cloud Function's:
    marked so since the deploy records it (`component`), else told by its template ID."""
    if "component" in entry:
        return bool(entry["component"])
    return entry.get("template_id") in component_templates


def record(
    root: Path,
    *,
    version: str,
    template_id: str,
    company_id: str,
    sha256: str,
    commit: str | None,
    dirty: bool,
    time: datetime | None = None,
    provisioning: bool = False,
    component: str | None = None,
    published: bool | None = None,
    target: str = "",
) -> dict[str, Any]:
    """Append one deployment to the record (written whole, then renamed) and return it.
    A UI Component's upload names the `component` (and whether it was `published`); the
    Cloud Function's has `component: null`."""
    moment = (time or datetime.now(timezone.utc)).astimezone(timezone.utc)
    entry = {
        "version": version,
        "template_id": template_id,
        "company_id": company_id,
        "time": moment.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "sha256": sha256,
        "commit": commit,
        "dirty": bool(dirty),
        "component": component,
    }
    if published is not None:
        entry["published"] = published
    if target:
        entry["target"] = target
    if provisioning:
        entry[PROVISIONING_KEY] = True
    with files.locked(root / LOCK_NAME, wait=60):
        entries = [*load(root), entry]
        path = root / RECORD_NAME
        files.write_atomic(path, json.dumps({"deployments": entries}, indent=2) + "\n")
    return entry


@contextlib.contextmanager
def one_upload(
    root: Path,
    version: str,
    template_id: str,
    *,
    waiting: Callable[[], None] | None = None,
    wait: float = 3600.0,
) -> Iterator[None]:
    """Only one deploy of `version` to `template_id` at a time: the block runs once any other
    has finished (`waiting` is called when it has to wait), so it can see that one's entry."""
    name = UPLOAD_LOCK.format(
        template_id=re.sub(r"[^A-Za-z0-9]", "_", template_id),
        version=re.sub(r"[^A-Za-z0-9.]", "_", version),
    )
    with files.locked(root / name, wait=wait, waiting=waiting):
        yield
