"""`invoke status`: what IXON runs for each deploy target, beside what the workspace knows.

For each deploy target (or `--target NAME`), read through `ixon_devkit.cloud.remote` (IXON's
OpenAPI description 0.1.294): the template (`BackendComponentTemplate`: `draft`, `published`,
`configuredVersion`, `accessTokenScope`, `configConfidentiality`), its uploaded versions
(`BackendComponentTemplateVersionList`) and the company's configuration
(`BackendComponentTemplateConfigList`: `enabled`, `allowDraft`, `pinnedVersion`). Shown beside
`VERSION` and `deployments.json`: which local version is IXON's number N (an upload is matched
to the deploy recorded right after it), which is the draft, the published one and the one
configured for the company; whether the company's configuration is enabled; and the
`api_access` names (and the names the code calls) that `accessTokenScope` does not grant.

IXON does not describe the format of `accessTokenScope` (a string): a list of discovery names
(comma or space separated, or JSON), IXON's token-scope shape (`allow`/`deny` with `rels`) and
`unrestricted` are read; anything else is shown as it is, and said so.

`invoke doctor --online` shows the same reading as steps (`doctor_steps`). Read-only: GETs only.
Runs in the workspace's environment: `python -m ixon_devkit.cloud.status [--target NAME]`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ixon_devkit.cloud import api_access, remote
from ixon_devkit.doctor.doctor_report import DONE, WARNING, Step
from ixon_devkit.errors import UserError, main_wrapper
from ixon_devkit.ship import deploy_record as deployments
from ixon_devkit.ship import targets, versioning
from ixon_devkit.workspace import masking, root, workspace_file

ROOT = root.find()
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
#: How long after IXON took an upload its deploy may have been recorded (the answer's way back,
#: the record written under a lock), and how much the two clocks may disagree before it.
RECORDED_WITHIN = timedelta(minutes=15)
CLOCK_SLACK = timedelta(minutes=2)
UNRESTRICTED = "unrestricted"


@dataclass(frozen=True)
class Scope:
    """What `accessTokenScope` grants: `names` (None: everything), or `unread` (its text)."""

    names: frozenset[str] | None
    unread: str = ""


def read_scope(text: Any) -> Scope:
    """The granted discovery names of an `accessTokenScope` string."""
    text = str(text or "").strip()
    try:
        document = json.loads(text) if text else []
    except ValueError:
        # Not JSON: names separated by commas or spaces, or IXON's word for everything.
        document = [word for word in re.split(r"[\s,;]+", text) if word]
    if isinstance(document, str):
        document = [document]
    if isinstance(document, dict):
        kind = f"{document.get('type', '')} {document.get('scope', '')}".lower().split()
        document = [UNRESTRICTED] if UNRESTRICTED in kind else document
    if isinstance(document, list) and any(
        isinstance(item, str) and item.lower() == UNRESTRICTED for item in document
    ):
        return Scope(None)
    allowed = document.get("allow", document) if isinstance(document, dict) else document
    names = _rels(allowed)
    denied = _rels(document.get("deny", [])) if isinstance(document, dict) else set()
    if names is None or denied is None:
        return Scope(frozenset(), unread=text)
    return Scope(frozenset(names - denied))


def _rels(value: Any) -> set[str] | None:
    """Discovery names in a list of names or of `{"rels": [...]}` / `{"rel": ...}` items."""
    items = value if isinstance(value, list) else [value]
    names: set[str] = set()
    for item in items:
        if isinstance(item, str) and _NAME.fullmatch(item):
            names.add(item)
        elif isinstance(item, dict) and isinstance(item.get("rels"), list):
            names |= {rel for rel in item["rels"] if isinstance(rel, str)}
        elif isinstance(item, dict) and isinstance(item.get("rel"), str):
            names.add(item["rel"])
        else:
            return None
    return names


@dataclass(frozen=True)
class Reading:
    """One deploy target's Cloud Function at IXON, beside the workspace."""

    where: str
    template: dict[str, Any]
    versions: list[dict[str, Any]]
    config: dict[str, Any] | None
    #: IXON's version publicId -> the local version recorded for that upload.
    local: dict[str, str]
    version: str
    #: Whether deployments.json records VERSION for this template and company.
    recorded: bool
    scope: Scope
    #: Names the workspace needs granted -> why ("in api_access", "called by the code").
    needed: dict[str, str]

    def number_of(self, version: str) -> str | None:
        """IXON's number of the upload recorded as `version` (its latest)."""
        numbers = [
            str(item.get("number"))
            for item in self.versions
            if self.local.get(str(item.get("publicId"))) == version
        ]
        return numbers[-1] if numbers else None

    def marks(self, item: dict[str, Any]) -> list[str]:
        """draft, published, configured for the company: what IXON says of one version."""
        public_id = item.get("publicId")
        template = self.template
        marks = []
        for key, mark in (("draft", "draft"), ("published", "published")):
            if (template.get(key) or {}).get("publicId") == public_id:
                marks.append(mark)
        configured = template.get("configuredVersion") or {}
        pinned = ((self.config or {}).get("pinnedVersion") or {}).get("publicId")
        if configured.get("publicId") == public_id:
            marks.append("configured for the company")
        if pinned == public_id:
            marks.append("pinned by the company's configuration")
        return marks

    def missing(self) -> list[str]:
        """Needed names that IXON has not granted (none when the scope is unrestricted)."""
        if self.scope.names is None:
            return []
        return sorted(name for name in self.needed if name not in self.scope.names)


