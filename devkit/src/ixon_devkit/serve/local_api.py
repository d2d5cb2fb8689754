"""The IXON API as functions see it when they run here: in `invoke serve`, `invoke call` and tests.

IXON Cloud puts the caller's access in the body of every call (`context.accessToken.headerValue`
= "Bearer <token>", `context.apiApplication.publicId`), and ixoncdkingress builds the function's
`context.api_client` from it, aimed at its `API_CLIENT_BASE_URL`. Here:

- `LocalApi.add_access` gives a call that carries no access of its own the developer's token
  (`IXON_API_ACCESS_TOKEN`, else `.accesstoken`; in tests the stand-in's) and the API
  application, exactly where IXON Cloud puts them; a call that carries its own keeps it;
- `WorkspaceApiClient` is ixoncdkingress's `ApiClient` with what IXON Cloud does around it: a
  discovery name that `workspace.json` does not list in `"api_access"` is refused with IXON's
  error body and one line naming it; without a token a call is not sent, with one line saying
  how to provide one; every name called is recorded for `invoke api-access`; its repr never
  shows the token;
- `LocalApi.installed()` makes ixoncdkingress build that client while the block runs.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ixoncdkingress.function.api_client import ApiClient

from ixon_devkit.cloud import api_access
from ixon_devkit.serve import ingress
from ixon_devkit.workspace import settings

#: What ixoncdkingress itself fetches in development mode when the configuration values hold
#: `apiApplication` (`parse_json_input`): the caller's resources with that application's custom
#: properties, asked with this query. The runtime's lookups, not the app's code: never refused
#: by, nor counted against, "api_access".
RUNTIME_LOOKUPS = ("MyUser", "MyCompany", "Agent", "Asset")
RUNTIME_LOOKUP_QUERY = {"fields": "custom,name"}


class UnknownApiNameError(KeyError):
    """A discovery name the API's discovery document does not have."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def error_answer(message: str) -> dict[str, Any]:
    """IXON's error body, as `api_client` returns it to the function."""
    return {
        "type": "Error",
        "status": "error",
        "data": [{"message": message, "propertyName": None}],
        "moreAfter": None,
    }


@dataclass
class LocalApi:
    """Where the functions' API calls go, with which access, under which rules.

    `token` returns the access token (SettingsError when there is none); `allowed` is the
    API access list (None: any name); `where` names the run (`serve`, `call`, `tests`) in the
    record of names seen, kept under `root` (None: not recorded); `report` receives each
    refused call's one line.
    """

    base_url: str
    application_id: str
    token: Callable[[], settings.Token]
    allowed: frozenset[str] | None
    where: str
    root: Path | None
    report: Callable[[str], None]
    hint: str = settings.TOKEN_HINT
    _last_token: settings.Token | None = field(default=None, repr=False)

    # -- the calling context -------------------------------------------------------------------

    def current_token(self) -> settings.Token | None:
        """The token now (it may have been added or replaced since the start), or None."""
        try:
            self._last_token = self.token()
        except settings.SettingsError:
            return None
        return self._last_token

    def add_access(self, context: dict[str, Any]) -> dict[str, Any]:
        """`context` with the developer's access where the call carries none of its own."""
        context = dict(context)
        carried = context.get("accessToken")
        if not (isinstance(carried, dict) and carried.get("headerValue")):
            token = self.current_token()
            if token is not None:
                context["accessToken"] = {"headerValue": f"Bearer {token.reveal()}"}
        if not context.get("apiApplication"):
            context["apiApplication"] = {
                "publicId": self.application_id,
                "name": self.application_id,
                "custom": {},
            }
        return context

    def add_access_to_body(self, body: bytes) -> bytes:
        """A JSON call's body with `add_access` applied to its context (other bodies as is)."""
        try:
            parsed = json.loads(body)
        except ValueError:
            return body
        if not isinstance(parsed, dict):
            return body
        context = parsed.get("context")
        if context is None:
            context = {}
        if not isinstance(context, dict):
            return body  # ixoncdkingress answers it as it does in IXON Cloud
        parsed["context"] = self.add_access(context)
        return json.dumps(parsed).encode("utf-8")

    @property
    def last_secret(self) -> str:
        """The token last seen ("" before any), for `ixon_devkit.workspace.masking` to mask
        (never to show)."""
        return self._last_token.reveal() if self._last_token is not None else ""

    # -- the rules around each API call --------------------------------------------------------

    def refusal(self, name: str, authorized: bool) -> dict[str, Any] | None:
        """IXON's error body for a call that may not be made, its line reported; else None."""
        if self.root is not None:
            # In a read-only workspace the record is left out: it is a convenience.
            with contextlib.suppress(OSError):
                api_access.record_seen(self.root, name, self.where)
        if self.allowed is not None and name not in self.allowed:
            line = api_access.not_listed_message(name)
        elif not authorized:
            line = (
                f"IXON API call of {name} not sent: no access token ({settings.ACCESS_TOKEN} "
                f"is not set and {settings.TOKEN_FILE} is missing or unusable): {self.hint}"
            )
        else:
            return None
        self.report(line)
        return error_answer(line)

    def client(self, *arguments: Any, **keywords: Any) -> WorkspaceApiClient:
        """The function's API client, built from what ixoncdkingress's `ApiClient(...)` takes
        (base_url, api_application, api_company, authorization), by position or by name."""
        return WorkspaceApiClient(*arguments, **keywords, local=self)

    def form_client(self, base_url: str) -> WorkspaceApiClient:
        """The client of a call from the form page (which carries no access of its own)."""
        token = self.current_token()
        authorization = f"Bearer {token.reveal()}" if token is not None else None
        return self.client(base_url, self.application_id, None, authorization)

    @contextmanager
    def installed(self) -> Iterator[None]:
        """ixoncdkingress builds the functions' API clients here while the block runs."""
        with ingress.api_clients(self.client, self.form_client, parsed=_function_runs):
            yield


