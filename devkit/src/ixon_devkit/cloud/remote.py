"""The deployed Cloud Function, as IXON's API tells it: what `invoke status`, `invoke call
--remote`, `invoke deploy --smoke`, `invoke logs` and `invoke config pull|push` read and send.

All of it goes through the deploy's client (`ixon_devkit.cloud.ixon_api.Client`): discovery with
IXON's headers, the token only to the origin of `IXON_API_BASE_URL`, deadlines, bounded retries
of what is safe to repeat, one `ApiError` line per failure, the token masked. Every request
names the deploy target's company (`Api-Company`) and its Cloud Function template.

The endpoints, by discovery name, as IXON's OpenAPI description 0.1.294 has them:
`BackendComponentTemplate` (GET `/backend-component-templates/{publicId}`),
`BackendComponentTemplateVersionList` (GET `/backend-component-template-versions`, filtered
with IXON's `filters=eq(template.publicId,"...")`), `BackendComponentTemplateConfigList` (GET,
POST `/backend-component-template-configs`), `BackendComponentTemplateConfig` (GET, PATCH
`values` at `/backend-component-template-configs/{publicId}`), `BackendComponentFunctionCall`
(POST `/backend-component-function-call`) and `BackendComponentTemplateDownloadLogs` (GET
`/backend-component-templates/{publicId}/logs`).

Runs in the workspace's environment (requests).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from ixon_devkit.cloud import ixon_api
from ixon_devkit.errors import UserError
from ixon_devkit.workspace import masking, settings

TEMPLATE = "BackendComponentTemplate"
VERSIONS = "BackendComponentTemplateVersionList"
CONFIGS = "BackendComponentTemplateConfigList"
CONFIG = "BackendComponentTemplateConfig"
FUNCTION_CALL = "BackendComponentFunctionCall"
LOGS = "BackendComponentTemplateDownloadLogs"
#: IXON's query parameter for the next page of a list: the previous answer's `moreAfter`.
PAGE_AFTER = "page-after"
#: Lists longer than this many pages are not read to the end.
MAX_PAGES = 20


class RemoteError(UserError):
    """IXON answered something these commands cannot use; the message says what to do."""


def _warn(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def load_settings(root: Path, target: str = "") -> settings.DeploySettings:
    """The deploy settings of `target` (else the default one), checked; a NOTE on stderr when
    the token would go somewhere that is not IXON's API."""
    loaded = settings.load(root, warn=_warn, target=target)
    destination = settings.foreign_destination(loaded.base_url)
    if destination:
        _warn(destination)
    return loaded


