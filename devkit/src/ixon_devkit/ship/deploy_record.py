"""The deploy record: `deployments.json`, kept under version control, one entry per upload.

Each successful deploy appends `version`, `template_id`, `company_id`, `time` (UTC, ISO 8601),
the bundle's `sha256`, the git `commit` (or null) and whether the tree was `dirty`, and the
deploy `target` when the workspace names its targets; an upload that left the company to be
provisioned (its first) also gets `company_to_be_provisioned: true`; a UI Component's upload
names the `component` (the Cloud Function's has null) and whether it was `published`.
`invoke deploy` reads it to refuse uploading a version twice to the same template of the same
company (so once per target), and `invoke doctor` to tell where the workspace stands.

The record changes after every deploy, so it is not counted when telling whether the tree is
dirty (`git.dirty_paths`): recording a deploy must not make the next `invoke bump` refuse. A
deploy from a clean git tree commits it (`commit_record`), so the tree is clean again after it
(`"commit_deploy_record": false` in workspace.json leaves that to the user).

An upload is recorded before it is sent (`begin`: the entry marked `"pending": true`) and
settled once IXON has answered (`settle`), or dropped when IXON refused it (`abandon`): a deploy
killed between IXON accepting the upload and the record being written leaves the pending entry,
and the next deploy or doctor says what to do (`pending_refusal`) instead of uploading the same
version again without a word.

Concurrent deploys: `record` reads and rewrites the record under a lock (`LOCK_NAME`), so N
deploys at once leave N entries; `one_upload` lets only one deploy of a version to a template
run at a time, so the second one finds the first one's entry and stops.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from ixon_devkit.errors import UserError
from ixon_devkit.workspace import files, git, workspace_file

T = TypeVar("T")

RECORD_NAME = "deployments.json"
#: Set (true) on an upload that IXON answered with `companyToBeProvisioned`: the company's
#: first, after which IXON prepares the company within two business days.
PROVISIONING_KEY = "company_to_be_provisioned"
#: Held while the record is read and rewritten (ignored by git).
LOCK_NAME = ".deployments.json.lock"
#: Held by the deploy of one version to one template, in the bundle folder (ignored by git).
UPLOAD_LOCK = "dist/.deploy-{template_id}-{version}.lock"
#: Set (true) on an upload that was sent and never settled: IXON may or may not have it.
PENDING_KEY = "pending"
#: Said after an upload whose outcome is not known (IXON may have it): it stays pending.
KEPT_PENDING = (
    f"; {RECORD_NAME} keeps the upload as pending until you settle it (`invoke doctor` says how)"
)
#: The workspace.json setting that, set to false, leaves committing the record to the user.
COMMIT_SETTING = "commit_deploy_record"


class RecordError(UserError):
    """The record cannot be read; the message says how to repair it."""


class UnsettledError(UserError):
    """An upload went out and its outcome is not known: it stays pending in the record."""


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


def was_deployed(
    root: Path,
    version: str,
    template_id: str,
    company_id: str | None = None,
    *,
    pending: bool = True,
) -> bool:
    """Whether `version` was already deployed to the template `template_id` (of the company
    `company_id`, when given and recorded); an upload left pending counts unless `pending` is
    false (outside `one_upload`, where it may be another deploy's, still running)."""
    return any(
        entry.get("version") == version
        and entry.get("template_id") == template_id
        and (company_id is None or entry.get("company_id") in (None, company_id))
        and (pending or not entry.get(PENDING_KEY))
        for entry in load(root)
    )


def unsettled(
    root: Path, version: str, template_id: str, company_id: str | None = None
) -> dict[str, Any] | None:
    """The pending entry of `version` on `template_id` when no settled one shows it deployed:
    an upload whose outcome nobody knows."""
    matching = [
        entry
        for entry in load(root)
        if entry.get("version") == version
        and entry.get("template_id") == template_id
        and (company_id is None or entry.get("company_id") in (None, company_id))
    ]
    if matching and all(entry.get(PENDING_KEY) for entry in matching):
        return matching[-1]
    return None


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
    provisioning: bool = False,
    published: bool | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Append one deployment to the record (written whole, then renamed) and return it:
    `fields` are `version`, `template_id`, `company_id`, `sha256`, `commit`, `dirty` and,
    optionally, `time`, `component` and `target` (see `_entry`). A UI Component's upload names
    the `component` (and whether it was `published`); the Cloud Function's has
    `component: null`."""
    entry = _entry(**fields)
    if published is not None:
        entry["published"] = published
    if provisioning:
        entry[PROVISIONING_KEY] = True
    _rewrite(root, lambda entries: [*entries, entry])
    return entry


def begin(root: Path, **fields: Any) -> dict[str, Any]:
    """Record an upload about to be sent, marked pending (written whole, then renamed, before
    a byte goes out), with the `fields` of `record` but the outcome's (`provisioning`,
    `published`, the time of IXON's answer); `settle` or `abandon` it once IXON has answered."""
    entry = _entry(**fields)
    entry[PENDING_KEY] = True
    _rewrite(root, lambda entries: [*entries, entry])
    return entry


def settle(
    root: Path,
    pending: dict[str, Any],
    *,
    provisioning: bool = False,
    published: bool | None = None,
) -> dict[str, Any]:
    """IXON took the upload `begin` recorded as `pending`: its entry, no longer pending, with
    the time of IXON's answer. Earlier pending entries of the same version, template and
    company go too (this upload settled what they left open)."""
    moment = datetime.now(UTC).replace(microsecond=0)
    entry = {key: value for key, value in pending.items() if key != PENDING_KEY}
    entry["time"] = moment.isoformat().replace("+00:00", "Z")
    if published is not None:
        entry["published"] = published
    if provisioning:
        entry[PROVISIONING_KEY] = True
    same = ("version", "template_id", "company_id")

    def settled(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        kept = [
            item
            for item in entries
            if not (item.get(PENDING_KEY) and all(item.get(k) == pending.get(k) for k in same))
        ]
        return [*kept, entry]

    _rewrite(root, settled)
    return entry


def abandon(root: Path, pending: dict[str, Any]) -> None:
    """IXON refused the upload `begin` recorded: its pending entry goes."""
    _rewrite(root, lambda entries: [item for item in entries if item != pending])


def send_on_record(
    root: Path,
    send: Callable[[], T],
    *,
    uncertain: tuple[type[UserError], ...],
    **fields: Any,
) -> tuple[T, dict[str, Any]]:
    """Call `send` (an upload) with the upload recorded as pending first (`begin` with
    `fields`): what it returned, and the entry to `settle`. An error of `send` takes the entry
    out again (IXON refused it), except an `uncertain` one (IXON may have it: UnsettledError,
    saying it stays pending) or an interruption (Ctrl-C)."""
    try:
        pending = begin(root, **fields)
    except (RecordError, OSError) as error:
        raise RecordError(
            f"cannot write {RECORD_NAME} ({error}): repair it (nothing was sent)"
        ) from None
    try:
        return send(), pending
    except uncertain as error:
        raise UnsettledError(f"{error}{KEPT_PENDING}", exit_code=error.exit_code) from None
    except Exception:
        with contextlib.suppress(UserError, OSError):  # else it stays pending: the safe side
            abandon(root, pending)
        raise


def pending_entries(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The uploads that were sent and never settled."""
    return [entry for entry in entries if entry.get(PENDING_KEY)]


def pending_refusal(entry: dict[str, Any]) -> str:
    """What an upload left pending means and what to do (`invoke deploy` refuses the version
    with it; `invoke doctor` says the same)."""
    what = f"UI Component {entry['component']}" if entry.get("component") else "the Cloud Function"
    version, template = entry.get("version"), entry.get("template_id")
    return (
        f"the upload of {what} {version} to template {template} sent at {entry.get('time')} was "
        f"never settled (the deploy stopped before IXON's answer was recorded in {RECORD_NAME}), "
        "so IXON may have it: if IXON Studio lists an upload to that template made then "
        f"(`invoke status` matches a Cloud Function's to {version}), delete the line "
        f'"{PENDING_KEY}": true of its entry in {RECORD_NAME} (it is deployed); if not, '
        "`invoke deploy --force` uploads it again"
    )


def _entry(
    *,
    version: str,
    template_id: str,
    company_id: str,
    sha256: str,
    commit: str | None,
    dirty: bool,
    time: datetime | None = None,
    component: str | None = None,
    target: str = "",
) -> dict[str, Any]:
    """One entry of the record (the time: now, unless given)."""
    moment = (time or datetime.now(UTC)).astimezone(UTC)
    entry: dict[str, Any] = {
        "version": version,
        "template_id": template_id,
        "company_id": company_id,
        "time": moment.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "sha256": sha256,
        "commit": commit,
        "dirty": bool(dirty),
        "component": component,
    }
    if target:
        entry["target"] = target
    return entry


def _rewrite(root: Path, change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> None:
    """Read, change and write the record whole (then renamed) under its lock."""
    with files.locked(root / LOCK_NAME, wait=60):
        entries = change(load(root))
        path = root / RECORD_NAME
        files.write_atomic(path, json.dumps({"deployments": entries}, indent=2) + "\n")


def commits_record(root: Path) -> bool:
    """Whether a deploy commits the record (workspace.json's `commit_deploy_record`, default
    true)."""
    return workspace_file.read(root).get(COMMIT_SETTING, True) is not False


def commit_record(root: Path, message: str) -> str:
    """Commit the record alone (`git commit -- deployments.json`, hooks run as for any
    commit); the commit's short ID. GitError saying why not."""
    outcome = git.run(root, "commit", "--quiet", "-m", message, "--", RECORD_NAME)
    if outcome.returncode != 0:
        raise git.GitError(git.first_line(outcome.stderr + outcome.stdout))
    made = git.run(root, "rev-parse", "--short", "HEAD")
    return made.stdout.strip()


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


def clean_tree(root: Path) -> bool:
    """Whether the workspace is in git with nothing uncommitted, the record included."""
    try:
        return git.head(root) is not None and not git.changed_paths(root)
    except git.GitError:
        return False


def commit_after_deploy(
    root: Path, shipped: list[str], *, clean: bool, environ: Mapping[str, str] | None = None
) -> str:
    """Commit the record after a deploy of `shipped` ("Cloud Function x 1.2.3", ...) from a
    clean tree (`clean_tree` before it) unless `commit_deploy_record` is false, so the tree is
    clean again; the line the deploy's summary ends with ("" outside git or with nothing
    shipped). In CI (`CI` set, as GitHub and GitLab set it) the job keeps the record: the
    workspace's workflows commit it or keep it as an artifact."""
    environ = os.environ if environ is None else environ
    if not shipped or git.head(root) is None:
        return ""
    if environ.get("CI", "").strip().lower() not in ("", "0", "false"):
        return f"{RECORD_NAME} is not committed here (CI is set): the CI job keeps it"
    if not clean:
        return (
            f"Commit {RECORD_NAME}: it records this deploy (the tree had other changes before it)"
        )
    if not commits_record(root):
        return (
            f"Commit {RECORD_NAME}: it records this deploy ({COMMIT_SETTING} is false in "
            f"{workspace_file.FILE})"
        )
    message = "Record the deploy of " + ", ".join(shipped)
    try:
        made = commit_record(root, message)
    except git.GitError as error:
        return f"Commit {RECORD_NAME}: it records this deploy (git could not commit it: {error})"
    return f'Committed {RECORD_NAME} as {made} "{message}": the git tree is clean again'