def read(api: remote.Remote, root: Path) -> Reading:
    """Ask IXON, read the workspace: one target's Reading."""
    template = api.template()
    versions = api.versions()
    config = api.company_config()
    entries = [
        entry
        for entry in deployments.load(root)
        if entry.get("template_id") == api.template_id
        and entry.get("company_id") in (None, api.company_id)
        and not entry.get("component")
    ]
    version = str(versioning.current(root))
    return Reading(
        where=api.where(),
        template=template,
        versions=versions,
        config=config,
        local=match(versions, entries),
        version=version,
        recorded=any(entry.get("version") == version for entry in entries),
        scope=read_scope(template.get("accessTokenScope")),
        needed=needed_names(root),
    )


def needed_names(root: Path) -> dict[str, str]:
    """The names the deployed function needs granted, and why."""
    needed = {name: "called by the code" for name in api_access.granted_names(root)}
    for name in api_access.listed(root):
        needed[name] = "in api_access" + (" and called by the code" if name in needed else "")
    return needed


def _moment(text: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def match(versions: list[dict[str, Any]], entries: list[dict[str, Any]]) -> dict[str, str]:
    """IXON's versions matched to recorded deploys: each upload to the first deploy recorded
    at or after its `createdOn` (within RECORDED_WITHIN), each deploy used once."""
    matched: dict[str, str] = {}
    used: set[int] = set()
    for item in sorted(versions, key=lambda v: _moment(v.get("createdOn")) or datetime.min):
        created = _moment(item.get("createdOn"))
        if created is None:
            continue
        for index, entry in enumerate(entries):
            recorded = _moment(entry.get("time"))
            if index in used or recorded is None:
                continue
            if created - CLOCK_SLACK <= recorded <= created + RECORDED_WITHIN:
                matched[str(item.get("publicId"))] = str(entry.get("version"))
                used.add(index)
                break
    return matched


def describe(reading: Reading) -> list[str]:
    """The reading as `invoke status` prints it."""
    name = reading.template.get("name")
    lines = [f"{reading.where}" + (f': "{name}"' if name else "")]
    lines.append(
        "  IXON's versions (oldest first):"
        if reading.versions
        else "  IXON holds no uploaded version of it yet: `invoke deploy` uploads one"
    )
    for item in reading.versions:
        local = reading.local.get(str(item.get("publicId")))
        ours = f"{local} (deployments.json)" if local else "not in deployments.json"
        by = (item.get("createdBy") or {}).get("name") or "someone"
        marks = "".join(f"; {mark}" for mark in reading.marks(item))
        lines.append(
            f"    number {item.get('number')}: {ours}, uploaded {item.get('createdOn')} by "
            f"{by}{marks}"
        )
    lines.append(f"  {version_line(reading)}")
    lines.append(f"  {config_line(reading)}")
    lines += [f"  {line}" for line in access_lines(reading)]
    return lines


def version_line(reading: Reading) -> str:
    number = reading.number_of(reading.version)
    if number is not None:
        item = next(v for v in reading.versions if str(v.get("number")) == number)
        marks = reading.marks(item)
        state = f" ({', '.join(marks)})" if marks else " (neither draft, published nor configured)"
        return f"VERSION {reading.version} is IXON's number {number}{state}"
    if reading.recorded:
        return (
            f"VERSION {reading.version} is recorded in {deployments.RECORD_NAME}, but no "
            "version IXON lists was uploaded then: check the function in IXON Studio"
        )
    return f"VERSION {reading.version} is not deployed here yet: `invoke deploy` uploads it"


def config_line(reading: Reading) -> str:
    config = reading.config
    secret = reading.template.get("configConfidentiality") == "secret"
    kind = "secret" if secret else "public"
    if config is None:
        return (
            f"company configuration: none ({kind}): the app is not enabled for the company "
            "(IXON portal: Admin > Apps)"
        )
    enabled = "enabled" if config.get("enabled") else "NOT enabled (IXON portal: Admin > Apps)"
    drafts = "drafts allowed" if config.get("allowDraft") else "drafts not allowed"
    pinned = ((config.get("pinnedVersion") or {}).get("publicId")) or ""
    number = next(
        (str(v.get("number")) for v in reading.versions if v.get("publicId") == pinned), pinned
    )
    pin = f"pinned to number {number}" if pinned else "no pinned version"
    return f"company configuration ({kind}): {enabled}, {drafts}, {pin}"


def access_lines(reading: Reading) -> list[str]:
    scope = reading.scope
    if scope.unread:
        return [
            f"API access granted (accessTokenScope), in a form status cannot read, as IXON "
            f"sent it: {scope.unread[:500]}",
            "  compare it by hand with api_access: " + (", ".join(reading.needed) or "none"),
        ]
    if scope.names is None:
        return ["API access granted (accessTokenScope): unrestricted"]
    granted = ", ".join(sorted(scope.names)) or "none"
    lines = [f"API access granted (accessTokenScope): {granted}"]
    for name in reading.missing():
        lines.append(
            f"NOT granted by IXON: {name} ({reading.needed[name]}): grant it in "
            f"{api_access.STUDIO}, or the deployed function's calls of it are refused"
        )
    return lines


def doctor_steps(api: remote.Remote, root: Path) -> list[Step]:
    """The reading as `invoke doctor --online` steps (warnings only: nothing here stops a
    deploy)."""
    try:
        reading = read(api, root)
    except UserError as error:
        return [
            Step(
                "Deployed (online)",
                WARNING,
                masking.mask(
                    f"could not read the deployed Cloud Function: {error}",
                    api.config.token.reveal(),
                ),
                "`invoke status` for the whole reading",
            )
        ]
    number = reading.number_of(reading.version)
    steps = [
        Step("Deployed (online)", DONE if number else WARNING, version_line(reading)),
        Step(
            "Company configuration (online)",
            DONE if (reading.config or {}).get("enabled") else WARNING,
            config_line(reading),
        ),
    ]
    missing = reading.missing()
    if reading.scope.unread:
        steps.append(Step("API access (online)", WARNING, access_lines(reading)[0]))
    elif missing:
        steps.append(
            Step(
                "API access (online)",
                WARNING,
                f"IXON has not granted {', '.join(missing)} (accessTokenScope)",
                f"grant {'it' if len(missing) == 1 else 'them'} in {api_access.STUDIO}",
            )
        )
    else:
        steps.append(Step("API access (online)", DONE, "IXON grants every name the code needs"))
    return steps


def target_names(root: Path, target: str) -> list[str]:
    """`target`, else every deploy target of workspace.json (the default one first)."""
    if target:
        return [target]
    return [item.name for item in targets.every(workspace_file.read(root))]


def run(root: Path, target: str = "", *, verbose: bool = False) -> int:
    """Print the reading of each target; a failure of any ends with its one line."""
    names = target_names(root, target)
    for index, name in enumerate(names):
        if index:
            print()
        with remote.connected(root, name, verbose=verbose) as api:
            lines = describe(read(api, root))
            secret = api.config.token.reveal()
            print("\n".join(masking.mask(line, secret) for line in lines), flush=True)
    return 0


@main_wrapper
def main(argv: list[str] | None = None) -> int:
    """`python -m ixon_devkit.cloud.status [--target NAME]`, as `invoke status` runs it."""
    parser = argparse.ArgumentParser(prog="invoke status", description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="")
    parser.add_argument("--verbose", action="store_true")
    options = parser.parse_args(argv)
    return run(ROOT, options.target, verbose=options.verbose)


if __name__ == "__main__":
    sys.exit(main())
