"""`invoke doctor --online`: what IXON's API says about this workspace's token.

Asks, with the deploy settings (`ixon_devkit.workspace.settings`), by IXON's documented endpoints
(IXON's
OpenAPI description 0.1.294; `ixon_devkit.cloud.ixon_roles` has the facts and their sources):

- the discovery document (with IXON's headers and the token, as IXON's upload script asks it);
- `MyUser` (`fields=publicId,name`): the token works, and whose it is;
- `MyCompany` (`fields=publicId,name`): the company of `IXON_API_COMPANY_ID`, by name;
- `UserMembershipList`, `GroupList` and `RoleList`: the user's company-wide membership (the one
  whose group has `isCompanyGroup: true`) and its role's name, held against the role IXON's
  process asks for (Platform administrator for a Cloud Function) and, when the workspace has UI
  Components, the permission they need (Develop apps, which no documented field tells: doctor
  says it cannot tell);
- with a template ID, the deployed Cloud Function as `invoke status` reads it
  (`ixon_devkit.cloud.status.doctor_steps`): IXON's number of `VERSION`, the company's
  configuration, the API access IXON has not granted.

Prints one line per step in `invoke doctor`'s format; a refused token or an unreachable API ends
with one `ERROR:` line. Read-only: only GET requests. The token is sent only in the
Authorization header and masked in every line.

Runs in the workspace's environment (requests): `python -m ixon_devkit.doctor.doctor_online`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from ixon_devkit.cloud import ixon_api, ixon_roles, remote, status
from ixon_devkit.doctor import doctor
from ixon_devkit.errors import UserError, main_wrapper
from ixon_devkit.ui import components
from ixon_devkit.workspace import masking, root, settings

ROOT = root.find()
#: Stands in for a template ID that is not set yet: these requests do not use it.
_NO_TEMPLATE = "000000000000"
#: IXON's query parameter for the next page of a list: the previous answer's `moreAfter`.
PAGE_AFTER = "page-after"
#: Lists longer than this many pages are not read to the end (doctor then cannot tell).
MAX_PAGES = 20


class OnlineError(UserError):
    """IXON's API could not answer what doctor asked; the message says what to do."""


