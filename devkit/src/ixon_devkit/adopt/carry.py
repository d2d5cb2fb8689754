"""Settings carried from the app into `workspace.json` (and `.env`), and those that are not.

Carried: the Cloud Function's company and template IDs (`IXON_API_COMPANY_ID`,
`IXON_API_TEMPLATE_ID` of the app's `.env`), the UI Components' deploy IDs
(`runner.deploy.company` and `.template` in `cdk.config.json`), and the IXON API names the
app's code calls (`api_access`). Never carried: anything that decides where the IXON token
goes (`IXON_API_BASE_URL`, the runtime's `API_CLIENT_BASE_URL`, proxies, certificate bundles):
an app from elsewhere must not be able to send your token to another host. Each is named,
with its value, under "left to do". The token itself is never copied. Standard library only.
"""

from __future__ import annotations

import json
from pathlib import Path

from ixon_devkit.adopt import review
from ixon_devkit.adopt import source as app
from ixon_devkit.adopt.model import Plan
from ixon_devkit.cloud import api_access
from ixon_devkit.workspace import examples

#: Settings of `.env` that only say which company and template: into workspace.json.
IDS = {"IXON_API_COMPANY_ID": "company_id", "IXON_API_TEMPLATE_ID": "template_id"}
#: Settings that are safe to carry into the workspace's `.env` as they are.
HARMLESS = ("IXON_API_APPLICATION_ID", "IXON_API_VERSION")
TOKEN_VARIABLE = "IXON_API_ACCESS_TOKEN"  # noqa: S105 - a variable's name
#: Settings that decide where requests (and so the token) go.
DESTINATIONS = (
    "IXON_API_BASE_URL",
    "API_CLIENT_BASE_URL",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)


def dotenv(root: Path, result: Plan, folders: list[Path], workspace: dict[str, object]) -> None:
    """Carry the IDs of the app's `.env` files (in `folders`, the first one's value first)
    into `workspace`, name everything else."""
    env: dict[str, str] = {}
    for folder in folders:
        env = {**app.env(result, folder / ".env"), **env}
    for variable in sorted(name for name, value in env.items() if app.has_control(value)):
        result.left.append(
            f"the app's .env sets {variable} to {app.escaped(env.pop(variable))}, with control "
            "characters (escaped here): not carried; set it yourself if it is meant"
        )
    for variable, key in IDS.items():
        value = env.get(variable, "")
        current = str(workspace.get(key) or "")
        if value and not current:
            workspace[key] = value
            result.done.append(f"workspace.json: {key} {value} from the app's .env")
        elif value and current != value:
            result.left.append(f"workspace.json: kept {key} {current}; the app's .env says {value}")
    for variable in sorted(env):
        if variable.upper() in DESTINATIONS:
            result.left.append(
                f"the app's .env sets {variable}={env[variable]}: not carried, as it decides "
                "where your IXON access token goes; set it in .env yourself only if you trust "
                "that address"
            )
    ours = _names(root / ".env")
    carried = [f"{name}={env[name]}" for name in HARMLESS if name in env and name not in ours]
    if carried:
        path = root / ".env"
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        text = (text.rstrip("\n") + "\n" if text else "") + "\n".join(carried) + "\n"
        result.writes[".env"] = text.encode("utf-8")
        result.done.append(".env: " + ", ".join(c.partition("=")[0] for c in carried))
    other = [
        name
        for name in sorted(env)
        if name not in IDS
        and name not in HARMLESS
        and name.upper() not in DESTINATIONS
        and name != TOKEN_VARIABLE
    ]
    if other:
        result.left.append(
            f"the app's .env sets {', '.join(other)}: not carried (the workspace reads only its "
            "own settings from .env); context values belong in context_values.yaml"
        )
    if TOKEN_VARIABLE in env or any((f / ".accesstoken").exists() for f in folders):
        result.left.append(
            "the app's access token was not copied: put yours in .accesstoken (or the CI "
            "secret IXON_API_ACCESS_TOKEN) yourself"
        )


def _names(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return {line.partition("=")[0].strip() for line in lines if "=" in line}


def deploy_ids(result: Plan, config: dict[str, object], workspace: dict[str, object]) -> None:
    """Carry each component's `runner.deploy` (company, template) of `cdk.config.json`."""
    components = config.get("components")
    listed = workspace.get("ui_components")
    listed = dict(listed) if isinstance(listed, dict) else {}
    for name, entry in sorted(components.items() if isinstance(components, dict) else ()):
        runner = entry.get("runner") if isinstance(entry, dict) else None
        deploy = runner.get("deploy") if isinstance(runner, dict) else None
        deploy = deploy if isinstance(deploy, dict) else {}
        settings = dict(listed.get(name) or {}) if isinstance(listed.get(name), dict) else {}
        template = _plain(result, f"{name}'s runner.deploy.template", deploy.get("template"))
        if template and not settings.get("template_id"):
            settings["template_id"] = template
            result.done.append(
                f"workspace.json: UI Component {name} deploys to template {template}"
            )
        elif template and settings.get("template_id") != template:
            result.left.append(
                f"workspace.json: kept {name}'s template {settings['template_id']}; the app's "
                f"cdk.config.json says {template}"
            )
        listed[name] = settings or {"template_id": ""}
        company = _plain(result, f"{name}'s runner.deploy.company", deploy.get("company"))
        if company and not workspace.get("company_id"):
            workspace["company_id"] = company
            result.done.append(f"workspace.json: company_id {company} from cdk.config.json")
        elif company and workspace.get("company_id") != company:
            result.left.append(
                f"workspace.json: kept company_id {workspace['company_id']}; the app's "
                f"cdk.config.json deploys {name} to {company}"
            )
    if listed:
        workspace["ui_components"] = dict(sorted(listed.items()))


def _plain(result: Plan, setting: str, value: object) -> str:
    """`value` as text to carry, or "" (named) when it holds control characters."""
    text = str(value or "")
    if app.has_control(text):
        result.left.append(
            f"the app's cdk.config.json sets {setting} to {app.escaped(text)}, with control "
            "characters (escaped here): not carried"
        )
        return ""
    return text


def api_names(result: Plan, functions: dict[str, bytes], workspace: dict[str, object]) -> None:
    """List in `api_access` the IXON API names the app's code calls (literal names)."""
    used = {
        use.name
        for relative, tree in review.adopted_modules(result, functions)
        for use in api_access.uses_in(tree, relative)
        if use.name
    }
    current = workspace.get(api_access.KEY)
    current = [str(n) for n in current] if isinstance(current, list) else []
    still_called = {
        use.name
        for relative, data in functions.items()
        if not api_access.is_test(Path(relative).name)
        and (tree := review.parsed(data, relative)) is not None
        for use in api_access.uses_in(tree, relative)
    }
    unneeded = [n for n in examples.EXAMPLE_API_NAMES if n in current and n not in still_called]
    if unneeded:  # the examples that called them are gone
        current = [name for name in current if name not in unneeded]
        workspace[api_access.KEY] = current
        result.done.append(
            f"workspace.json: took {', '.join(unneeded)} out of api_access (only the removed "
            "examples called it)"
        )
    new = sorted(used - set(current))
    if not new:
        return
    workspace[api_access.KEY] = current + new
    result.done.append(
        f"workspace.json: api_access lists {', '.join(new)}, the IXON API names the app's code "
        "calls (an app that already runs in IXON Cloud has them granted: check in "
        f"{api_access.STUDIO}, or with `invoke api-access`)"
    )


def dumps(data: object) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
