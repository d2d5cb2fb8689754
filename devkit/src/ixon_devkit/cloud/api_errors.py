"""What the outcomes of requests to IXON's API mean, as one line each that says what to do.

An answer that is not a success becomes `explain`'s line; an attempt that got no (whole)
answer a `FailedAttemptError` (`failure`), an answer worth another try a `RetryError`
(`raise_if_retryable`); the client (`ixon_devkit.cloud.api_http`) retries those or turns them
into an `ApiError`. A body that went out without a complete answer is an
`UncertainRequestError`. Every line is masked (`ixon_devkit.workspace.masking`) where it may
quote what IXON sent.
"""

from __future__ import annotations

import email.utils
import json
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from ixon_devkit.cloud import ixon_roles
from ixon_devkit.cloud.api_transport import Answer, causes, reason
from ixon_devkit.errors import UserError
from ixon_devkit.workspace import masking
from ixon_devkit.workspace.settings import DEADLINE, DEFAULT_BASE_URL, DeploySettings

#: Answers that say the request was not taken, so even an upload may be sent again.
NOT_TAKEN = frozenset({429, 500, 502, 503})


class ApiError(UserError):
    """An outcome that is not a success, as one line that says what to do."""


class UncertainRequestError(ApiError):
    """A request whose body was sent but whose answer never came whole: IXON may or may not
    have taken it, so it was not sent again."""

    #: Apart from 1 (did not happen), so that CI can tell "check by hand" from "failed".
    exit_code = 3


class FailedAttemptError(Exception):
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


class RetryError(Exception):
    """An answer worth another try: `wait` seconds (None: the backoff)."""

    def __init__(self, reason: str, final: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.final = final
        self.wait = wait


# -- no (whole) answer -------------------------------------------------------------------------


def deadline_failure(settings: DeploySettings, url: str) -> FailedAttemptError:
    where = urlsplit(url).netloc
    deadline = settings.deadline
    return FailedAttemptError(
        f"no whole answer from {where} within the {deadline:g} s deadline",
        f"{where} did not finish answering within the {deadline:g} s deadline ({DEADLINE}): "
        f"IXON may be slow or the connection stalled; try again later or raise {DEADLINE}",
        sent=True,
        problem=f"{where} did not finish answering within the {deadline:g} s deadline ({DEADLINE})",
    )


def failure(
    settings: DeploySettings, url: str, error: requests.RequestException, *, expired: bool
) -> FailedAttemptError:
    """What `error` (of an attempt at `url`) means; `expired`: the deadline cut it."""
    where = urlsplit(url).netloc
    found = causes(error)
    if expired:
        return deadline_failure(settings, url)
    if isinstance(error, requests.ConnectTimeout) or any(
        isinstance(cause, urllib3.exceptions.ConnectTimeoutError)
        # urllib3 derives "connection refused" from the connect timeout: not a timeout.
        and not isinstance(cause, urllib3.exceptions.NewConnectionError)
        for cause in found
    ):
        return FailedAttemptError(
            f"no connection to {where} in time",
            f"could not connect to {where} within {settings.connect_timeout:g} s: check "
            "your network (and proxy settings), or raise IXON_API_CONNECT_TIMEOUT",
            sent=False,
        )
    if isinstance(error, requests.ReadTimeout) or any(
        isinstance(cause, (urllib3.exceptions.ReadTimeoutError, TimeoutError)) for cause in found
    ):
        return FailedAttemptError(
            f"no answer from {where} in time",
            f"{where} did not answer within {settings.read_timeout:g} s: IXON may be slow "
            "or unreachable; try again later or raise IXON_API_READ_TIMEOUT",
            sent=True,
            problem=f"{where} did not answer within {settings.read_timeout:g} s "
            "(IXON_API_READ_TIMEOUT)",
        )
    text = reason(found)
    base = settings.base_url
    if isinstance(error, requests.exceptions.SSLError):
        return FailedAttemptError(
            "certificate",
            f"the certificate of {where} is not trusted ({text}): check {base.name} and "
            "your machine's certificates (requests reads REQUESTS_CA_BUNDLE)",
            sent=False,
            fatal=True,
        )
    if any(isinstance(cause, socket.gaierror) for cause in found):
        return FailedAttemptError(
            "unknown host",
            f"the host of {where} is unknown ({text}): check {base.name} (from "
            f"{base.source}) and your network",
            sent=False,
            fatal=True,
        )
    refused = any(isinstance(cause, urllib3.exceptions.NewConnectionError) for cause in found)
    return FailedAttemptError(
        f"connection failed ({text})",
        f"could not reach {where} ({text}): check your network and {base.name} (from "
        f"{base.source})",
        sent=not refused,
        problem=f"the connection to {where} failed ({text})",
    )


# -- answers -----------------------------------------------------------------------------------


def raise_if_retryable(
    settings: DeploySettings, answer: Answer, what: str, *, repeatable: bool, check: str
) -> None:
    """A RetryError for an answer worth another try (429, 5xx); an ApiError for a 429 that
    asks for a longer wait than allowed, an UncertainRequestError for a 5xx that does not tell
    whether a request that may not be repeated was taken."""
    status = answer.status
    if status == 429:
        wait = retry_after(answer.header("Retry-After"))
        limit = settings.max_retry_after
        final = (
            f"IXON limits the rate of requests (429 Too Many Requests on the {what})"
            f"{messages_of(settings, answer)}: wait "
            f"{f'{wait:g} s' if wait is not None else 'ten minutes'} and deploy again; "
            "IXON blocks an address for ten minutes after too many requests"
        )
        if wait is not None and wait > limit:
            raise ApiError(final)
        raise RetryError(
            f"429 Too Many Requests (Retry-After: {answer.header('Retry-After') or 'none'})",
            final,
            wait=wait,
        )
    if status >= 500:
        final = (
            f"IXON failed to handle the {what}: {status} {answer.reason}"
            f"{messages_of(settings, answer)}: IXON has a problem (or the request ran past 60 "
            "seconds); try again later"
        )
        if not repeatable and status not in NOT_TAKEN:
            # A gateway timeout (504) and the like: IXON may have taken it after all.
            raise UncertainRequestError(
                masking.mask(
                    f"the {what} answered {status} {answer.reason}, which does not tell "
                    "whether IXON took it, so it was not sent again (that could repeat "
                    f"it): {check}",
                    settings.token.reveal(),
                )
            )
        raise RetryError(f"{status} {answer.reason}", final)


def explain(
    settings: DeploySettings,
    answer: Answer,
    what: str,
    *,
    discovery: bool = False,
    ui: bool = False,
) -> str:
    """One line for an answer that is not a success (and was not retried).

    `discovery`: the request names no template, so a 404 (or 405, 410) says the address is
    not IXON's API, not that the template is wrong. `ui`: a UI Component's request, so a
    403 names the permission IXON asks for there (`ixon_devkit.cloud.ixon_roles`).
    """
    status = f"{answer.status} {answer.reason}".strip()
    messages = messages_of(settings, answer)
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


def messages_of(settings: DeploySettings, answer: Answer) -> str:
    """IXON's error messages in `answer` as ` (message (property); ...)`, masked; ` (an HTML
    page)` for one; "" for none."""
    try:
        document = json.loads(answer.body.decode("utf-8"))
    except ValueError:
        if answer.body.strip()[:1] == b"<" or "html" in answer.content_type:
            return " (an HTML page)"
        return ""
    return messages(settings, document)


def messages(settings: DeploySettings, document: Any) -> str:
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
    return f" ({masking.mask(text, settings.token.reveal())})" if text else ""


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
