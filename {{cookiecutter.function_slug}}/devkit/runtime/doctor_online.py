"""`invoke doctor --online`: what IXON's API says about this workspace's token.

Asks, with the deploy settings (`devkit.host.settings`): the discovery document; `MyUser` (the
token works, and whose it is); `Company` for the company ID (its name, which proves the user
may see it); and the user's role in that company when the API's answer tells it. Prints one
line per step in `invoke doctor`'s format; a refused token or an unreachable API ends with one
`ERROR:` line. Read-only: only GET requests. The token is sent only in the Authorization header
and masked in every line.

Runs in the workspace's environment (requests): `python -m devkit.runtime.doctor_online`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import requests

from devkit.errors import UserError, main_wrapper
from devkit.host import doctor, settings

ROOT = Path(__file__).resolve().parents[2]
#: Stands in for a template ID that is not set yet: these requests do not use it.
_NO_TEMPLATE = "000000000000"


class OnlineError(UserError):
    """IXON's API could not answer what doctor asked; the message says what to do."""


class Api:
    """Read-only requests to IXON's API by discovery name, the token masked in every message."""

    def __init__(self, config: settings.DeploySettings, session: Any = None) -> None:
        self.config = config
        self.session = session or requests.Session()
        self.session.trust_env = not settings.is_loopback(
            urlsplit(config.base_url.value).hostname or ""
        )
        self.links: dict[str, str] = {}

    def discover(self) -> dict[str, str]:
        """The discovery document's links, by name."""
        url = self.config.base_url.value
        document = self._get(url, "the discovery", authorized=False)
        data = document.get("data") if isinstance(document, dict) else None
        self.links = {
            str(link["rel"]): str(link["href"])
            for link in data or []
            if isinstance(link, dict) and link.get("rel") and link.get("href")
        }
        if not self.links:
            raise OnlineError(
                f"the discovery at {url} lists no links: is {self.config.base_url.name} IXON's "
                f"API v2 (from {self.config.base_url.source})?"
            )
        return self.links

    def get(self, name: str, **placeholders: str) -> Any:
        """The `data` of a GET of the discovery link `name`; None when IXON does not offer it."""
        href = self.links.get(name)
        if href is None:
            return None
        for key, value in placeholders.items():
            href = href.replace("{" + key + "}", quote(value, safe=""))
        url = urljoin(self.config.base_url.value, href)
        document = self._get(url, name, authorized=True)
        return document.get("data") if isinstance(document, dict) else None

    def _get(self, url: str, what: str, *, authorized: bool) -> Any:
        parts = urlsplit(url)
        if parts.scheme != "https" and not (
            parts.scheme == "http" and settings.is_loopback(parts.hostname or "")
        ):
            raise OnlineError(f"{what} is at {url}, not https://: refusing to send the token there")
        headers = {"Api-Version": self.config.api_version.value, "Accept": "application/json"}
        if authorized:
            headers["Api-Application"] = self.config.application_id.value
            headers["Api-Company"] = self.config.company_id.value
            headers["Authorization"] = f"Bearer {self.config.token.reveal()}"
        try:
            answer = self.session.get(
                url,
                headers=headers,
                timeout=(self.config.connect_timeout, self.config.read_timeout),
                allow_redirects=False,
            )
        except requests.Timeout:
            raise OnlineError(
                f"{parts.netloc} did not answer {what} in time: try again later"
            ) from None
        except requests.RequestException as error:
            raise OnlineError(
                self.mask(
                    f"could not reach {parts.netloc} for {what} ({type(error).__name__}): check "
                    f"your network and {self.config.base_url.name} (from "
                    f"{self.config.base_url.source})"
                )
            ) from None
        if answer.status_code >= 300:
            raise OnlineError(self.mask(self._explain(answer, what)))
        try:
            return answer.json()
        except ValueError:
            raise OnlineError(
                f"{what} answered {answer.status_code} with something that is not JSON: check "
                f"{self.config.base_url.name} (from {self.config.base_url.source})"
            ) from None

    def _explain(self, answer: Any, what: str) -> str:
        status = f"{answer.status_code} {answer.reason or ''}".strip()
        messages = _messages(answer)
        company = self.config.company_id.value
        if answer.status_code == 401:
            advice = (
                f"IXON does not accept the access token (from {self.config.token.source}): "
                "it is wrong or has expired; get a new one from the IXON portal"
            )
        elif answer.status_code == 403:
            advice = (
                f"the token's user may not read this in company {company}: deploying needs "
                f"the {doctor.DEPLOYER_ROLE} role there"
            )
        elif answer.status_code == 404:
            advice = f"check {self.config.company_id.name} {company}"
        elif answer.status_code == 429:
            advice = "IXON limits the rate of requests: wait ten minutes and try again"
        elif answer.status_code >= 500:
            advice = "IXON has a problem; try again later"
        else:
            advice = "see the message"
        return f"{what} failed: {status}{messages}: {advice}"

    def mask(self, text: str) -> str:
        """`text` with the token masked."""
        return self.config.token.mask(text)


