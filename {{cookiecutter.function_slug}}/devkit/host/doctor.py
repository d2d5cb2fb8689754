"""`invoke doctor`: where this workspace stands in IXON's process, one step per line.

IXON's "Getting started" is a process, not a command: develop and test locally; get a Cloud
Function template (register it in IXON Studio, or ask IXON support by e-mail); have the API
endpoints the function uses authorised; deploy with the company ID and the template ID, as a
user with the Platform administrator role; raise the version for every deploy; then enable,
share and watch the app in the IXON portal. `check` walks those steps for the workspace at
`root` in that order and marks each done, missing or warning, with the one next action for
what is not done. A step marked `blocking` would stop a deploy.

Everything here is read from the workspace (offline); `invoke doctor --online` adds what IXON's
API says about the token (`devkit.runtime.doctor_online`). The access token is never shown.
`email_requests` writes the e-mails to IXON support that the process may need.
Standard library only, Python 3.9+.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from devkit.errors import UserError
from devkit.host import (
    deploy_record,
    environment,
    files,
    git,
    ids,
    ixon_roles,
    settings,
    versioning,
    walk,
    workspace_file,
)

DONE = "done"
MISSING = "missing"
WARNING = "warning"

#: Where `invoke test` records its last result (the folder is ignored by git).
LAST_TEST = Path(".devkit") / "last-test.json"
#: IXON prepares a company for Cloud Functions within this many business days.
PROVISIONING_BUSINESS_DAYS = 2

TEMPLATE_WAYS = (
    "register the Cloud Function in IXON Studio (Cloud Functions) and copy its ID, or ask "
    "IXON support for one by e-mail (`invoke doctor --email` writes it)"
)
UI_TEMPLATE_WAYS = (
    "create the UI Component in IXON Studio (UI Components) and copy its ID, or ask IXON "
    "support for one by e-mail (`invoke doctor --email` writes it)"
)
PORTAL_STEPS = (
    "enable the app for the company in the IXON portal: Admin > Apps",
    "share it with other companies there: Admin > Apps, the app, share",
    "download its logs there: Admin > Apps, the app, More options > Download logs (the last "
    "48 hours, about five minutes behind; only the Cloud Function's owner company can)",
)
DEPLOYER_ROLE = ixon_roles.FUNCTION_ROLE
_SKIPPED = {"__pycache__", "node_modules"}
#: `--online` needs these steps done.
ONLINE_NEEDS = {"Settings", "Company ID", "Access token"}

_API_CALL = re.compile(
    r"\bapi_client\s*\.\s*(?:get|post|patch|put|delete)\s*\(\s*(?:rel\s*=\s*)?"
    r"[\"']([A-Za-z][A-Za-z0-9]*)[\"']"
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


# -- reading the workspace ---------------------------------------------------------------------


@dataclass(frozen=True)
class Sources:
    """The workspace's settings as each tool reads them: environment, .env, workspace.json."""

    root: Path
    environ: Mapping[str, str]
    dotenv: dict[str, str]
    workspace: dict[str, object]
    problems: list[Step]

    def lookup(self, name: str) -> settings.Setting | None:
        """The value of setting `name` and where it came from, as `invoke deploy` reads it."""
        if str(self.environ.get(name, "")).strip():
            return settings.Setting(name, self.environ[name].strip(), "environment")
        if self.dotenv.get(name, "").strip():
            return settings.Setting(name, self.dotenv[name].strip(), settings.DOTENV_FILE)
        key = {settings.COMPANY_ID: "company_id", settings.TEMPLATE_ID: "template_id"}.get(name)
        value = str(self.workspace.get(key) or "").strip() if key else ""
        if value:
            return settings.Setting(name, value, f"{workspace_file.FILE} {key}")
        return None


def read_sources(root: Path, environ: Mapping[str, str] | None = None) -> Sources:
    """The settings of the workspace at `root`; a broken file becomes a blocking step."""
    problems: list[Step] = []
    try:
        dotenv = settings.read_dotenv(root / settings.DOTENV_FILE)
    except settings.SettingsError as error:
        dotenv = {}
        problems.append(Step("Settings", MISSING, str(error), "fix .env", blocking=True))
    try:
        workspace = workspace_file.read(root)
    except workspace_file.WorkspaceFileError as error:
        workspace = {}
        problems.append(Step("Settings", MISSING, str(error), "fix it", blocking=True))
    return Sources(root, os.environ if environ is None else environ, dotenv, workspace, problems)


