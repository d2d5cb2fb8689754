"""`invoke doctor`'s settings steps: the company and template IDs, each UI Component's
page-component-template ID, the access token.

Each is read as `invoke deploy` reads it (`ixon_devkit.doctor.doctor_sources`); the token is never
shown.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from ixon_devkit.cloud import token_file
from ixon_devkit.doctor.doctor_report import DEPLOYER_ROLE, DONE, MISSING, WARNING, Step
from ixon_devkit.doctor.doctor_sources import Sources, ui_components
from ixon_devkit.workspace import ids, masking, settings, workspace_file

TEMPLATE_WAYS = (
    "register the Cloud Function in IXON Studio (Cloud Functions) and copy its ID, or ask "
    "IXON support for one by e-mail (`invoke doctor --email` writes it)"
)
UI_TEMPLATE_WAYS = (
    "create the UI Component in IXON Studio (UI Components) and copy its ID, or ask IXON "
    "support for one by e-mail (`invoke doctor --email` writes it)"
)


def _id_step(
    sources: Sources,
    name: str,
    *,
    variable: str,
    key: str,
    pattern: re.Pattern[str],
    kind: str,
    how: str,
    hint: str,
) -> Step:
    """An ID setting: missing (`how` to get one), malformed (`hint`), or done."""
    setting = sources.lookup(variable)
    where = f'"{key}" in {workspace_file.FILE} (or {variable} in .env or CI)'
    if setting is None:
        return Step(name, MISSING, f"{variable} is not set", how.format(where=where), blocking=True)
    if not pattern.fullmatch(setting.value):
        shown = f"{_quoted(sources, setting)} (from {setting.source})"
        return Step(name, MISSING, f"{shown} is not a {kind}", hint, blocking=True)
    return Step(name, DONE, f"{setting.value} (from {setting.source})")


#: The two IDs a deploy needs: how each is checked and how to get it.
_ID_STEPS: dict[str, dict[str, Any]] = {
    "company": {
        "name": "Company ID",
        "variable": settings.COMPANY_ID,
        "key": "company_id",
        "pattern": ids.COMPANY_ID,
        "kind": "company ID",
        "how": "copy your company's ID from the IXON portal (Settings > Company) into {where}",
        "hint": f"expected {settings.HINTS[settings.COMPANY_ID]}",
    },
    "template": {
        "name": "Cloud Function template ID",
        "variable": settings.TEMPLATE_ID,
        "key": "template_id",
        "pattern": ids.PUBLIC_ID,
        "kind": "template ID",
        "how": f"{TEMPLATE_WAYS}; then put it in {{where}}",
        "hint": f"expected 12 letters or digits: {TEMPLATE_WAYS}",
    },
}


def company_step(sources: Sources) -> Step:
    """The company ID: present and well formed."""
    return _id_step(sources, **_ID_STEPS["company"])


def template_step(sources: Sources) -> Step:
    """The Cloud Function template ID: present and well formed; if not, both ways to get one."""
    return _id_step(sources, **_ID_STEPS["template"])


def ui_only_step() -> Step:
    """A workspace of UI Components alone needs no Cloud Function template ID."""
    return Step(
        _ID_STEPS["template"]["name"],
        DONE,
        "not needed: no Cloud Function (nothing in functions/ is marked "
        "@FunctionContext.expose), the workspace deploys its UI Components alone",
    )


def ui_component_steps(sources: Sources) -> list[Step]:
    """Each UI Component's page-component-template ID (and its manifest)."""
    steps = []
    components = ui_components(sources)
    for name, entry in sorted(components.items()):
        label = f"UI Component {name}"
        template_id = str(entry.get("template_id") or "").strip()
        manifest = sources.root / "components" / name / "manifest.json"
        where = f'"template_id" of ui_components.{name} in {workspace_file.FILE}'
        if not manifest.is_file():
            steps.append(
                Step(
                    label,
                    MISSING,
                    f"components/{name}/manifest.json is missing",
                    "add the component's files, or remove it from ui_components",
                    blocking=True,
                )
            )
        elif not template_id:
            steps.append(
                Step(
                    label,
                    MISSING,
                    "no page-component-template ID",
                    f"{UI_TEMPLATE_WAYS}; then put it in {where}",
                    blocking=True,
                )
            )
        elif not ids.PUBLIC_ID.fullmatch(template_id):
            steps.append(
                Step(
                    label,
                    MISSING,
                    f"{json.dumps(template_id)} is not a page-component-template ID",
                    f"expected 12 letters or digits in {where}",
                    blocking=True,
                )
            )
        else:
            steps.append(Step(label, DONE, f"page-component-template {template_id}"))
    components_folder = sources.root / "components"
    if components_folder.is_dir():
        for manifest in sorted(components_folder.glob("*/manifest.json")):
            if manifest.parent.name not in components:
                steps.append(
                    Step(
                        f"UI Component {manifest.parent.name}",
                        WARNING,
                        f"not listed under ui_components in {workspace_file.FILE}",
                        "list it there with its page-component-template ID",
                    )
                )
    return steps