class Api:
    """Read-only requests to IXON's API by discovery name, through the deploy's client
    (`ixon_devkit.cloud.ixon_api.Client`): the token only to the API's origin, total deadlines,
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

    def get(self, name: str, fields: str = "", **placeholders: str) -> Any:
        """The `data` of a GET of the discovery link `name` (with IXON's `fields` selection);
        None when IXON does not offer the link."""
        document = self._document(name, fields, "", placeholders)
        return document.get("data") if isinstance(document, dict) else None

    def get_all(self, name: str, fields: str = "") -> list[Any] | None:
        """Every item of the list `name`, page after page (`moreAfter`); None when IXON does not
        offer the link or the list is longer than MAX_PAGES pages."""
        items: list[Any] = []
        after = ""
        for _page in range(MAX_PAGES):
            document = self._document(name, fields, after, {})
            if not isinstance(document, dict):
                return None
            data = document.get("data")
            items.extend(data if isinstance(data, list) else [data] if data else [])
            after = document.get("moreAfter") or ""
            if not after:
                return items
        return None

    def _document(self, name: str, fields: str, after: str, placeholders: dict[str, str]) -> Any:
        if name not in self.discover():
            return None
        url = self._asking(lambda: self.client.link(name, **placeholders))
        return self._asking(lambda: self.client.get_json(_with(url, fields, after), what=name))

    def _asking(self, request: Callable[[], Any]) -> Any:
        try:
            return request()
        except ixon_api.ApiError as error:
            raise OnlineError(masking.mask(str(error), self.config.token.reveal())) from None


def _with(url: str, fields: str, after: str) -> str:
    query = {key: value for key, value in (("fields", fields), (PAGE_AFTER, after)) if value}
    if not query:
        return url
    return url + ("&" if "?" in url else "?") + urlencode(query, safe=",()*.")


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


def check(api: Api, root: Path | None = None) -> list[doctor.Step]:
    """The online steps: token, company, role (and UI Components' permission)."""
    company_id = api.config.company_id.value
    api.discover()
    steps = []
    user = api.get("MyUser", fields="publicId,name")
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
        name = str(user.get("name") or "a user without a name")
        steps.append(doctor.Step("Token (online)", doctor.DONE, f"IXON accepts it: user {name}"))
    company = api.get("MyCompany", fields="publicId,name")
    company_name = str(company.get("name") or "") if isinstance(company, dict) else ""
    if company is None:
        steps.append(
            doctor.Step(
                "Company (online)",
                doctor.WARNING,
                "IXON's discovery offers no MyCompany link: could not ask the company's name",
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
    if root is not None and api.config.template_id.value != _NO_TEMPLATE:
        # The deployed function, read as `invoke status` reads it.
        steps += status.doctor_steps(remote.Remote(api.config, api.client), root)
    where = company_name or company_id
    role, unknown = company_role(api, str(user.get("publicId") or ""))
    steps.append(role_step(role, unknown, where))
    if root is not None and components.has_components(root):
        steps.append(ui_step(role, where))
    return steps


def company_role(api: Api, user_id: str) -> tuple[str | None, str]:
    """The name of the user's role in the company-wide membership, or (None, why not)."""
    lists = {}
    for name, fields in (
        ("UserMembershipList", "publicId,user.publicId,group.publicId,role.publicId"),
        ("GroupList", "publicId,name,isCompanyGroup"),
        ("RoleList", "publicId,name"),
    ):
        try:
            items = api.get_all(name, fields)
        except OnlineError as error:
            return None, f"IXON did not answer {name} ({error})"
        if items is None:
            return None, f"IXON's discovery offers no {name} link, or its list is too long"
        lists[name] = [item for item in items if isinstance(item, dict)]
    company_groups = {
        group.get("publicId") for group in lists["GroupList"] if group.get("isCompanyGroup") is True
    }
    role_names = {role.get("publicId"): role.get("name") for role in lists["RoleList"]}
    for membership in lists["UserMembershipList"]:
        member = membership.get("user") if isinstance(membership.get("user"), dict) else {}
        group = membership.get("group") if isinstance(membership.get("group"), dict) else {}
        role = membership.get("role") if isinstance(membership.get("role"), dict) else {}
        if member.get("publicId") != user_id or group.get("publicId") not in company_groups:
            continue
        name = role.get("name") or role_names.get(role.get("publicId"))
        if name:
            return str(name), ""
        return None, "your company-wide membership has a role IXON's RoleList does not name"
    return None, "IXON lists no company-wide membership (group with isCompanyGroup) of yours"


def role_step(role: str | None, unknown: str, where: str) -> doctor.Step:
    """The user's role in the company, held against the role IXON's process asks for."""
    name = "Role (online)"
    if role is None:
        return doctor.Step(
            name,
            doctor.WARNING,
            f"cannot tell your role in {where}: {unknown}; {ixon_roles.function_need()}",
            "check it with your company's administrator",
        )
    if role.lower() == ixon_roles.FUNCTION_ROLE.lower():
        return doctor.Step(
            name,
            doctor.DONE,
            f"your role in {where} is {role}, the role {ixon_roles.FUNCTION_SOURCE} asks for "
            "to deploy a Cloud Function",
        )
    return doctor.Step(
        name,
        doctor.WARNING,
        f"your role in {where} is {role}; {ixon_roles.function_need()} (roles are defined per "
        f"company: doctor cannot tell whether {role} may deploy too)",
        f"ask an administrator of {where} for the {ixon_roles.FUNCTION_ROLE} role",
    )


def ui_step(role: str | None, where: str) -> doctor.Step:
    """UI Components need a permission that no documented field of IXON's API names."""
    held = f"whether your role {role} has it" if role else "whether your role has it"
    return doctor.Step(
        "UI Components (online)",
        doctor.WARNING,
        f"{ixon_roles.ui_need()}; IXON's API documentation does not name that permission, so "
        f"doctor cannot tell {held} in {where}",
        f'check the role in the IXON portal (its "{ixon_roles.UI_PERMISSION}" permission)',
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
            steps = check(api, root)
        except OnlineError as error:
            steps = [doctor.Step("IXON's API (online)", doctor.MISSING, str(error), blocking=True)]
    secret = api.config.token.reveal() if api else ""
    for step in steps:
        echo(masking.mask(step.line(), secret))
    return 1 if any(step.blocking for step in steps) else 0


@main_wrapper
def main(argv: list[str] | None = None) -> int:
    """`python -m ixon_devkit.doctor.doctor_online [--target NAME]`, as `invoke doctor --online`
    runs it."""
    parser = argparse.ArgumentParser(prog="invoke doctor --online")
    parser.add_argument("--target", default="")
    target = parser.parse_args(argv).target
    return run(ROOT, echo=lambda line: print(line, flush=True), target=target)


if __name__ == "__main__":
    sys.exit(main())
