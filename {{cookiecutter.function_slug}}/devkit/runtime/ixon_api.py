"""A small client of IXON's API v2: discovery and the Cloud Function upload.

Standard library only (urllib), Python 3.9+. Every request has a connect timeout and a read
timeout; 5xx answers, 429s, timeouts and connection errors are retried a bounded number of
times with backoff, each retry announced; every other outcome becomes one `ApiError` line that
says what happened and what to do. The access token is sent only in the Authorization header
and masked in every message, including `--verbose` output.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from devkit.errors import UserError
from devkit.host.settings import DeploySettings, is_loopback

UPLOAD_LINK = "BackendComponentTemplateVersionUpload"
#: Answers larger than this are cut off: we only ever need a short JSON document.
MAX_ANSWER = 1024 * 1024
PROVISIONING_MESSAGE = (
    "This is the company's first Cloud Function upload: IXON now prepares the company for Cloud "
    "Functions, which takes up to two business days; the function becomes available after that"
)


class ApiError(UserError):
    """An outcome that is not a success, as one line that says what to do."""


@dataclass(frozen=True)
class Answer:
    """One HTTP answer."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes

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


class _RetryableError(Exception):
    """A failure worth another try: `reason` for the announcement, `wait` seconds or None."""

    def __init__(self, reason: str, final: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.final = final
        self.wait = wait


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: it could carry the token to another address."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: PLR0917 - urllib's signature
        return None


def _connection_class(base: type[http.client.HTTPConnection], read_timeout: float) -> Any:
    """`base` with the connect timeout for connecting and `read_timeout` for every read."""

    class Connection(base):  # type: ignore[misc, valid-type]
        def connect(self) -> None:
            super().connect()
            self.sock.settimeout(read_timeout)

    return Connection


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, read_timeout: float) -> None:
        super().__init__()
        self._class = _connection_class(http.client.HTTPConnection, read_timeout)

    def http_open(self, req):
        return self.do_open(self._class, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, read_timeout: float) -> None:
        super().__init__(context=ssl.create_default_context())
        self._class = _connection_class(http.client.HTTPSConnection, read_timeout)

    def https_open(self, req):
        return self.do_open(self._class, req, context=self._context)