def ui_components(sources: Sources) -> dict[str, dict[str, object]]:
    """The UI Components of `workspace.json` (`"ui_components": {name: {"template_id"}}`)."""
    listed = sources.workspace.get("ui_components")
    if not isinstance(listed, dict):
        return {}
    return {str(name): (entry if isinstance(entry, dict) else {}) for name, entry in listed.items()}


def api_names_used(root: Path) -> list[str]:
    """The IXON API discovery names the function's code calls through `context.api_client`.

    Uses `devkit.host.api_access` when the workspace has it, else a search for literal names in
    calls of the API client's methods (`api_client.get("AgentList")`).
    """
    try:
        from devkit.host import api_access  # noqa: PLC0415 - present in newer workspaces only
    except ImportError:
        api_access = None
    finder = getattr(api_access, "used_names", None)
    if callable(finder):
        return sorted(set(finder(root)))
    names: set[str] = set()
    for path in walk.files(root / "functions", _SKIPPED) if (root / "functions").is_dir() else []:
        if path.suffix != ".py":
            continue
        try:
            names.update(_API_CALL.findall(path.read_text(encoding="utf-8", errors="replace")))
        except OSError:
            continue
    return sorted(names)


def api_names_granted(sources: Sources) -> list[str] | None:
    """The discovery names `workspace.json` lists under `api_access` (None without the key)."""
    granted = sources.workspace.get("api_access")
    if granted is None:
        return None
    if isinstance(granted, list):
        return sorted({str(name) for name in granted})
    return []


# -- the steps ---------------------------------------------------------------------------------


