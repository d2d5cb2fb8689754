"""A small client of IXON's API v2 on `requests`: discovery, the Cloud Function upload, and a
generic `Client.request` for whatever else a task needs (UI Components, account checks).

Every request has a connect timeout, a read timeout and a total deadline (a server that drips
its answer one byte at a time is cut off when the deadline passes); redirects are never
followed; answers are read up to `MAX_ANSWER` bytes. What is safe to repeat is retried a bounded
number of times with backoff, each retry announced: 5xx answers, 429s and connection failures,
and timeouts of requests that change nothing (GET). A request that sends a body (an upload) is
sent again only when the connection failed before anything was sent, or when IXON answered that
it did not take it (429, 500, 502, 503): a body that went out without a complete answer is an
`UncertainRequestError`, which says so and how to check. Every other outcome becomes one `ApiError`
line that says what happened and what to do.

The access token goes only in the Authorization header, and only to the origin (scheme, host and
port) of `IXON_API_BASE_URL`; it is masked in every message, including `--verbose` output.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ixon_devkit.cloud import ixon_roles
from ixon_devkit.errors import UserError
from ixon_devkit.workspace import masking
from ixon_devkit.workspace.settings import DEADLINE, DEFAULT_BASE_URL, DeploySettings, is_loopback

UPLOAD_LINK = "BackendComponentTemplateVersionUpload"
#: Answers larger than this are cut off: we only ever need a short JSON document.
MAX_ANSWER = 1024 * 1024
#: Methods that change nothing (or the same thing again): a timeout may be retried.
REPEATABLE = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: Answers that say the request was not taken, so even an upload may be sent again.
NOT_TAKEN = frozenset({429, 500, 502, 503})
PROVISIONING_MESSAGE = (
    "This is the company's first Cloud Function upload: IXON now prepares the company for Cloud "
    "Functions, which takes up to two business days; the function becomes available after that"
)
UPLOAD_CHECK = (
    "check in IXON Studio (Cloud Functions, the function) whether a new version arrived just "
    "now; if none did, deploy again"
)


class ApiError(UserError):
    """An outcome that is not a success, as one line that says what to do."""


class UncertainRequestError(ApiError):
    """A request whose body was sent but whose answer never came whole: IXON may or may not
    have taken it, so it was not sent again."""

    #: Apart from 1 (did not happen), so that CI can tell "check by hand" from "failed".
    exit_code = 3


@dataclass(frozen=True)
class Answer:
    """One HTTP answer."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        return self.header("Content-Type").split(";")[0].strip().lower()

    def header(self, name: str) -> str:
        """A header's value ("" when absent), whatever case the server wrote its name in."""
        return self.headers.get(name.lower(), "")


@dataclass(frozen=True)
class UploadResult:
    """A successful upload."""

    status: int
    company_to_be_provisioned: bool


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of `url`, the port filled in for http and https."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def show_origin(url: str) -> str:
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}"


