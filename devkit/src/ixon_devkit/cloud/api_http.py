"""The HTTP side of IXON's API client: one request with IXON's headers, sent only where the
token may go, retried where that is safe, each retry announced.

Every request has a connect timeout, a read timeout and a total deadline
(`ixon_devkit.cloud.api_transport`); redirects are never followed; answers are read up to
`MAX_ANSWER` bytes. What is safe to repeat is retried a bounded number of times with backoff:
5xx answers, 429s and connection failures, and timeouts of requests that change nothing (GET).
A request that sends a body (an upload) is sent again only when the connection failed before
anything was sent, or when IXON answered that it did not take it (429, 500, 502, 503): a body
that went out without a complete answer is an `UncertainRequestError`. What the outcomes mean
is `ixon_devkit.cloud.api_errors`'s; the endpoints IXON's API offers are
`ixon_devkit.cloud.ixon_api`'s.

The access token goes only in the Authorization header, and only to the origin (scheme, host and
port) of `IXON_API_BASE_URL`; it is masked in every message, including `--verbose` output.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any, Self
from urllib.parse import urlsplit

import requests

from ixon_devkit.cloud import api_errors, api_transport
from ixon_devkit.cloud.api_errors import (
    ApiError,
    FailedAttemptError,
    RetryError,
    UncertainRequestError,
)
from ixon_devkit.cloud.api_transport import Answer, origin, show_origin
from ixon_devkit.workspace import masking
from ixon_devkit.workspace.settings import DeploySettings, is_loopback

#: Methods that change nothing (or the same thing again): a timeout may be retried.
REPEATABLE = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class HttpClient:
    """IXON's API at `settings.base_url`, for one company, template and token.

    `request` is the building block: any method and URL, the IXON headers added, retries,
    deadline and masking applied; the answer comes back whatever its status (a 5xx or 429 only
    after the retries are spent). `json_of` turns an answer into its document or one ApiError
    line, `explain` an answer that is not a success into that line.
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
        self._session = session if session is not None else api_transport.new_session()

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

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
                api_errors.raise_if_retryable(
                    self.settings, answer, what, repeatable=repeatable, check=check
                )
                return answer
            except FailedAttemptError as failure:
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
                retry = RetryError(failure.reason, failure.final)
            except RetryError as answered:
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

    def explain(
        self, answer: Answer, what: str, *, discovery: bool = False, ui: bool = False
    ) -> str:
        """One line for an answer that is not a success (and was not retried):
        `api_errors.explain` with this client's settings."""
        return api_errors.explain(self.settings, answer, what, discovery=discovery, ui=ui)

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
        with api_transport.watched(deadline) as watch:
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
                    proxies=api_transport.proxies(url),
                    verify=api_transport.verify(),
                )
                try:
                    content = api_transport.read_capped(response)
                finally:
                    response.close()
            except requests.RequestException as error:
                raise api_errors.failure(settings, url, error, expired=watch.expired) from None
        if watch.expired:
            # The sockets were cut while the answer was read: what arrived is not all of it.
            raise api_errors.deadline_failure(settings, url)
        return Answer(
            response.status_code,
            response.reason or "",
            {str(name).lower(): str(value) for name, value in response.headers.items()},
            content,
        )

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
