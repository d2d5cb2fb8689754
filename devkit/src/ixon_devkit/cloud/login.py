"""`invoke login` and `invoke logout`: an access token from IXON's API, as IXON's `cdk login`
gets one, kept in `.accesstoken` for deploy, doctor and serve.

Logging in posts to `{API base}/access-tokens` what `@ixon-cdk/core`'s auth service posts:
`{"expiresIn": 2592000}` (30 days) with `Api-Version: 2`, `Api-Application` and
`Authorization: Basic base64(email:otp:password)`, the one-time password empty at first. When
IXON answers "Two Factor Authentication required", the one-time password is asked for and the
request sent again. The answer's `data.secretId` is the token; `data.user.name` and
`data.expiresOn` say who is logged in and until when (`ixon_devkit.cloud.token_file` stores them).
Logging out sends `DELETE {API base}/access-tokens/me` with the token; only when IXON revoked
it (or no longer knows it) is `.accesstoken` removed: a token that IXON still honours stays in
the file, so that `invoke logout` can be run again. Logging in again revokes the token that an
earlier `invoke login` stored (not a token copied by hand: that may be a browser's session).

Requests go out with requests. Redirects are not followed (the credentials would go with
them), and a `.netrc` never replaces the credentials; every request has a timeout; every
failure is one LoginError line that names the URL asked and in which neither the password nor
the token appears (`ixon_devkit.workspace.masking`).

Nothing is sent to a base URL that is neither IXON's nor this machine's (`settings.is_foreign`,
the rule behind the NOTE of serve, call, deploy and doctor) unless the user says so: on a
terminal they are asked first; `--trust-base-url URL` (the same URL) says so in scripts.
"""

from __future__ import annotations

import base64
import getpass
import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import requests
import urllib3

from ixon_devkit.cloud import token_file
from ixon_devkit.errors import UserError
from ixon_devkit.workspace import ids, masking, settings

#: How long a token `invoke login` asks for lives: 30 days, as IXON's `cdk login` asks.
EXPIRES_IN = 2592000
#: IXON's message when the account needs its one-time password too.
TWO_FACTOR = "Two Factor Authentication required"
TIMEOUT = 30.0
#: Answers longer than this are cut off: a login answer is a short JSON document.
MAX_ANSWER = 1024 * 1024


class LoginError(UserError):
    """Logging in or out did not work; the message says why and what to do."""


@dataclass(frozen=True)
class Credentials:
    """What `invoke login` asks for; the password and the one-time password are never shown."""

    email: str
    password: str = field(repr=False)
    otp: str = field(default="", repr=False)

    def authorization(self) -> str:
        """The Basic header IXON's access-tokens endpoint takes: `email:otp:password`."""
        text = f"{self.email}:{self.otp}:{self.password}"
        return "Basic " + base64.b64encode(text.encode("utf-8")).decode("ascii")


@dataclass(frozen=True)
class LoggedIn:
    """A login that worked: who, and until when."""

    user: str
    expires_on: datetime
    #: Whether IXON said when the token expires (else: 30 days from now, as asked).
    said_by_ixon: bool = True
    #: What became of the token an earlier `invoke login` had stored ("" when there was none).
    previous: str = ""


#: `ask(label, hidden)` returns what the user answered to `label`.
Ask = Callable[[str, bool], str]
#: `confirm(question)`: whether the user said yes to `question` (on a terminal only).
Confirm = Callable[[str], bool]


def terminal_ask(label: str, hidden: bool) -> str:
    """Ask on the terminal; a hidden answer is not echoed (getpass)."""
    return getpass.getpass(f"{label}: ") if hidden else input(f"{label}: ")


def stream_ask(stream: TextIO) -> Ask:
    """Answers read line by line from `stream` (standard input in scripts and CI), in the order
    asked: e-mail address, password, then the one-time password when IXON wants one."""

    def ask(label: str, hidden: bool) -> str:
        line = stream.readline()
        if not line:
            raise LoginError(
                f'standard input ended before the answer to "{label}": give the e-mail '
                "address, the password and, for an account with two-factor authentication, "
                "the one-time password, each on a line of its own"
            )
        return line.rstrip("\r\n")

    return ask


