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

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from devkit.errors import UserError, main_wrapper
from devkit.host import doctor, settings
from devkit.runtime import ixon_api

ROOT = Path(__file__).resolve().parents[2]
#: Stands in for a template ID that is not set yet: these requests do not use it.
_NO_TEMPLATE = "000000000000"


class OnlineError(UserError):
    """IXON's API could not answer what doctor asked; the message says what to do."""


class Api:
    """Read-only requests to IXON's API by discovery name, through the deploy's client
    (`devkit.runtime.ixon_api.Client`): the token only to the API's origin, total deadlines,
    no redirects, masked in every message."""

    def __init__(self, config: settings.DeploySettings, client: Any = None) -> None:
        self.config = config
        self.client = client or ixon_api.Client(config, echo=lambda _line: None)

    def discover(self) -> dict[str, str]:
        """The discovery document's links, by name."""
        links = self._asking(self.client.discovery)
        if not links:
            raise OnlineError(
                f"the discovery at {self.config.base_url.value} lists no links: is "
                f"{self.config.base_url.name} IXON's API v2 (from {self.config.base_url.source})?"
            )
        return links

    def get(self, name: str, **placeholders: str) -> Any:
        """The `data` of a GET of the discovery link `name`; None when IXON does not offer it."""
        if name not in self.discover():
            return None
        url = self._asking(lambda: self.client.link(name, **placeholders))
        document = self._asking(lambda: self.client.get_json(url, what=name))
        return document.get("data") if isinstance(document, dict) else None

    def _asking(self, request: Callable[[], Any]) -> Any:
        try:
            return request()
        except ixon_api.ApiError as error:
            raise OnlineError(self.mask(str(error))) from None

    def mask(self, text: str) -> str:
        """`text` with the token masked."""
        return self.client.mask(text)


def load_settings(
    root: Path, environ: Mapping[str, str] | None = None, target: str = ""
) -> settings.DeploySettings:
    """The deploy settings (of deploy target `target`, else the default one), with a stand-in
    template ID when none is set (not used here)."""
    environ = dict(os.environ if environ is None else environ)
    if doctor.read_sources(root, environ, target).lookup(settings.TEMPLATE_ID) is None:
        environ[settings.TEMPLATE_ID] = _NO_TEMPLATE
    try:
        loaded = settings.load(root, environ, warn=lambda _line: None, target=target)
    except UserError as error:  # a setting, or workspace.json itself
        raise OnlineError(f"cannot ask IXON: {error}") from None
    destination = settings.foreign_destination(loaded.base_url)
    if destination:
        print(destination, file=sys.stderr)
    return loaded


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


def run(root: Path, echo: Callable[[str], None] = print, target: str = "") -> int:
    """Ask IXON and print the online steps; 1 when one would stop a deploy.

    A failed request is a step of its own (marked missing), so that `invoke doctor` ends with
    its one verdict line.
    """
    try:
        api = Api(load_settings(root, target=target))
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
    """`python -m devkit.runtime.doctor_online [--target NAME]`, as `invoke doctor --online`
    runs it."""
    parser = argparse.ArgumentParser(prog="invoke doctor --online")
    parser.add_argument("--target", default="")
    target = parser.parse_args(argv).target
    return run(ROOT, echo=lambda line: print(line, flush=True), target=target)


if __name__ == "__main__":
    sys.exit(main())