class _FailedAttemptError(Exception):
    """One attempt that got no (whole) answer.

    `reason` announces a retry, `final` is the line after the last try, `sent` tells whether
    the request may have reached the server (then a body is not sent again), `fatal` whether
    trying again cannot help.
    """

    def __init__(
        self, reason: str, final: str, *, sent: bool, fatal: bool = False, problem: str = ""
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.final = final
        self.problem = problem or reason
        self.sent = sent
        self.fatal = fatal


class _RetryError(Exception):
    """An answer worth another try: `wait` seconds (None: the backoff)."""

    def __init__(self, reason: str, final: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.final = final
        self.wait = wait


# -- the total deadline ------------------------------------------------------------------------
# requests' timeouts apply to each read, so a server sending a byte a second never times out.
# A watch (one per attempt, found through a thread-local) knows the connections the attempt
# uses and shuts their sockets down when the deadline passes; the blocked read then fails.

_active = threading.local()


class _Watch:
    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def add(self, connection: Any) -> None:
        with self._lock:
            if not any(known is connection for known in self._connections):
                self._connections.append(connection)
            expired = self.expired
        if expired:
            _cut(connection)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            connections = list(self._connections)
        for connection in connections:
            _cut(connection)

    def cancel(self) -> None:
        self._timer.cancel()


def _cut(connection: Any) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class _Watched:
    """Connections that report themselves to the attempt's watch."""

    def connect(self) -> None:
        self._report()
        super().connect()  # type: ignore[misc]
        self._report()

    def request(self, *arguments: Any, **keywords: Any) -> Any:
        self._report()
        return super().request(*arguments, **keywords)  # type: ignore[misc]

    def _report(self) -> None:
        watch = getattr(_active, "watch", None)
        if watch is not None:
            watch.add(self)


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class _Adapter(HTTPAdapter):
    """requests' adapter with watched connections and no retries of its own (ours announce)."""

    def __init__(self) -> None:
        super().__init__(max_retries=urllib3.Retry(total=0, redirect=False, read=False))

    def init_poolmanager(self, *arguments: Any, **keywords: Any) -> None:
        super().init_poolmanager(*arguments, **keywords)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, *arguments: Any, **keywords: Any) -> Any:
        manager = super().proxy_manager_for(*arguments, **keywords)
        if isinstance(manager, urllib3.ProxyManager):
            manager.pool_classes_by_scheme = _POOLS
        return manager


def new_session() -> requests.Session:
    """A requests session as the client uses it: watched connections, nothing from the
    environment (a ~/.netrc would replace the Authorization header; proxies and CA bundles are
    applied per request by the client)."""
    session = requests.Session()
    session.trust_env = False
    adapter = _Adapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# -- the client --------------------------------------------------------------------------------


class Client:
    """IXON's API at `settings.base_url`, for one company, template and token.

    `request` is the building block: any method and URL, the IXON headers added, retries,
    deadline and masking applied; the answer comes back whatever its status (a 5xx or 429 only
    after the retries are spent). `json_of` turns an answer into its document or one ApiError
    line. `discovery`, `link`, `discover_upload_url` and `upload` are built on them.
    """

    def __init__(
        self,
        settings: DeploySettings,
        *,
        echo: Callable[[str], None] = print,
        verbose: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings
        self._echo = echo
        self.verbose = verbose
        self._sleep = sleep
        self._session = session if session is not None else new_session()
        self._links: dict[str, str] | None = None

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- what a deploy does -----------------------------------------------------------------

    def discovery(self) -> dict[str, str]:
        """The discovery document's links (rel: href), fetched once.

        Like IXON's own upload script, the discovery request carries `Api-Version`,
        `Api-Application`, `Api-Company` and the bearer token (IXON could filter the links by
        application or company). It goes only to `IXON_API_BASE_URL` itself, and `link`
        refuses a discovered address on another origin, so the token never leaves that origin.
        """
        if self._links is None:
            url = self.settings.base_url.value
            what = f"the discovery at {url}"
            answer = self.request("GET", url, what="discovery")
            if not answer.ok:
                raise ApiError(self.explain(answer, what, discovery=True))
            document = self.json_of(answer, what, hint=f"check {self.settings.base_url.name}")
            links: dict[str, str] = {}
            data = document.get("data") if isinstance(document, dict) else None
            for link in data if isinstance(data, list) else []:
                if (
                    isinstance(link, dict)
                    and isinstance(link.get("rel"), str)
                    and isinstance(link.get("href"), str)
                ):
                    links[link["rel"]] = link["href"]
            self._links = links
        return self._links

    def link(self, rel: str, **placeholders: str) -> str:
        """The absolute address of discovery link `rel`, its `{placeholders}` filled in; an
        ApiError when the link is missing or points where the token may not go."""
        url = self.settings.base_url.value
        what = f"the discovery at {url}"
        href = self.discovery().get(rel)
        if href is None or any(f"{{{name}}}" not in href for name in placeholders):
            wanted = "".join(f" with {{{name}}}" for name in placeholders)
            raise ApiError(
                f"{what} has no {rel} link{wanted}: is {self.settings.base_url.name} IXON's API "
                f"v2 (from {self.settings.base_url.source})? If it is, IXON changed its API: see "
                "docs/deploying.md, What the outcomes mean"
            )
        for name, value in placeholders.items():
            href = href.replace(f"{{{name}}}", value)
        address = urljoin(url, href)
        problem = self.refusal(address)
        if problem:
            raise ApiError(f"{what} gives the {rel} address {address}: {problem}")
        return address

    def discover_upload_url(self) -> str:
        """The upload address for the template, from the discovery document."""
        return self.link(UPLOAD_LINK, publicId=self.settings.template_id.value)

    def upload(self, url: str, archive: bytes) -> UploadResult:
        """POST the zip `archive` to `url`; an UploadResult, or ApiError with one line (an
        UncertainRequestError when it went out but no whole answer came back)."""
        answer = self.request(
            "POST",
            url,
            body=archive,
            headers={"Content-Type": "application/zip"},
            what="upload",
            check=UPLOAD_CHECK,
        )
        what = f"the upload to {url}"
        if not answer.ok:
            raise ApiError(self.explain(answer, what))
        document = self.json_of(
            answer,
            what,
            hint="the upload may or may not have been taken: check the function in IXON Studio",
        )
        if not isinstance(document, dict) or document.get("status") != "success":
            raise ApiError(
                f'{what} answered {answer.status} without "status": "success"'
                f"{self._messages(document)}: check the function in IXON Studio"
            )
        data = document.get("data")
        items = data if isinstance(data, list) else [data]
        provisioning = any(
            isinstance(item, dict) and item.get("companyToBeProvisioned") is True for item in items
        )
        return UploadResult(status=answer.status, company_to_be_provisioned=provisioning)

    # -- the building blocks -------------------------------------------------------------------

    def refusal(self, url: str) -> str:
        """Why the token may not go to `url` ("" when it may)."""
        parts = urlsplit(url)
        plain_loopback = parts.scheme == "http" and is_loopback(parts.hostname or "")
        if parts.scheme != "https" and not plain_loopback:
            return "not https://, so the access token is not sent there"
        base = self.settings.base_url
        if origin(url) != origin(base.value):
            return (
                f"another origin ({show_origin(url)}) than {base.name} "
                f"({show_origin(base.value)}, from {base.source}), so the access token is not "
                f"sent there; if that address is IXON's, set {base.name} to it"
            )
        return ""

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        authorized: bool = True,
        what: str | None = None,
        repeatable: bool | None = None,
        check: str = "check in IXON whether it took effect before trying again",
        retries: int | None = None,
    ) -> Answer:
        """Send one request with IXON's headers (and the token when `authorized`), retrying
        what is safe to retry; the answer, whatever its status, or ApiError.

        `repeatable` (default: the method changes nothing, or the same thing again) allows
        sending the request again after it may have reached IXON; `check` says how to find out
        whether an uncertain request took effect. `what` names it in messages. `retries`
        (default: the settings') bounds the retries: 0 sends it once, whatever IXON answers.
        """
        method = method.upper()
        what = what or f"{method} {url}"
        if repeatable is None:
            repeatable = method in REPEATABLE
        if authorized:
            problem = self.refusal(url)
            if problem:
                raise ApiError(f"refusing the {what} to {url}: {problem}")
        sent_headers = self._headers(authorized=authorized)
        sent_headers.update(headers or {})
        secret = self.settings.token.reveal()
        attempts = (self.settings.retries if retries is None else retries) + 1
        for attempt in range(1, attempts + 1):
            if self.verbose:
                self._show_request(method, url, sent_headers, body)
            try:
                answer = self._attempt(method, url, sent_headers, body)
                if self.verbose:
                    self._show_answer(answer)
                self._raise_if_retryable(answer, what, repeatable=repeatable, check=check)
                return answer
            except _FailedAttemptError as failure:
                if failure.fatal:
                    raise ApiError(masking.mask(failure.final, secret)) from None
                if failure.sent and not repeatable:
                    raise UncertainRequestError(
                        masking.mask(
                            f"the {what} to {url} went out, but {failure.problem}: "
                            "IXON may or may not have taken it, so it was not sent again "
                            f"(that could repeat it): {check}",
                            secret,
                        )
                    ) from None
                retry = _RetryError(failure.reason, failure.final)
            except _RetryError as answered:
                retry = answered
            if attempt == attempts:
                tries = f"{attempts} tries" if attempts > 1 else "1 try"
                final = masking.mask(f"{retry.final} (gave up after {tries})", secret)
                raise ApiError(final) from None
            wait = retry.wait
            if wait is None:
                wait = self.settings.retry_backoff * 2 ** (attempt - 1)
            self.echo(f"{what}: {retry.reason}; retry {attempt} of {attempts - 1} in {wait:g} s")
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def json_of(self, answer: Answer, what: str, *, hint: str) -> Any:
        """The JSON document of `answer`, or ApiError saying what came instead."""
        text = answer.body.decode("utf-8", errors="replace").strip()
        kind = "an HTML page" if "html" in answer.content_type or text[:1] == "<" else None
        if not text:
            kind = "an empty answer"
        elif kind is None:
            try:
                return json.loads(text)
            except ValueError:
                kind = f"something that is not JSON ({answer.content_type or 'no content type'})"
        raise ApiError(f"{what} answered {answer.status} with {kind}, not IXON's JSON: {hint}")

    def get_json(self, url: str, *, authorized: bool = True, what: str | None = None) -> Any:
        """GET `url` and return its JSON document; ApiError (explained) for anything else."""
        what = what or f"the request to {url}"
        answer = self.request("GET", url, authorized=authorized, what=what)
        if not answer.ok:
            raise ApiError(self.explain(answer, what))
        return self.json_of(answer, what, hint=f"check {self.settings.base_url.name}")

    def echo(self, text: str) -> None:
        """Print `text` with the token masked."""
        self._echo(masking.mask(text, self.settings.token.reveal()))

    # -- one attempt -----------------------------------------------------------------------------

    def _headers(self, *, authorized: bool) -> dict[str, str]:
        headers = {
            "Api-Version": self.settings.api_version.value,
            "Accept": "application/json",
            # Compressed answers could unpack far past MAX_ANSWER.
            "Accept-Encoding": "identity",
            "User-Agent": "ixon-cloud-function-workspace",
        }
        if authorized:
            headers["Api-Application"] = self.settings.application_id.value
            headers["Api-Company"] = self.settings.company_id.value
            headers["Authorization"] = f"Bearer {self.settings.token.reveal()}"
        return headers

    def _attempt(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> Answer:
        settings = self.settings
        deadline = settings.deadline
        watch = _Watch(deadline)
        _active.watch = watch
        try:
            response = self._session.request(
                method,
                url,
                data=body,
                headers=dict(headers),
                timeout=(
                    min(settings.connect_timeout, deadline),
                    min(settings.read_timeout, deadline),
                ),
                allow_redirects=False,
                stream=True,
                proxies=_proxies(url),
                verify=_verify(),
            )
            try:
                content = _read_capped(response)
            finally:
                response.close()
        except requests.RequestException as error:
            raise self._failure(url, error, expired=watch.expired) from None
        finally:
            watch.cancel()
            _active.watch = None
        if watch.expired:
            # The sockets were cut while the answer was read: what arrived is not all of it.
            raise self._deadline_failure(url)
        return Answer(
            response.status_code,
            response.reason or "",
            {str(name).lower(): str(value) for name, value in response.headers.items()},
            content,
        )

    def _deadline_failure(self, url: str) -> _FailedAttemptError:
        where = urlsplit(url).netloc
        deadline = self.settings.deadline
        return _FailedAttemptError(
            f"no whole answer from {where} within the {deadline:g} s deadline",
            f"{where} did not finish answering within the {deadline:g} s deadline ({DEADLINE}): "
            f"IXON may be slow or the connection stalled; try again later or raise {DEADLINE}",
            sent=True,
            problem=f"{where} did not finish answering within the {deadline:g} s deadline "
            f"({DEADLINE})",
        )

    def _failure(
        self, url: str, error: requests.RequestException, *, expired: bool
    ) -> _FailedAttemptError:
        settings = self.settings
        where = urlsplit(url).netloc
        causes = _causes(error)
        if expired:
            return self._deadline_failure(url)
        if isinstance(error, requests.ConnectTimeout) or any(
            isinstance(cause, urllib3.exceptions.ConnectTimeoutError)
            # urllib3 derives "connection refused" from the connect timeout: not a timeout.
            and not isinstance(cause, urllib3.exceptions.NewConnectionError)
            for cause in causes
        ):
            return _FailedAttemptError(
                f"no connection to {where} in time",
                f"could not connect to {where} within {settings.connect_timeout:g} s: check "
                "your network (and proxy settings), or raise IXON_API_CONNECT_TIMEOUT",
                sent=False,
            )
        if isinstance(error, requests.ReadTimeout) or any(
            isinstance(cause, (urllib3.exceptions.ReadTimeoutError, TimeoutError))
            for cause in causes
        ):
            return _FailedAttemptError(
                f"no answer from {where} in time",
                f"{where} did not answer within {settings.read_timeout:g} s: IXON may be slow "
                "or unreachable; try again later or raise IXON_API_READ_TIMEOUT",
                sent=True,
                problem=f"{where} did not answer within {settings.read_timeout:g} s "
                "(IXON_API_READ_TIMEOUT)",
            )
        text = _reason(causes)
        base = settings.base_url
        if isinstance(error, requests.exceptions.SSLError):
            return _FailedAttemptError(
                "certificate",
                f"the certificate of {where} is not trusted ({text}): check {base.name} and "
                "your machine's certificates (requests reads REQUESTS_CA_BUNDLE)",
                sent=False,
                fatal=True,
            )
        if any(isinstance(cause, socket.gaierror) for cause in causes):
            return _FailedAttemptError(
                "unknown host",
                f"the host of {where} is unknown ({text}): check {base.name} (from "
                f"{base.source}) and your network",
                sent=False,
                fatal=True,
            )
        refused = any(isinstance(cause, urllib3.exceptions.NewConnectionError) for cause in causes)
        return _FailedAttemptError(
            f"connection failed ({text})",
            f"could not reach {where} ({text}): check your network and {base.name} (from "
            f"{base.source})",
            sent=not refused,
            problem=f"the connection to {where} failed ({text})",
        )

    def _raise_if_retryable(
        self, answer: Answer, what: str, *, repeatable: bool, check: str
    ) -> None:
        status = answer.status
        if status == 429:
            wait = retry_after(answer.header("Retry-After"))
            limit = self.settings.max_retry_after
            final = (
                f"IXON limits the rate of requests (429 Too Many Requests on the {what})"
                f"{self._messages_of(answer)}: wait "
                f"{f'{wait:g} s' if wait is not None else 'ten minutes'} and deploy again; "
                "IXON blocks an address for ten minutes after too many requests"
            )
            if wait is not None and wait > limit:
                raise ApiError(final)
            raise _RetryError(
                f"429 Too Many Requests (Retry-After: {answer.header('Retry-After') or 'none'})",
                final,
                wait=wait,
            )
        if status >= 500:
            final = (
                f"IXON failed to handle the {what}: {status} {answer.reason}"
                f"{self._messages_of(answer)}: IXON has a problem (or the request ran past 60 "
                "seconds); try again later"
            )
            if not repeatable and status not in NOT_TAKEN:
                # A gateway timeout (504) and the like: IXON may have taken it after all.
                raise UncertainRequestError(
                    masking.mask(
                        f"the {what} answered {status} {answer.reason}, which does not tell "
                        "whether IXON took it, so it was not sent again (that could repeat "
                        f"it): {check}",
                        self.settings.token.reveal(),
                    )
                )
            raise _RetryError(f"{status} {answer.reason}", final)

    # -- turning answers into lines ------------------------------------------------------------

    def explain(
        self, answer: Answer, what: str, *, discovery: bool = False, ui: bool = False
    ) -> str:
        """One line for an answer that is not a success (and was not retried).

        `discovery`: the request names no template, so a 404 (or 405, 410) says the address is
        not IXON's API, not that the template is wrong. `ui`: a UI Component's request, so a
        403 names the permission IXON asks for there (`ixon_devkit.cloud.ixon_roles`).
        """
        status = f"{answer.status} {answer.reason}".strip()
        messages = self._messages_of(answer)
        settings = self.settings
        template = settings.template_id
        company = settings.company_id
        base = settings.base_url
        if discovery and answer.status in (404, 405, 410):
            advice = (
                "discovery names no template, so this is not about it: "
                f"{base.name} {base.value} (from {base.source}) is not the address of IXON's "
                f"API v2; leave it unset for {DEFAULT_BASE_URL}, or set IXON's API address"
            )
        elif answer.status == 401:
            advice = (
                "the access token is wrong or has expired: get a new one (copy it from the "
                "Authorization header of a request the IXON portal makes, or from an API service "
                f"account) and put it in .accesstoken or IXON_API_ACCESS_TOKEN (used: "
                f"{settings.token.source})"
            )
        elif answer.status == 403:
            need = (
                f'a role with the "{ixon_roles.UI_PERMISSION}" permission ({ixon_roles.UI_SOURCE})'
                if ui
                else f"the {ixon_roles.FUNCTION_ROLE} role ({ixon_roles.FUNCTION_SOURCE})"
            )
            advice = (
                f"deploying needs {need} in company {company.value}: ask an administrator of "
                "that company to give it to the token's user; otherwise the API application "
                f"{settings.application_id.value} may not use this endpoint: check "
                "IXON_API_APPLICATION_ID"
            )
        elif answer.status == 404:
            advice = (
                f"check {template.name} {template.value} (from {template.source}) and "
                f"{company.name} {company.value} (from {company.source}): the template must be a "
                "Cloud Function of that company in IXON Studio"
            )
        elif 300 <= answer.status < 400:
            location = answer.header("Location") or "elsewhere"
            advice = (
                f"the API moved to {location}: set {base.name} to IXON's API "
                "address (redirects are not followed, so the token stays where it belongs)"
            )
        elif answer.status == 413:
            advice = "the archive is too large for IXON: leave out data files (bundle_include)"
        else:
            advice = "IXON refused the request: fix what the message says and deploy again"
        return masking.mask(f"{what} failed: {status}{messages}: {advice}", settings.token.reveal())

    def _messages_of(self, answer: Answer) -> str:
        try:
            document = json.loads(answer.body.decode("utf-8"))
        except ValueError:
            if answer.body.strip()[:1] == b"<" or "html" in answer.content_type:
                return " (an HTML page)"
            return ""
        return self._messages(document)

    def _messages(self, document: Any) -> str:
        """IXON's error shape as ` (message (property); ...)`, masked."""
        if not isinstance(document, dict):
            return ""
        data = document.get("data")
        items = data if isinstance(data, list) else [data]
        parts = []
        for item in items:
            if isinstance(item, dict) and item.get("message"):
                part = str(item["message"])
                if item.get("propertyName"):
                    part += f" (property {item['propertyName']})"
                parts.append(part)
        text = "; ".join(parts)[:500]
        return f" ({masking.mask(text, self.settings.token.reveal())})" if text else ""

    # -- the urllib client's names, for code written against it (prefer the public ones) --------

    def _request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, what: str
    ) -> Answer:
        """`request` with the old signature: `headers` as `_headers` made them, plus any."""
        own = self._headers(authorized=True)
        extra = {name: value for name, value in headers.items() if name not in own}
        authorized = any(name.lower() == "authorization" for name in headers)
        return self.request(method, url, body=body, headers=extra, authorized=authorized, what=what)

    def _explain(self, answer: Answer, what: str) -> str:
        return self.explain(answer, what)

    def _json(self, answer: Answer, what: str, *, hint: str) -> Any:
        return self.json_of(answer, what, hint=hint)

    # -- verbose output ------------------------------------------------------------------------

    def _show_request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> None:
        self.echo(f"> {method} {url}")
        for name, value in headers.items():
            shown = "Bearer ********" if name.lower() == "authorization" else value
            self.echo(f">   {name}: {shown}")
        if body is not None:
            self.echo(f">   ({len(body)} bytes)")

    def _show_answer(self, answer: Answer) -> None:
        self.echo(f"< {answer.status} {answer.reason}")
        for name in ("Content-Type", "Retry-After", "Location"):
            if answer.header(name):
                self.echo(f"<   {name}: {answer.header(name)}")
        text = answer.body[:2000].decode("utf-8", errors="replace").strip()
        if text:
            self.echo(f"<   {text}")


def retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); None when absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    return max(0.0, moment.timestamp() - now())