def default_ask() -> Ask:
    """Prompts on a terminal; lines of standard input otherwise."""
    return terminal_ask if sys.stdin.isatty() else stream_ask(sys.stdin)


def terminal_confirm(question: str) -> bool:
    """Yes only for an answer of y or yes on the terminal."""
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def default_confirm() -> Confirm | None:
    """Asks on a terminal; None otherwise (standard input carries the credentials, so no line
    of it is taken for a yes)."""
    return terminal_confirm if sys.stdin.isatty() else None


def check_destination(
    endpoint: settings.ApiEndpoint, what: str, *, trust: str = "", confirm: Confirm | None = None
) -> None:
    """Send nothing to a base URL that is neither IXON's nor this machine's unless the user
    means it: `trust` names that very URL, or they answer yes to `confirm`. LoginError
    otherwise, naming the URL, where it is set and how to go on."""
    base = endpoint.base_url
    if not settings.is_foreign(base.value):
        return
    if trust and trust.rstrip("/") == base.value.rstrip("/"):
        return
    where = f"{base.name} is set there by {base.source}"
    if trust:
        raise LoginError(
            f"--trust-base-url {trust} is not the base URL {base.value} ({where}): give that "
            "very URL, or none (nothing was sent)"
        )
    if confirm is not None and confirm(
        f"{base.value} is not IXON's API ({where}). Send {what} there?"
    ):
        return
    raise LoginError(
        f"refusing to send {what} to {base.value}, which is not IXON's API ({where}): remove "
        f"it there, or add --trust-base-url {base.value} if you mean it (nothing was sent)"
    )


@dataclass(frozen=True)
class _Answer:
    url: str  # the URL asked
    status: int
    document: Any  # the JSON answer, or None when it was not JSON
    content_type: str

    @property
    def messages(self) -> list[dict[str, Any]]:
        data = self.document.get("data") if isinstance(self.document, dict) else None
        return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []

    def said(self) -> str:
        """IXON's error messages, joined."""
        return ", ".join(str(item.get("message") or "") for item in self.messages) or "no message"

    @property
    def success(self) -> bool:
        return (
            200 <= self.status < 300
            and isinstance(self.document, dict)
            and self.document.get("status") == "success"
        )