class WorkspaceApiClient(ApiClient):
    """ixoncdkingress's `ApiClient`, with IXON Cloud's API access rules applied locally."""

    def __init__(
        self,
        base_url: str,
        api_application: str | None = None,
        api_company: str | None = None,
        authorization: str | None = None,
        *,
        local: LocalApi,
    ) -> None:
        super().__init__(base_url, api_application, api_company, authorization)
        self._local = local
        #: True from ixoncdkingress's `set_custom_api_application` until the function runs.
        self.runtime_lookups = False

    def set_custom_api_application(self, api_application: str) -> None:
        # Only ixoncdkingress calls it, right before its own lookups (RUNTIME_LOOKUPS).
        self.runtime_lookups = True
        super().set_custom_api_application(api_application)

    def _request(self, method: str, url_name: str, *arguments: Any, **options: Any) -> Any:
        if self.runtime_lookups and url_name in RUNTIME_LOOKUPS:
            return super()._request(method, url_name, *arguments, **options)
        headers = options.get("headers") or {}
        authorized = any(
            key.lower() == "authorization" and value
            for key, value in {**self._default_headers, **headers}.items()
        )
        refused = self._local.refusal(url_name, authorized)
        if refused is not None:
            return refused
        return super()._request(method, url_name, *arguments, **options)

    def _get_url(self, url_name: str, url_args: dict[str, str], verify: bool = True) -> str:
        self._check_discovery(verify=verify)
        if self._discovery is not None and url_name not in self._discovery:
            self._discovery = None  # it may have changed since (a stand-in's declarations)
            self._check_discovery(verify=verify)
        if self._discovery is not None and url_name not in self._discovery:
            line = (
                f"{url_name} is not a discovery name of the IXON API at {self._base_url}: "
                "check its spelling (names are like AgentList, Agent, MyUser)"
            )
            self._local.report(line)
            raise UnknownApiNameError(line)
        return super()._get_url(url_name, url_args, verify)

    def __repr__(self) -> str:
        shown = {
            key: ("********" if key.lower() == "authorization" else value)
            for key, value in self._default_headers.items()
        }
        return f"<ApiClient base_url={self._base_url}, default_headers={shown},>"


def _function_runs(client: Any) -> None:
    """ixoncdkingress has parsed the call: what its client asks from now on is the app's."""
    if isinstance(client, WorkspaceApiClient):
        client.runtime_lookups = False


def for_workspace(
    root: Path,
    where: str,
    report: Callable[[str], None],
    *,
    environ: Mapping[str, str] | None = None,
    allow_unlisted: bool = False,
) -> LocalApi:
    """The API as the workspace's settings describe it: IXON_API_BASE_URL and
    IXON_API_APPLICATION_ID (checked; SettingsError when malformed), the developer's token
    (read again for every call, so a new `.accesstoken` needs no restart), the access list."""
    endpoint = settings.load_api_endpoint(root, environ)
    unlisted = allow_unlisted or api_access.unlisted_allowed(environ)
    warned: set[str] = set()

    def warn_once(line: str) -> None:
        if line not in warned:
            warned.add(line)
            report(line)

    return LocalApi(
        base_url=endpoint.base_url.value,
        application_id=endpoint.application_id.value,
        token=lambda: settings.load_token(root, environ, warn=warn_once),
        allowed=None if unlisted else frozenset(api_access.listed(root)),
        where=where,
        root=root,
        report=report,
    )


def foreign_destination(api: LocalApi, root: Path) -> str | None:
    """The line naming a base URL neither IXON's nor loopback, when a token would go there."""
    if api.current_token() is None:
        return None
    return settings.foreign_destination(settings.load_api_endpoint(root).base_url)


def describe(api: LocalApi) -> list[str]:
    """What serve says at the start about the API calls of the functions (no token shown)."""
    try:
        token = api.token()
        access = f"with the access token from {token.source}"
    except settings.SettingsError:
        access = (
            "WITHOUT an access token, so they are not sent: put your token on one line in "
            f"{settings.TOKEN_FILE} (or set {settings.ACCESS_TOKEN}); no restart needed"
        )
    if api.allowed is None:
        rules = "any name (the API access check is off)"
    elif api.allowed:
        rules = f'only {", ".join(sorted(api.allowed))} ("{api_access.KEY}" of workspace.json)'
    else:
        rules = f'no name yet: "{api_access.KEY}" of workspace.json is empty'
    return [
        f"IXON API calls of the functions go to {api.base_url} as application "
        f"{api.application_id}, {access}; calls without access of their own get it",
        f"API access: the functions may call {rules}",
    ]