class Client:
    """IXON's API at `settings.base_url`, for one company, template and token."""

    def __init__(
        self,
        settings: DeploySettings,
        *,
        echo: Callable[[str], None] = print,
        verbose: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._echo = echo
        self.verbose = verbose
        self._sleep = sleep
        host = urlsplit(settings.base_url.value).hostname or ""
        # Loopback never goes through a proxy; elsewhere the usual *_proxy variables apply.
        proxies = urllib.request.ProxyHandler({}) if is_loopback(host) else None
        handlers = [
            _NoRedirects(),
            _HTTPHandler(settings.read_timeout),
            _HTTPSHandler(settings.read_timeout),
        ]
        if proxies is not None:
            handlers.insert(0, proxies)
        self._opener = urllib.request.build_opener(*handlers)

    # -- what a deploy does -----------------------------------------------------------------

    def discover_upload_url(self) -> str:
        """The upload address for the template, from the discovery document."""
        url = self.settings.base_url.value
        answer = self._request("GET", url, self._headers(authorized=False), None, "discovery")
        what = f"the discovery at {url}"
        if not 200 <= answer.status < 300:
            raise ApiError(self._explain(answer, what))
        document = self._json(answer, what, hint=f"check {self.settings.base_url.name}")
        links = document.get("data") if isinstance(document, dict) else None
        href = None
        if isinstance(links, list):
            for link in links:
                if isinstance(link, dict) and link.get("rel") == UPLOAD_LINK:
                    href = link.get("href")
        if not isinstance(href, str) or "{publicId}" not in href:
            raise ApiError(
                f"{what} has no {UPLOAD_LINK} link with {{publicId}}: is "
                f"{self.settings.base_url.name} IXON's API v2 (from "
                f"{self.settings.base_url.source})? If it is, IXON changed its API: "
                "see the workspace README, Deploying"
            )
        upload = urljoin(url, href.replace("{publicId}", self.settings.template_id.value))
        parts = urlsplit(upload)
        plain_loopback = parts.scheme == "http" and is_loopback(parts.hostname or "")
        if parts.scheme != "https" and not plain_loopback:
            raise ApiError(
                f"{what} gives an upload address that is not https:// ({upload}): refusing to "
                "send the access token there"
            )
        return upload

    def upload(self, url: str, archive: bytes) -> UploadResult:
        """POST the zip `archive` to `url`; an UploadResult, or ApiError with one line."""
        headers = self._headers(authorized=True)
        headers["Content-Type"] = "application/zip"
        answer = self._request("POST", url, headers, archive, "upload")
        what = f"the upload to {url}"
        if not 200 <= answer.status < 300:
            raise ApiError(self._explain(answer, what))
        document = self._json(
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

    # -- requests ----------------------------------------------------------------------------

    def _headers(self, *, authorized: bool) -> dict[str, str]:
        headers = {
            "Api-Version": self.settings.api_version.value,
            "Accept": "application/json",
            "User-Agent": "ixon-cloud-function-workspace",
        }
        if authorized:
            headers["Api-Application"] = self.settings.application_id.value
            headers["Api-Company"] = self.settings.company_id.value
            headers["Authorization"] = f"Bearer {self.settings.token.reveal()}"
        return headers

    def echo(self, text: str) -> None:
        """Print `text` with the token masked."""
        self._echo(self.settings.token.mask(text))

    def _request(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        what: str,
    ) -> Answer:
        """Send one request, retrying what is safe to retry; the last answer or ApiError."""
        attempts = self.settings.retries + 1
        for attempt in range(1, attempts + 1):
            if self.verbose:
                self._show_request(method, url, headers, body)
            try:
                answer = self._send(method, url, headers, body)
                if self.verbose:
                    self._show_answer(answer)
                self._raise_if_retryable(answer, what)
                return answer
            except _RetryableError as retry:
                if attempt == attempts:
                    tries = f"{attempts} tries" if attempts > 1 else "1 try"
                    raise ApiError(
                        self.settings.token.mask(f"{retry.final} (gave up after {tries})")
                    ) from None
                wait = retry.wait
                if wait is None:
                    wait = self.settings.retry_backoff * 2 ** (attempt - 1)
                self.echo(
                    f"{what}: {retry.reason}; retry {attempt} of {attempts - 1} in {wait:g} s"
                )
                self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method: str, url: str, headers: dict[str, str], body: bytes | None) -> Answer:
        # S310: the scheme is http(s) only, checked in settings and discover_upload_url.
        request = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310
        where = urlsplit(url).netloc
        try:
            with self._opener.open(request, timeout=self.settings.connect_timeout) as response:
                return Answer(
                    response.status,
                    response.reason,
                    _lowered(response.headers),
                    response.read(MAX_ANSWER),
                )
        except urllib.error.HTTPError as error:
            try:
                content = error.read(MAX_ANSWER)
            except (OSError, http.client.HTTPException):
                content = b""
            return Answer(error.code, str(error.reason), _lowered(error.headers or {}), content)
        except (TimeoutError, socket.timeout):
            raise _RetryableError(
                f"no answer from {where} in time",
                f"{where} did not answer within {self.settings.read_timeout:g} s: IXON may be "
                "slow or unreachable; try again later or raise IXON_API_READ_TIMEOUT",
            ) from None
        except urllib.error.URLError as error:
            raise self._connection_problem(where, error.reason) from None
        except (OSError, http.client.HTTPException) as error:
            raise self._connection_problem(where, error) from None

    def _connection_problem(self, where: str, reason: object) -> Exception:
        text = self.settings.token.mask(str(reason))
        if isinstance(reason, (TimeoutError, socket.timeout)):
            return _RetryableError(
                f"no connection to {where} in time",
                f"could not connect to {where} within {self.settings.connect_timeout:g} s: "
                "check your network (and proxy settings), or raise IXON_API_CONNECT_TIMEOUT",
            )
        if isinstance(reason, ssl.SSLCertVerificationError):
            return ApiError(
                f"the certificate of {where} is not trusted ({text}): check "
                f"{self.settings.base_url.name} and your machine's certificate store"
            )
        if isinstance(reason, socket.gaierror):
            return ApiError(
                f"the host of {where} is unknown ({text}): check "
                f"{self.settings.base_url.name} (from {self.settings.base_url.source}) and your "
                "network"
            )
        return _RetryableError(
            f"connection failed ({text})",
            f"could not reach {where} ({text}): check your network and "
            f"{self.settings.base_url.name} (from {self.settings.base_url.source})",
        )

    def _raise_if_retryable(self, answer: Answer, what: str) -> None:
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
            raise _RetryableError(
                f"429 Too Many Requests (Retry-After: {answer.header('Retry-After') or 'none'})",
                final,
                wait=wait,
            )
        if status >= 500:
            raise _RetryableError(
                f"{status} {answer.reason}",
                f"IXON failed to handle the {what}: {status} {answer.reason}"
                f"{self._messages_of(answer)}: IXON has a problem (or the request ran past 60 "
                "seconds); try again later",
            )

    # -- turning answers into lines ------------------------------------------------------------

    def _json(self, answer: Answer, what: str, *, hint: str) -> Any:
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

    def _explain(self, answer: Answer, what: str) -> str:
        """One line for an answer that is not a success (and was not retried)."""
        status = f"{answer.status} {answer.reason}".strip()
        messages = self._messages_of(answer)
        template = self.settings.template_id
        company = self.settings.company_id
        if answer.status == 401:
            advice = (
                "the access token is wrong or has expired: get a new one (copy it from the "
                "Authorization header of a request the IXON portal makes, or from an API service "
                f"account) and put it in .accesstoken or IXON_API_ACCESS_TOKEN (used: "
                f"{self.settings.token.source})"
            )
        elif answer.status == 403:
            advice = (
                "the token's user lacks a permission this needs in company "
                f"{company.value}, or the API application "
                f"{self.settings.application_id.value} may not use this endpoint: check your "
                "role in the IXON portal, and IXON_API_APPLICATION_ID"
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
                f"the API moved to {location}: set {self.settings.base_url.name} to IXON's API "
                "address (redirects are not followed, so the token stays where it belongs)"
            )
        elif answer.status == 413:
            advice = "the archive is too large for IXON: leave out data files (bundle_include)"
        else:
            advice = "IXON refused the request: fix what the message says and deploy again"
        return f"{what} failed: {status}{messages}: {advice}"

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
        return f" ({self.settings.token.mask(text)})" if text else ""

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


def _lowered(headers: Any) -> dict[str, str]:
    return {str(name).lower(): str(value) for name, value in headers.items()}