class _Authorization(requests.auth.AuthBase):
    """The Authorization header, given as requests' `auth`: so that no `.netrc` replaces it."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self.value
        return request


def _send(
    method: str, url: str, headers: dict[str, str], body: bytes | None, *, timeout: float, what: str
) -> _Answer:
    """Send the request; IXON's answer whatever its status (a redirect too: it is not
    followed); LoginError when none came."""
    authorization = _Authorization(headers.pop("Authorization"))
    try:
        with requests.request(
            method,
            url,
            headers=headers,
            data=body,
            auth=authorization,
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        ) as answer:
            return _read(url, answer)
    except requests.Timeout:
        raise LoginError(
            f"IXON's API at {url} did not answer within {timeout:g} s when asked to {what}: "
            f"try again later (or check {settings.BASE_URL})"
        ) from None
    except requests.RequestException as error:
        reason = _reason(error)
        raise LoginError(
            f"cannot reach IXON's API at {url} to {what} ({type(reason).__name__}: {reason}): "
            f"check the network (and a proxy: https_proxy) or {settings.BASE_URL}, then try again"
        ) from None


def _reason(error: BaseException) -> BaseException:
    """The error at the bottom of what requests and urllib3 wrap (ConnectionRefusedError, ...)."""
    while True:
        inner = getattr(error, "reason", None) or error.__cause__
        if inner is None and error.args and isinstance(error.args[0], BaseException):
            inner = error.args[0]
        if not isinstance(inner, BaseException):
            return error
        error = inner


def _read(url: str, answer: requests.Response) -> _Answer:
    raw = b""
    try:  # (requests has read the answer to a redirect already: iter_content has it)
        for piece in answer.iter_content(64 * 1024):
            raw += piece
            if len(raw) >= MAX_ANSWER:
                break
    except (OSError, requests.RequestException, urllib3.exceptions.HTTPError):
        raw = b""
    try:
        document = json.loads(raw[:MAX_ANSWER]) if raw else None
    except ValueError:
        document = None
    content_type = answer.headers.get("Content-Type", "")
    return _Answer(url, answer.status_code, document, content_type.partition(";")[0].strip())


def _headers(endpoint: settings.ApiEndpoint, authorization: str) -> dict[str, str]:
    return {
        "Api-Version": settings.DEFAULT_API_VERSION,
        "Api-Application": endpoint.application_id.value,
        "Authorization": authorization,
        "Accept": "application/json",
        "User-Agent": "ixon-cloud-function-workspace",
    }


def request_token(
    endpoint: settings.ApiEndpoint, credentials: Credentials, *, timeout: float = TIMEOUT
) -> _Answer:
    """POST `access-tokens` with `credentials`: IXON's answer, whatever it is."""
    # The base URL is checked (settings): https, or http to this machine only.
    return _send(
        "POST",
        endpoint.base_url.value + "access-tokens",
        {**_headers(endpoint, credentials.authorization()), "Content-Type": "application/json"},
        json.dumps({"expiresIn": EXPIRES_IN}).encode("utf-8"),
        timeout=timeout,
        what="log in",
    )


def log_in(
    root: Path,
    ask: Ask,
    *,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
    timeout: float = TIMEOUT,
    trust: str = "",
    confirm: Confirm | None = None,
) -> LoggedIn:
    """Ask for the credentials, get a token from IXON and store it; who is logged in, until
    when. A base URL neither IXON's nor loopback needs `trust` (that URL) or a yes to
    `confirm` first (`check_destination`)."""
    endpoint = settings.load_api_endpoint(root, environ)
    earlier = settings.find_token(root, {}) if token_file.expiry(root) is not None else None
    what = "your e-mail address and password" + (
        " (and the token of the earlier login, to revoke it)" if earlier is not None else ""
    )
    check_destination(endpoint, what, trust=trust, confirm=confirm)
    credentials = _ask_credentials(ask)
    answer = request_token(endpoint, credentials, timeout=timeout)
    if _needs_one_time_password(answer):
        otp = ask("One-time password (two-factor authentication)", False).strip()
        if not otp:
            raise LoginError(
                f"{answer.url} asks for the one-time password of the account's two-factor "
                "authentication: give the one from your authenticator app (nothing was stored)"
            )
        credentials = Credentials(credentials.email, credentials.password, otp)
        answer = request_token(endpoint, credentials, timeout=timeout)
    token, logged_in = _token_of(answer, endpoint, credentials, now)
    # Only a token an earlier `invoke login` stored is revoked (`earlier`): one copied from the
    # portal may be the browser's own session.
    token_file.write(root, token, logged_in.expires_on, logged_in.user)
    if earlier is None or earlier.reveal() == token:
        return logged_in
    return replace(logged_in, previous=_revoke_earlier(endpoint, earlier, timeout))


def _revoke_earlier(endpoint: settings.ApiEndpoint, earlier: settings.Token, timeout: float) -> str:
    """Revoke the token an earlier `invoke login` stored; a line saying what became of it."""
    try:
        answer = revoke(endpoint, earlier, timeout=timeout)
    except LoginError as error:
        line = f"NOTE: the token of the earlier login was not revoked ({error})"
        return masking.mask(line, earlier.reveal())
    if 200 <= answer.status < 300 or answer.status == 401:
        return "The token of the earlier login is revoked"
    line = _status_line(answer, "IXON did not revoke the token of the earlier login")
    return masking.mask(f"NOTE: {line}; it stays valid until it expires", earlier.reveal())