def token_step(root: Path, environ: Mapping[str, str], now: datetime) -> Step:
    """The access token: present, well formed, not older than 30 days, readable by you only."""
    name = "Access token"
    if (
        not str(environ.get(settings.ACCESS_TOKEN, "")).strip()
        and not (root / settings.TOKEN_FILE).is_file()
    ):
        return Step(
            name,
            MISSING,
            f"{settings.ACCESS_TOKEN} is not set and {settings.TOKEN_FILE} is missing",
            settings.TOKEN_HINT,
            blocking=True,
        )
    try:
        token = settings.load_token(root, environ, warn=lambda _line: None)
    except settings.SettingsError as error:
        return Step(name, MISSING, str(error), blocking=True)
    role = f"deploying needs the {DEPLOYER_ROLE} role (`invoke doctor --online` asks IXON)"
    if token.source != settings.TOKEN_FILE:
        return Step(name, DONE, f"from {token.source}; {role}")
    path = root / settings.TOKEN_FILE
    known = token_file.expiry(root)
    if known is not None:
        return _logged_in_step(name, path, known, now, role)
    problems = []
    age = settings.token_age_days(root, now.timestamp())
    if age is not None and age > settings.TOKEN_MAX_AGE_DAYS:
        problems.append(
            f"{settings.TOKEN_FILE} is {age:.0f} days old (IXON's SDK treats a token older "
            f"than {settings.TOKEN_MAX_AGE_DAYS} days as expired)"
        )
    if os.name != "nt" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        problems.append(f"{settings.TOKEN_FILE} can be read by other users")
    if problems:
        actions = []
        if age is not None and age > settings.TOKEN_MAX_AGE_DAYS:
            actions.append("run `invoke login` to get a new token")
        if "other users" in problems[-1]:
            actions.append(f"run `chmod 600 {settings.TOKEN_FILE}`")
        return Step(name, WARNING, "; ".join(problems), " and ".join(actions))
    days = f"{age:.0f} days old" if age is not None else "age unknown"
    return Step(name, DONE, f"{settings.TOKEN_FILE}, {days}, yours only; {role}")


def _logged_in_step(
    name: str, path: Path, known: token_file.Expiry, now: datetime, role: str
) -> Step:
    """The token `invoke login` wrote: judged by the expiry IXON gave, not the file's age."""
    problems, actions = [], []
    expiring = token_file.expiry_problem(known, now)
    if expiring:
        problems.append(expiring)
        actions.append("run `invoke login` to get a new token")
    if os.name != "nt" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        problems.append(f"{settings.TOKEN_FILE} can be read by other users")
        actions.append(f"run `chmod 600 {settings.TOKEN_FILE}`")
    if now >= known.expires_on:  # IXON said so: a deploy would get a 401
        return Step(name, MISSING, "; ".join(problems), " and ".join(actions), blocking=True)
    if problems:
        return Step(name, WARNING, "; ".join(problems), " and ".join(actions))
    return Step(
        name,
        DONE,
        f"{settings.TOKEN_FILE} of {known.user}, valid until {known.shown()}, yours only; {role}",
    )


def _quoted(sources: Sources, setting: settings.Setting) -> str:
    """A setting's value for a message, masked when it holds the access token by mistake."""
    text = f"{setting.name} {json.dumps(setting.value)}"
    token = settings.find_token(sources.root, sources.environ)
    return masking.mask(text, token.reveal()) if token else text
