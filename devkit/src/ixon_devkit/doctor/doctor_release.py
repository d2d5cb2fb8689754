"""`invoke doctor`'s release steps: what `invoke deploy` would refuse of the code, and where
each target (the Cloud Function, each UI Component) stands in `deployments.json`.

The template's unchanged examples, IXON API names not granted, a version already deployed to a
target's template: each is marked in the words `invoke deploy` refuses it with. The Cloud
Function's deploys and each UI Component's are told apart (`deploy_record.is_component`), so a
component's upload never reads as the function's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ixon_devkit.cloud import api_access
from ixon_devkit.doctor.doctor_report import DONE, MISSING, WARNING, Step
from ixon_devkit.doctor.doctor_sources import Sources, api_names_granted, ui_components
from ixon_devkit.ship import deploy_record, versioning
from ixon_devkit.ui import components
from ixon_devkit.workspace import examples, git, settings

#: IXON prepares a company for Cloud Functions within this many business days.
PROVISIONING_BUSINESS_DAYS = 2


def examples_step(root: Path) -> Step:
    """The template's examples: `invoke deploy` refuses to ship them unchanged."""
    name = "Examples"
    shipped = examples.state(root).shipped()
    if shipped:
        return Step(
            name,
            MISSING,
            examples.refusal(shipped),
            blocking=True,
        )
    return Step(name, DONE, "none of the template's examples would ship unchanged")


def api_access_step(sources: Sources) -> Step:
    """The IXON API names the code uses against those granted in `workspace.json`."""
    name = "API access"
    try:
        refused = api_access.refusal(sources.root)
        used = api_access.used_names(sources.root)
    except api_access.ApiAccessError as error:
        return Step(name, MISSING, str(error), blocking=True)
    granted = api_names_granted(sources)
    if refused:
        return Step(
            name,
            MISSING,
            refused,
            "or ask IXON support to grant them (`invoke doctor --email`)",
            blocking=True,
        )
    if not used:
        listed = f" ({len(granted)} listed in api_access)" if granted else ""
        return Step(name, DONE, f"the code calls no IXON API endpoint{listed}")
    unused = [granted_name for granted_name in granted or [] if granted_name not in used]
    extra = f"; listed but unused: {', '.join(unused)}" if unused else ""
    return Step(
        name,
        DONE,
        f"the code calls {', '.join(used)}, all in api_access{extra}; grant the same in "
        f"{api_access.STUDIO}",
    )


def component_templates(sources: Sources) -> dict[str, str]:
    """Each UI Component's page-component-template ID, as `invoke deploy` reads it
    (environment, .env, then `workspace.json`)."""
    found = {}
    for name, entry in ui_components(sources).items():
        variable = components.template_variable(name)
        value = (
            str(sources.environ.get(variable, "")).strip()
            or sources.dotenv.get(variable, "").strip()
            or str(entry.get("template_id") or "").strip()
        )
        if value:
            found[name] = value
    return found


def function_records(sources: Sources, records: list[dict]) -> list[dict]:
    """The Cloud Function's deploys, oldest first (not the UI Components')."""
    templates = set(component_templates(sources).values())
    return [entry for entry in records if not deploy_record.is_component(entry, templates)]


def version_step(root: Path, sources: Sources, records: list[dict]) -> Step:
    """The version: VERSION, its tag, and whether it was already deployed to this template."""
    name = "Version"
    try:
        version = str(versioning.current(root))
        mismatches = versioning.mismatches(root)
    except versioning.VersionError as error:
        return Step(name, MISSING, str(error), blocking=True)
    template = sources.lookup(settings.TEMPLATE_ID)
    template_id = template.value if template else None
    mine = function_records(sources, records)
    last = mine[-1] if mine else None
    last_text = (
        f"; the Cloud Function's last deploy: {last.get('version')} at {last.get('time')}"
        if last
        else "; never deployed"
    )
    repeated = _repeat_step(sources, mine, version, template_id)
    if repeated is not None:
        return repeated
    if mismatches:
        return Step(name, WARNING, f"{version}: {mismatches[0]}", "run `invoke bump` to set both")
    state = git.git_state(root, version)
    if state.commit is not None and not state.tag_at_head:
        return Step(
            name,
            WARNING,
            f"{version}, not yet deployed to this template, but tag v{version} is not at HEAD"
            f"{last_text}",
            f"`invoke bump` releases the next version with its tag (or tag this one: "
            f"`git tag -a v{version} -m {version}`)",
        )
    tag = f", tag v{version} at HEAD" if state.commit is not None else ""
    if not mine:
        return Step(name, DONE, f"{version}{tag}, never deployed")
    return Step(name, DONE, f"{version}{tag}, not yet deployed to this template{last_text}")