def _ask_credentials(ask: Ask) -> Credentials:
    email = ask("IXON e-mail address", False).strip()
    if not email or "@" not in email or ":" in email or any(c.isspace() for c in email):
        raise LoginError(
            "that is not an e-mail address: give the one you log in to the IXON portal with "
            "(nothing was sent)"
        )
    password = ask("Password (not shown)", True)
    if not password:
        raise LoginError("the password is empty: give your IXON password (nothing was sent)")
    return Credentials(email, password)


def _needs_one_time_password(answer: _Answer) -> bool:
    return not answer.success and any(
        str(item.get("message") or "").strip() == TWO_FACTOR for item in answer.messages
    )


def _token_of(
    answer: _Answer,
    endpoint: settings.ApiEndpoint,
    credentials: Credentials,
    now: datetime | None,
) -> tuple[str, LoggedIn]:
    """The token and who it is for, from IXON's answer; a LoginError saying why not."""
    data = answer.document.get("data") if isinstance(answer.document, dict) else None
    token = str(data.get("secretId") or "") if answer.success and isinstance(data, dict) else ""
    if not token:
        refusal = _login_refusal(answer, endpoint, credentials)
        raise LoginError(masking.mask(refusal, credentials.password, credentials.otp))
    if not ids.TOKEN.fullmatch(token):
        # The URL answered as IXON does, so the URL is not to blame: the token's format is.
        raise LoginError(
            f"{answer.url} gave an access token (secretId) of {len(token)} characters that is "
            f"not the format this workspace takes ({ids.TOKEN_DESCRIPTION}): nothing was "
            "stored; report it to the template's maintainers (ixon_devkit/workspace/ids.py, TOKEN)"
        )
    user = data.get("user") if isinstance(data.get("user"), dict) else {}
    name = str(user.get("name") or user.get("publicId") or credentials.email)
    expires_on = token_file.parse_time(str(data.get("expiresOn") or ""))
    moment = now or datetime.now(UTC)
    if expires_on is None:
        return token, LoggedIn(name, moment + timedelta(seconds=EXPIRES_IN), said_by_ixon=False)
    return token, LoggedIn(name, expires_on)


def _login_refusal(
    answer: _Answer, endpoint: settings.ApiEndpoint, credentials: Credentials
) -> str:
    """Why IXON gave no token, as one line naming the URL asked (nothing was stored)."""
    said = answer.said()
    base = endpoint.base_url
    if answer.document is None or answer.status in (404, 405):
        got = (
            f"HTTP {answer.status}: {said}"
            if answer.document is not None
            else f"HTTP {answer.status} with {answer.content_type or 'no content type'}"
        )
        return (
            f"{answer.url} answered {got}, so {base.value} ({base.name}, set by {base.source}) "
            f"is not IXON's API v2, whose address ends in /api/ "
            f"({settings.DEFAULT_BASE_URL}): correct {base.name} (nothing was stored)"
        )
    if any(item.get("propertyName") == "Api-Application" for item in answer.messages):
        return (
            f"{answer.url} refused the API application {endpoint.application_id.value} "
            f"({said}): check {settings.APPLICATION_ID} (nothing was stored)"
        )
    if _needs_one_time_password(answer):
        return (
            f"{answer.url} still asks for two-factor authentication: the one-time password was "
            "wrong or too old; run `invoke login` again with a fresh one (nothing was stored)"
        )
    if answer.status in (400, 401, 403):
        what = (
            "e-mail address, password or one-time password"
            if credentials.otp
            else "e-mail address and password"
        )
        return (
            f"IXON refused the {what} (HTTP {answer.status} from {answer.url}: {said}): check "
            "them and run `invoke login` again (nothing was stored)"
        )
    return _status_line(answer, "IXON gave no access token") + " (nothing was stored)"