class Remote:
    """The deploy target's Cloud Function at IXON, through one `ixon_api.Client`."""

    def __init__(self, config: settings.DeploySettings, client: ixon_api.Client) -> None:
        self.config = config
        self.client = client

    @property
    def template_id(self) -> str:
        return self.config.template_id.value

    @property
    def company_id(self) -> str:
        return self.config.company_id.value

    def where(self) -> str:
        """The template and company, as lines name them."""
        aimed = f" (target {self.config.target})" if self.config.target else ""
        return f"Cloud Function {self.template_id} of company {self.company_id}{aimed}"

    # -- requests ------------------------------------------------------------------------------

    def document(
        self,
        method: str,
        rel: str,
        *,
        what: str,
        query: dict[str, str] | None = None,
        payload: bytes | None = None,
        check: str = "",
        placeholders: dict[str, str] | None = None,
        retries: int | None = None,
    ) -> dict[str, Any]:
        """One request to the discovery link `rel`: IXON's whole answer document, or one line.
        `what` names the request without an article ("reading of ..."); `retries=0` sends it
        once, whatever IXON answers."""
        url = self.client.link(rel, **(placeholders or {}))
        if query:
            url += ("&" if "?" in url else "?") + urlencode(query, safe=',()*."')
        answer = self.client.request(
            method,
            url,
            body=payload,
            headers={"Content-Type": "application/json"} if payload is not None else None,
            what=what,
            retries=retries,
            **({"check": check} if check else {}),
        )
        if not answer.ok:
            raise ixon_api.ApiError(self.client.explain(answer, f"the {what}"))
        document = self.client.json_of(
            answer, f"the {what}", hint=f"check {self.config.base_url.name}"
        )
        if not isinstance(document, dict) or document.get("status") != "success":
            raise RemoteError(
                masking.mask(
                    f'the {what} answered {answer.status} without "status": "success" '
                    f"({str(document)[:200]}): IXON's API may have changed; try again later",
                    self.config.token.reveal(),
                )
            )
        return document

    def data(self, rel: str, *, what: str, **placeholders: str) -> Any:
        """The `data` of a GET of `rel`."""
        return self.document("GET", rel, what=what, placeholders=placeholders).get("data")

    def items(self, rel: str, *, what: str, query: dict[str, str]) -> list[dict[str, Any]]:
        """Every item of the list `rel`, page after page (`moreAfter`)."""
        found: list[dict[str, Any]] = []
        after = ""
        for _page in range(MAX_PAGES):
            page = dict(query, **({PAGE_AFTER: after} if after else {}))
            document = self.document("GET", rel, what=what, query=page)
            data = document.get("data")
            listed = data if isinstance(data, list) else [data] if data else []
            found += [item for item in listed if isinstance(item, dict)]
            after = str(document.get("moreAfter") or "")
            if not after:
                return found
        raise RemoteError(
            f"the {what}: IXON's list is longer than {MAX_PAGES} pages; not read to the end"
        )

    def send(
        self,
        method: str,
        rel: str,
        payload: bytes,
        *,
        what: str,
        check: str,
        once: bool = False,
        **placeholders: str,
    ) -> Any:
        """Send `payload` (JSON) to `rel`; the answer's `data`. Never sent twice when it may
        have arrived (`check` says how to find out whether it did); with `once`, not even after
        an answer that says IXON did not take it (a function call may have run all the same)."""
        document = self.document(
            method,
            rel,
            what=what,
            payload=payload,
            check=check,
            placeholders=placeholders,
            retries=0 if once else None,
        )
        return document.get("data")

    # -- what the commands read ----------------------------------------------------------------

    def template(self) -> dict[str, Any]:
        """IXON's `BackendComponentTemplate` for the template, as the company sees it."""
        data = self.data(
            TEMPLATE,
            what=f"reading of {TEMPLATE} {self.template_id}",
            publicId=self.template_id,
        )
        if not isinstance(data, dict):
            raise RemoteError(f"IXON answered no {TEMPLATE} for {self.template_id}: {data!r:.200}")
        return data

    def versions(self) -> list[dict[str, Any]]:
        """The template's uploaded versions, by IXON's number (oldest first)."""
        listed = self.items(
            VERSIONS,
            what=f"reading of {VERSIONS}",
            query={"filters": f'eq(template.publicId,"{self.template_id}")'},
        )
        mine = [
            item
            for item in listed
            if (item.get("template") or {}).get("publicId") in (None, self.template_id)
        ]
        return sorted(mine, key=lambda item: _number(item.get("number")))

    def company_config(self) -> dict[str, Any] | None:
        """The company's configuration of the template (None: it has none)."""
        listed = self.items(
            CONFIGS,
            what=f"reading of {CONFIGS}",
            query={"filters": f'eq(template.publicId,"{self.template_id}")'},
        )
        for item in listed:
            template = (item.get("template") or {}).get("publicId")
            company = (item.get("company") or {}).get("publicId")
            if template in (None, self.template_id) and company in (None, self.company_id):
                return item
        return None


def _number(value: Any) -> int:
    text = str(value or "")
    return int(text) if text.isdigit() else 0


@contextmanager
def connected(
    root: Path, target: str = "", *, echo: Callable[[str], None] = _warn, verbose: bool = False
) -> Iterator[Remote]:
    """A Remote for `target` of the workspace at `root`; the client closed afterwards. Every
    UserError leaving the block is masked."""
    config = load_settings(root, target)
    with ixon_api.Client(config, echo=echo, verbose=verbose) as client:
        try:
            yield Remote(config, client)
        except UserError as error:
            masked = masking.mask(str(error), config.token.reveal())
            raise type(error)(masked, exit_code=error.exit_code) from None