def _read_capped(response: requests.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_ANSWER:
            break
    return b"".join(chunks)[:MAX_ANSWER]


def _proxies(url: str) -> dict[str, str]:
    """The *_proxy variables' proxy for `url`; none for loopback."""
    if is_loopback(urlsplit(url).hostname or ""):
        return {}
    return requests.utils.get_environ_proxies(url)


def _verify() -> bool | str:
    """requests' CA bundle variables, else its own bundle."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def _causes(error: BaseException) -> list[BaseException]:
    """`error` and what it wraps (requests and urllib3 nest the socket's error deeply)."""
    seen: list[BaseException] = []
    pending: list[Any] = [error]
    while pending and len(seen) < 20:
        item = pending.pop(0)
        if not isinstance(item, BaseException) or any(item is known for known in seen):
            continue
        seen.append(item)
        pending.extend([item.__cause__, item.__context__, getattr(item, "reason", None)])
        pending.extend(item.args)
    return seen


def _reason(causes: list[BaseException]) -> str:
    """The innermost readable reason: the socket's own words where there are some."""
    for cause in reversed(causes):
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
    for cause in reversed(causes):
        if isinstance(cause, OSError) and not isinstance(cause, requests.RequestException):
            return str(cause).split(": ", 1)[-1]
    return type(causes[0]).__name__