def _status_line(answer: _Answer, what: str) -> str:
    if answer.status == 429:
        return (
            f"{what}: IXON limits requests per address (HTTP 429 from {answer.url}: "
            f"{answer.said()}); wait ten minutes and try again"
        )
    if answer.status >= 500:
        return (
            f"{what}: IXON's API answered HTTP {answer.status} at {answer.url} "
            f"({answer.said()}): IXON has a problem; try again later"
        )
    return f"{what} (HTTP {answer.status} from {answer.url}: {answer.said()})"


@dataclass(frozen=True)
class LoggedOut:
    """What `invoke logout` did."""

    removed: bool
    message: str


def log_out(
    root: Path,
    *,
    environ: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT,
    trust: str = "",
    confirm: Confirm | None = None,
) -> LoggedOut:
    """Revoke the token of `.accesstoken` at IXON, then remove the file. When IXON does not
    revoke it (unreachable, 5xx, ...), the file stays and a LoginError says so. A base URL
    neither IXON's nor loopback needs `trust` or a yes to `confirm` (`check_destination`)."""
    path = root / settings.TOKEN_FILE
    if not path.is_file():
        token_file.remove(root)
        return LoggedOut(False, f"Not logged in: there is no {settings.TOKEN_FILE}")
    token = settings.load_token(root, environ={}, warn=lambda _line: None)
    endpoint = settings.load_api_endpoint(root, environ)
    check_destination(endpoint, f"the token of {settings.TOKEN_FILE}", trust=trust, confirm=confirm)
    known = token_file.expiry(root)
    try:
        answer = revoke(endpoint, token, timeout=timeout)
    except LoginError as error:
        raise LoginError(masking.mask(_kept(str(error), known), token.reveal())) from None
    if 200 <= answer.status < 300:
        token_file.remove(root)
        return LoggedOut(
            True, f"Logged out: IXON revoked the token, and {settings.TOKEN_FILE} is removed"
        )
    if answer.status == 401:
        token_file.remove(root)
        return LoggedOut(
            True,
            f"IXON no longer accepts the token (expired or revoked before): "
            f"{settings.TOKEN_FILE} is removed",
        )
    line = _status_line(answer, "IXON did not revoke the token")
    raise LoginError(masking.mask(_kept(line, known), token.reveal()))


def revoke(
    endpoint: settings.ApiEndpoint, token: settings.Token, *, timeout: float = TIMEOUT
) -> _Answer:
    """DELETE `access-tokens/me` with `token`: IXON's answer, whatever it is."""
    return _send(
        "DELETE",
        endpoint.base_url.value + "access-tokens/me",
        _headers(endpoint, f"Bearer {token.reveal()}"),
        None,
        timeout=timeout,
        what="revoke the token",
    )


def _kept(problem: str, known: token_file.Expiry | None) -> str:
    until = f" (until {known.shown()})" if known else ""
    return (
        f"{problem}; {settings.TOKEN_FILE} is kept, since the token still works{until}: run "
        f"`invoke logout` again later, or delete {settings.TOKEN_FILE} to forget the token "
        "without revoking it"
    )


def describe(logged_in: LoggedIn, environ: Mapping[str, str] | None = None) -> list[str]:
    """What `invoke login` prints: who, until when, where the token is (never the token)."""
    environ = os.environ if environ is None else environ
    until = token_file.show_time(logged_in.expires_on)
    how = "" if logged_in.said_by_ixon else " (30 days, as asked; IXON did not say)"
    lines = [
        f"Logged in to IXON as {logged_in.user} until {until}{how}: the token is in "
        f"{settings.TOKEN_FILE}, readable by you only (`invoke logout` revokes it)"
    ]
    if logged_in.previous:
        lines.append(logged_in.previous)
    if environ.get(settings.ACCESS_TOKEN, "").strip():
        lines.append(
            f"NOTE: {settings.ACCESS_TOKEN} is set in this shell, and the tasks use it instead "
            f"of {settings.TOKEN_FILE} while it is set"
        )
    return lines