def _messages(answer: Any) -> str:
    try:
        document = answer.json()
    except ValueError:
        return ""
    items = document.get("data") if isinstance(document, dict) else None
    items = items if isinstance(items, list) else [items]
    parts = [str(i["message"]) for i in items if isinstance(i, dict) and i.get("message")]
    return f" ({'; '.join(parts)[:300]})" if parts else ""


def load_settings(root: Path, environ: Mapping[str, str] | None = None) -> settings.DeploySettings:
    """The deploy settings, with a stand-in template ID when none is set (not used here)."""
    environ = dict(os.environ if environ is None else environ)
    if doctor.read_sources(root, environ).lookup(settings.TEMPLATE_ID) is None:
        environ[settings.TEMPLATE_ID] = _NO_TEMPLATE
    try:
        return settings.load(root, environ, warn=lambda _line: None)
    except UserError as error:  # a setting, or workspace.json itself
        raise OnlineError(f"cannot ask IXON: {error}") from None


def check(api: Api) -> list[doctor.Step]:
    """The online steps: token, company, role."""
    company_id = api.config.company_id.value
    api.discover()
    steps = []
    user = api.get("MyUser")
    if not isinstance(user, dict):
        steps.append(
            doctor.Step(
                "Token (online)",
                doctor.WARNING,
                "IXON's discovery offers no MyUser link: could not ask whose token it is",
            )
        )
        user = {}
    else:
        name = str(user.get("name") or user.get("emailAddress") or "a user without a name")
        steps.append(doctor.Step("Token (online)", doctor.DONE, f"IXON accepts it: user {name}"))
    company = api.get("Company", publicId=company_id)
    company_name = str(company.get("name") or "") if isinstance(company, dict) else ""
    if company is None:
        steps.append(
            doctor.Step(
                "Company (online)",
                doctor.WARNING,
                "IXON's discovery offers no Company link: could not ask the company's name",
            )
        )
    else:
        steps.append(
            doctor.Step(
                "Company (online)",
                doctor.DONE,
                f"{company_id} is {company_name or 'a company without a name'}",
            )
        )
    steps.append(role_step(user, company_id, company_name))
    return steps


def role_step(user: dict, company_id: str, company_name: str) -> doctor.Step:
    """The user's role in the company, when the API's answer about the user tells it."""
    name = "Role (online)"
    roles = []
    for membership in user.get("memberships") or []:
        if not isinstance(membership, dict):
            continue
        company = membership.get("company")
        if isinstance(company, dict) and company.get("publicId") not in (None, company_id):
            continue
        role = membership.get("role")
        role_name = role.get("name") if isinstance(role, dict) else role
        if role_name:
            roles.append(str(role_name))
    where = company_name or company_id
    if not roles:
        return doctor.Step(
            name,
            doctor.WARNING,
            f"IXON's API does not tell your role in {where}; deploying needs the "
            f"{doctor.DEPLOYER_ROLE} role",
            "check it with your company's administrator",
        )
    if doctor.DEPLOYER_ROLE.lower() in (role.lower() for role in roles):
        return doctor.Step(name, doctor.DONE, f"{doctor.DEPLOYER_ROLE} in {where}")
    return doctor.Step(
        name,
        doctor.MISSING,
        f"your role in {where} is {', '.join(roles)}; deploying needs {doctor.DEPLOYER_ROLE}",
        f"ask an administrator of {where} for the {doctor.DEPLOYER_ROLE} role",
        blocking=True,
    )


def run(root: Path, echo: Callable[[str], None] = print) -> int:
    """Ask IXON and print the online steps; 1 when one would stop a deploy.

    A failed request is a step of its own (marked missing), so that `invoke doctor` ends with
    its one verdict line.
    """
    try:
        api = Api(load_settings(root))
    except OnlineError as error:
        steps = [doctor.Step("IXON's API (online)", doctor.MISSING, str(error), blocking=True)]
        api = None
    else:
        try:
            steps = check(api)
        except OnlineError as error:
            steps = [doctor.Step("IXON's API (online)", doctor.MISSING, str(error), blocking=True)]
    for step in steps:
        echo(api.mask(step.line()) if api else step.line())
    return 1 if any(step.blocking for step in steps) else 0


@main_wrapper
def main(argv: list[str] | None = None) -> int:
    """`python -m devkit.runtime.doctor_online`, as `invoke doctor --online` runs it."""
    return run(ROOT, echo=lambda line: print(line, flush=True))


if __name__ == "__main__":
    sys.exit(main())