def _repeat_step(
    sources: Sources, mine: list[dict], version: str, template_id: str | None
) -> Step | None:
    """The blocking step when `version` is on record for the template: deployed, or an upload
    left pending (`deploy_record.pending_refusal`); None when it is not."""
    company = sources.lookup(settings.COMPANY_ID)
    same = [
        e
        for e in mine
        if e.get("version") == version
        and e.get("template_id") == template_id
        and (company is None or e.get("company_id") in (None, company.value))
    ]
    if not same:
        return None
    if all(e.get(deploy_record.PENDING_KEY) for e in same):
        return Step(
            "Version",
            MISSING,
            f"{version}: its upload to template {template_id} was never settled, so IXON may "
            "have it; the Deploy record step above says what to do",
            blocking=True,
        )
    where = f"{template_id} (target {sources.target})" if sources.target else str(template_id)
    return Step(
        "Version",
        MISSING,
        deploy_record.repeat_refusal(version, where),
        "run `invoke bump patch` (or minor, major)",
        blocking=True,
    )


def component_version_steps(sources: Sources, records: list[dict]) -> list[Step]:
    """Each UI Component's manifest version against its template's deploys."""
    steps = []
    for name, template_id in sorted(component_templates(sources).items()):
        manifest = sources.root / "components" / name / "manifest.json"
        try:
            version = str(json.loads(manifest.read_text(encoding="utf-8")).get("version"))
        except (OSError, ValueError, AttributeError):
            continue  # the component's own step says what is wrong with it
        label = f"UI Component {name} version"
        mine = [e for e in records if e.get("template_id") == template_id]
        if any(e.get("version") == version for e in mine):
            steps.append(
                Step(
                    label,
                    MISSING,
                    deploy_record.component_repeat_refusal(name, version, template_id),
                    "run `invoke bump patch`",
                    blocking=True,
                )
            )
            continue
        last = f"; last deployed: {mine[-1].get('version')}" if mine else "; never deployed"
        steps.append(Step(label, DONE, f"{version}, not yet deployed to {template_id}{last}"))
    return steps


def deploy_step(sources: Sources, records: list[dict], now: datetime) -> Step:
    """The Cloud Function's last deploy to this company, and provisioning after a company's
    first upload."""
    name = "Deploy and provisioning"
    company = sources.lookup(settings.COMPANY_ID)
    company_id = company.value if company else None
    mine = [
        e
        for e in function_records(sources, records)
        if e.get("company_id") == company_id and not e.get(deploy_record.PENDING_KEY)
    ]
    if not mine:
        return Step(
            name,
            MISSING,
            "the Cloud Function was not deployed to this company yet",
            "`invoke deploy --dry-run`, then `invoke deploy`",
        )
    last = mine[-1]
    first = next((e for e in mine if e.get(deploy_record.PROVISIONING_KEY)), None)
    if first is not None:
        since = _parse_time(str(first.get("time") or ""))
        ready = business_days_after(since, PROVISIONING_BUSINESS_DAYS) if since else None
        if ready is None or now < ready:
            until = ready.strftime("%Y-%m-%d %H:%M UTC") if ready else "two business days later"
            return Step(
                name,
                WARNING,
                f"the first upload to company {company_id} ({first.get('time')}) left it to be "
                f"provisioned: IXON prepares it within {PROVISIONING_BUSINESS_DAYS} business days "
                f"(until about {until})",
                "wait; nothing to redo. Meanwhile enable the app under Admin > Apps",
            )
        provisioned = f"; provisioning since {first.get('time')} should be over"
    else:
        provisioned = ""
    return Step(
        name,
        DONE,
        f"the Cloud Function {last.get('version')} deployed to template "
        f"{last.get('template_id')} at {last.get('time')}{provisioned}",
    )


def component_deploy_steps(sources: Sources, records: list[dict]) -> list[Step]:
    """Each UI Component's last deploy (never the Cloud Function's)."""
    steps = []
    for name, template_id in sorted(component_templates(sources).items()):
        mine = [
            e
            for e in records
            if e.get("template_id") == template_id and not e.get(deploy_record.PENDING_KEY)
        ]
        label = f"UI Component {name} deploy"
        if not mine:
            steps.append(Step(label, WARNING, "not deployed yet", "`invoke deploy --publish`"))
            continue
        last = mine[-1]
        published = last.get("published")
        state = {True: ", published", False: ", not published (preview in IXON Studio)"}.get(
            published, ""
        )
        steps.append(
            Step(
                label,
                DONE,
                f"version {last.get('version')} deployed to template {template_id} at "
                f"{last.get('time')}{state}",
            )
        )
    return steps


def business_days_after(start: datetime, days: int) -> datetime:
    """`start` plus `days` business days (Saturdays and Sundays skipped)."""
    moment, left = start, days
    while left > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            left -= 1
    return moment


def records(root: Path, steps: list[Step]) -> list[dict[str, Any]]:
    """The deploy record; a broken one becomes a blocking step, and each upload left pending
    (a deploy stopped before IXON's answer was recorded) a warning saying what to do."""
    try:
        found = deploy_record.load(root)
    except deploy_record.RecordError as error:
        steps.append(Step("Deploy record", MISSING, str(error), blocking=True))
        return []
    steps += [
        Step("Deploy record", WARNING, deploy_record.pending_refusal(entry))
        for entry in deploy_record.pending_entries(found)
    ]
    return found


def _parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