def check(
    root: Path,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> Report:
    """Walk IXON's process for the workspace at `root`."""
    root = root.resolve()
    now = now or datetime.now(timezone.utc)
    sources = read_sources(root, environ)
    steps: list[Step] = list(sources.problems)
    steps.append(python_step(root))
    if (root / "package.json").is_file():
        steps.append(node_step(root))
    steps.append(tests_step(root))
    company = company_step(sources)
    steps.append(company)
    template = template_step(sources)
    steps.append(template)
    steps += ui_component_steps(sources)
    steps.append(api_access_step(sources))
    steps.append(token_step(root, sources.environ, now))
    records = _records(root, steps)
    steps.append(version_step(root, sources, records))
    steps.append(deploy_step(sources, records, now))
    return Report(steps=steps, deployed=bool(records))


def python_step(root: Path) -> Step:
    """The workspace's Python environment: ready, or how to make it."""
    name = "Python environment"
    try:
        version = environment.workspace_python_version(root)
    except environment.SetupError as error:
        return Step(name, MISSING, str(error), "fix workspace.json", blocking=True)
    env = environment.environment_for(root)
    if environment.is_ready(env, version):
        return Step(name, DONE, f"Python {version} environment ready at {_shown(root, env.path)}")
    # Finding a Python is `invoke setup`'s job (and slow): it says how to get one when none is.
    state = "not set up yet" if not env.python.exists() else "out of date with requirements*.txt"
    return Step(
        name,
        WARNING,
        f"{_shown(root, env.path)} is {state}",
        f"run `invoke setup` (every task also does it when needed; it finds Python {version} "
        "or says how to get it)",
    )


def node_step(root: Path) -> Step:
    """Node and npm, needed by the UI Components (only when `package.json` exists)."""
    name = "Node for the UI Components"
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        missing = " and ".join(tool for tool, path in (("node", node), ("npm", npm)) if not path)
        return Step(
            name,
            MISSING,
            f"{missing} not found on PATH (package.json needs them)",
            "install Node 20 or newer with npm, then `invoke setup`",
            blocking=True,
        )
    version = _output([node, "--version"]) or "unknown version"
    if not (root / "node_modules").is_dir():
        return Step(
            name, WARNING, f"node {version} found, node_modules missing", "run `invoke setup`"
        )
    return Step(name, DONE, f"node {version}, node_modules installed")


def tests_step(root: Path) -> Step:
    """The tests at their last run (`invoke test` records it)."""
    name = "Tests"
    path = root / LAST_TEST
    try:
        last = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Step(name, WARNING, "no run recorded yet", "run `invoke test`")
    if not isinstance(last, dict):
        return Step(name, WARNING, f"{LAST_TEST.as_posix()} is unreadable", "run `invoke test`")
    when = str(last.get("time") or "an unknown time")
    selection = str(last.get("selection") or "")
    if last.get("exit_code") != 0:
        return Step(
            name,
            MISSING,
            f"failed at the last run ({when}); `invoke deploy` runs them and stops on a failure",
            "fix them and run `invoke test`",
            blocking=True,
        )
    if selection:
        return Step(
            name,
            WARNING,
            f"only the tests matching -k {selection} ran last ({when}), and passed",
            "run `invoke test` for all of them",
        )
    changed = _changed_since(root, last.get("timestamp"))
    if changed:
        return Step(
            name,
            WARNING,
            f"passed at the last run ({when}), but {changed} changed since",
            "run `invoke test`",
        )
    return Step(name, DONE, f"passed at the last run ({when})")


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


def api_access_step(sources: Sources) -> Step:
    """The IXON API names the code uses against those granted in `workspace.json`."""
    name = "API access"
    used = api_names_used(sources.root)
    granted = api_names_granted(sources)
    if not used:
        listed = f" ({len(granted)} listed in api_access)" if granted else ""
        return Step(name, DONE, f"the code calls no IXON API endpoint{listed}")
    missing = [used_name for used_name in used if used_name not in (granted or [])]
    if missing:
        return Step(
            name,
            MISSING,
            f"the code calls {', '.join(used)}; not in api_access: {', '.join(missing)}",
            "have them authorised in IXON Studio (Cloud Functions, the function, API Access) "
            'or by IXON support (`invoke doctor --email`), then add them to "api_access" in '
            f"{workspace_file.FILE}",
            blocking=True,
        )
    unused = [granted_name for granted_name in granted or [] if granted_name not in used]
    extra = f"; listed but unused: {', '.join(unused)}" if unused else ""
    return Step(name, DONE, f"the code calls {', '.join(used)}, all in api_access{extra}")


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
            actions.append("get a new token from the IXON portal into .accesstoken")
        if "other users" in problems[-1]:
            actions.append(f"run `chmod 600 {settings.TOKEN_FILE}`")
        return Step(name, WARNING, "; ".join(problems), " and ".join(actions))
    days = f"{age:.0f} days old" if age is not None else "age unknown"
    return Step(name, DONE, f"{settings.TOKEN_FILE}, {days}, yours only; {role}")


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
    last = records[-1] if records else None
    last_text = (
        f"; last deploy {last.get('version')} at {last.get('time')}" if last else "; never deployed"
    )
    same = [
        entry
        for entry in records
        if entry.get("version") == version and entry.get("template_id") == template_id
    ]
    if same:
        return Step(
            name,
            MISSING,
            f"{version} was already deployed to template {template_id} at "
            f"{same[-1].get('time')}; IXON requires a new version for every deploy",
            "run `invoke bump patch` (or minor, major)",
            blocking=True,
        )
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
    if not records:
        return Step(name, DONE, f"{version}{tag}, never deployed")
    return Step(name, DONE, f"{version}{tag}, not yet deployed to this template{last_text}")


def deploy_step(sources: Sources, records: list[dict], now: datetime) -> Step:
    """The last deploy to this company, and provisioning after a company's first upload."""
    name = "Deploy and provisioning"
    company = sources.lookup(settings.COMPANY_ID)
    company_id = company.value if company else None
    mine = [entry for entry in records if entry.get("company_id") == company_id]
    if not mine:
        return Step(
            name,
            MISSING,
            "nothing deployed to this company yet",
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
        f"{last.get('version')} deployed to template {last.get('template_id')} at "
        f"{last.get('time')}{provisioned}",
    )


def business_days_after(start: datetime, days: int) -> datetime:
    """`start` plus `days` business days (Saturdays and Sundays skipped)."""
    moment, left = start, days
    while left > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            left -= 1
    return moment


# -- the e-mails -------------------------------------------------------------------------------


def email_requests(root: Path, environ: Mapping[str, str] | None = None) -> str:
    """The e-mail to IXON support requesting a Cloud Function template, filled in from the
    workspace; and, when the code calls IXON API endpoints, the one asking to authorise them."""
    root = root.resolve()
    sources = read_sources(root, environ)
    function_name = str(sources.workspace.get("function_name") or "") or "[the function's name]"
    company = sources.lookup(settings.COMPANY_ID)
    company_id = (
        company.value
        if company and ids.COMPANY_ID.fullmatch(company.value)
        else "[company ID: IXON portal, Settings > Company]"
    )
    company_name = str(sources.workspace.get("company_name") or "") or (
        "[company name: `invoke doctor --online` shows it]"
    )
    template = sources.lookup(settings.TEMPLATE_ID)
    template_id = template.value if template else ""
    lines = []
    if not template_id:
        lines += [
            f"Subject: Cloud Function template for {function_name}",
            "",
            "Hello IXON support,",
            "",
            "Please create a Cloud Function template for our company, so that we can deploy our",
            "Cloud Function with IXON's API.",
            "",
            f"- Company name: {company_name}",
            f"- Company ID: {company_id}",
            f"- Cloud Function name: {function_name}",
            *_component_lines(sources),
            "",
            "Please send us the Cloud Function's template ID"
            + (
                " and the page-component-template ID of each new UI Component."
                if _new_components(sources)
                else "."
            ),
            "",
            "Kind regards,",
            "[your name]",
        ]
    elif _new_components(sources):
        lines += [
            f"Subject: UI Component templates for {function_name}",
            "",
            "Hello IXON support,",
            "",
            "Please create page-component templates for the new UI Components of our Cloud",
            "Function, so that we can deploy them with IXON's API.",
            "",
            f"- Company name: {company_name}",
            f"- Company ID: {company_id}",
            f"- Cloud Function name: {function_name}",
            f"- Cloud Function template ID: {template_id}",
            *_component_lines(sources),
            "",
            "Please send us the page-component-template ID of each new UI Component.",
            "",
            "Kind regards,",
            "[your name]",
        ]
    used = api_names_used(root)
    if used:
        if lines:
            lines += ["", "-" * 72, ""]
        lines += [
            f"Subject: API access for the Cloud Function {function_name}",
            "",
            "Hello IXON support,",
            "",
            "Our Cloud Function calls these IXON API endpoints (discovery names); please",
            "authorise them for it:",
            "",
            *[f"- {used_name}" for used_name in used],
            "",
            f"- Company name: {company_name}",
            f"- Company ID: {company_id}",
            f"- Cloud Function name: {function_name}",
            f"- Cloud Function template ID: {template_id or '[the template ID, once we have it]'}",
            "",
            "Kind regards,",
            "[your name]",
        ]
    if not lines:
        lines = [
            f"Nothing to ask IXON: the Cloud Function has its template ID ({template_id}), "
            "every UI Component has one, and the code calls no IXON API endpoint."
        ]
    return "\n".join(lines)


def _component_lines(sources: Sources) -> list[str]:
    components = ui_components(sources)
    if not components:
        return [
            "- UI Components to link: [the name of each, whether it is used on a main page, "
            "and its page-component-template ID if it has one]"
        ]
    lines = ["- UI Components to link:"]
    for name, entry in sorted(components.items()):
        main_page = entry.get("main_page")
        used_on = (
            "[used on a main page: yes or no]"
            if not isinstance(main_page, bool)
            else ("used on a main page" if main_page else "not used on a main page")
        )
        template_id = str(entry.get("template_id") or "")
        known = (
            f"page-component-template {template_id}"
            if template_id
            else "new: please create its page-component-template"
        )
        lines.append(f"  - {name}: {used_on}; {known}")
    return lines


def _new_components(sources: Sources) -> bool:
    components = ui_components(sources)
    return any(not str(entry.get("template_id") or "") for entry in components.values())


# -- helpers -----------------------------------------------------------------------------------


def _records(root: Path, steps: list[Step]) -> list[dict]:
    try:
        return deploy_record.load(root)
    except deploy_record.RecordError as error:
        steps.append(Step("Deploy record", MISSING, str(error), blocking=True))
        return []


def _quoted(sources: Sources, setting: settings.Setting) -> str:
    """A setting's value for a message, masked when it holds the access token by mistake."""
    text = f"{setting.name} {json.dumps(setting.value)}"
    token = settings.find_token(sources.root, sources.environ)
    return token.mask(text) if token else text


def _shown(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _output(command: list[str]) -> str | None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def _parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _changed_since(root: Path, timestamp: object) -> str:
    """A file of the function or its tests changed after `timestamp` (seconds), or ""."""
    if not isinstance(timestamp, (int, float)):
        return ""
    for folder in ("functions", "tests"):
        if not (root / folder).is_dir():
            continue
        for path in walk.files(root / folder, _SKIPPED):
            if path.suffix == ".py" and path.stat().st_mtime > timestamp:
                return _shown(root, path)
    return ""


def record_test_run(root: Path, exit_code: int, selection: str = "") -> None:
    """Remember the result of `invoke test` for `invoke doctor` (in `.devkit/`, ignored by git)."""
    path = root / LAST_TEST
    path.parent.mkdir(exist_ok=True)
    moment = time.time()
    record = {
        "exit_code": exit_code,
        "selection": selection,
        "timestamp": moment,
        "time": datetime.fromtimestamp(moment, timezone.utc)
        .replace(microsecond=0)
        .isoformat()
        .replace("+00:00", "Z"),
    }
    files.write_atomic(path, json.dumps(record, indent=2) + "\n")
