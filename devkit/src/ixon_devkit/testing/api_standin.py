"""A stand-in for IXON's API v2 on loopback: real HTTP, the answers a test declares.

The `ixon_api` fixture starts one for every test that uses it (or that uses `client` or
`function_context`); the functions' API client talks to it exactly as it talks to IXON: a GET
of the base URL for the discovery document, then requests to the discovered links.

    ixon_api.answer("AgentList", data=[{"publicId": "a1", "name": "Pump"}])
    ixon_api.answer("Agent", {"publicId": "a1"}, data={"publicId": "a1", "name": "Pump"})
    ixon_api.answer("AgentList", pages=[[agent1, agent2], [agent3]])  # moreAfter paging
    ixon_api.answer("MyUser", status=401, error="Invalid access token")
    ixon_api.requests  # what arrived: name, method, url_args, query, body, headers (masked)

Logging in and out, as IXON's component SDK (and `invoke login`) does it:

    ixon_api.add_account("ada@example.com", "pw", "Ada Lovelace", otp="123456")
    # POST {base}access-tokens (Basic email:otp:password) answers a new token (secretId) that
    # the stand-in then accepts; "Two Factor Authentication required" without the right OTP.
    # DELETE {base}access-tokens/me revokes the bearer token.
    ixon_api.issued   # token -> the account's e-mail, for every token handed out
    ixon_api.revoked  # the tokens revoked by DELETE access-tokens/me

A request for a name without a declared answer is answered 404 and noted in `undeclared`;
the fixture fails the test with it. Standard library only, so the template's own tests use it
too: their stand-in of the deploy endpoints (`tests/ixon_standin.py`) is built on the same
plumbing (`LoopbackServer`, `JsonHandler`, `error_body`, `select_fields`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ixon_devkit.workspace import masking

#: The access token the tests' calls carry: a stand-in's, never a real one.
TEST_TOKEN = "StandInToken00000000000000000000"  # noqa: S105 - not a secret
TEST_APPLICATION_ID = "StandInApp01"
#: IXON's query parameter for the next page: the previous answer's `moreAfter`.
PAGE_AFTER = "page-after"
#: URL arguments of common discovery names (others take the ones their answers declare).
URL_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "Agent": ("publicId",),
    "Asset": ("publicId",),
    "Company": ("publicId",),
    "User": ("publicId",),
    "Group": ("publicId",),
    "AgentDataSourceList": ("agentId",),
    "AgentDataTagList": ("agentId",),
}
#: Names in every discovery document, answered or not (so a call of one reaches the stand-in
#: and is reported as undeclared, rather than failing inside the client).
COMMON_NAMES = (
    "AgentList",
    "Agent",
    "AssetList",
    "Asset",
    "MyUser",
    "MyCompany",
    "CompanyList",
    "Company",
    "UserList",
    "User",
    "GroupList",
    "Group",
    "AgentDataSourceList",
    "AgentDataTagList",
)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
#: What the stand-in answers a login it refuses (IXON's wording is not documented; the shape is).
WRONG_CREDENTIALS = "Invalid e-mail address or password"
TWO_FACTOR = "Two Factor Authentication required"
#: The lifetime IXON allows a token to ask for (OpenAPI: expiresIn from 60 to 5,184,000 s).
EXPIRES_IN_RANGE = (60, 5184000)


def error_body(message: str, property_name: str | None = None) -> dict[str, Any]:
    """IXON's error answer."""
    return {
        "type": "Error",
        "status": "error",
        "data": [{"message": message, "propertyName": property_name}],
        "moreAfter": None,
    }


def _split_fields(text: str) -> list[str]:
    """`a,b(c,d),e.f` -> `["a", "b(c,d)", "e.f"]`: commas inside parentheses stay."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current += char
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def select_fields(data: Any, fields: str | None) -> Any:
    """`data` cut down to IXON's `fields` selection, as the API answers it.

    IXON's OpenAPI description (0.1.294, the `fields` query parameter): "Use "*" for all the
    top-level fields ... To get the fields of a subresource do subresource.field or for multiple
    fields of one subresource do subresource(field,field)". Without `fields` IXON answers its
    default fields; the stand-in answers all it has. Lists are selected item by item.
    """
    if fields is None or isinstance(data, (str, int, float, bool)) or data is None:
        return data
    if isinstance(data, list):
        return [select_fields(item, fields) for item in data]
    chosen: dict[str, list[str]] = {}
    for part in _split_fields(fields):
        if part == "*":
            for key in data:
                chosen.setdefault(key, [])
            continue
        name, _, rest = part.partition(".")
        if "(" in name and name.endswith(")"):
            name, inner = name[:-1].split("(", 1)
            chosen.setdefault(name, []).append(inner)
        else:
            chosen.setdefault(name, [])
            if rest:
                chosen[name].append(rest)
    selected = {}
    for name, inner in chosen.items():
        if name in data:
            value = data[name]
            selected[name] = select_fields(value, ",".join(inner)) if inner else value
    return selected


def how_to_declare(name: str, method: str = "GET") -> str:
    """The line that declares an answer for `name`."""
    data = "[...]" if name.endswith("List") else "{...}"
    if method == "GET":
        return f'ixon_api.answer("{name}", data={data})'
    return f'ixon_api.answer("{name}", method="{method}", data={data})'


@dataclass
class Answer:
    """A declared answer: for `method` (None: any) and `url_args` (None: any)."""

    name: str
    method: str | None
    url_args: dict[str, str] | None
    status: int
    data: Any
    error: str | None
    property_name: str | None
    more_after: str | None
    pages: list[list[Any]] | None

    def matches(self, method: str, url_args: dict[str, str]) -> bool:
        if self.method is not None and self.method != method:
            return False
        if self.url_args is None:
            return True
        return all(url_args.get(key) == str(value) for key, value in self.url_args.items())

    def body(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        if self.error is not None or self.status >= 400:
            message = self.error or f"HTTP {self.status}"
            return (400 if self.status < 400 else self.status), error_body(
                message, self.property_name
            )
        data, more_after = self.data, self.more_after
        if self.pages is not None:
            after = (query.get(PAGE_AFTER) or [""])[0]
            index = int(after.removeprefix("page-")) if after.startswith("page-") else 0
            if after and not (after.startswith("page-") and 0 < index < len(self.pages)):
                return 400, error_body(f"Invalid {PAGE_AFTER} value", PAGE_AFTER)
            data = self.pages[index]
            more_after = f"page-{index + 1}" if index + 1 < len(self.pages) else None
        return self.status, {
            "type": self.name,
            "data": data,
            "moreAfter": more_after,
            "status": "success",
        }


@dataclass
class ApiRequest:
    """A request as the stand-in received it; the Authorization header masked."""

    name: str
    method: str
    url_args: dict[str, str]
    query: dict[str, Any]
    body: Any
    headers: dict[str, str]
    status: int = 0


#: How often a server thread looks for `stop()` (what a stop waits at most).
POLL_INTERVAL = 0.01


class JsonHandler(BaseHTTPRequestHandler):
    """The request handler of a stand-in: quiet, HTTP/1.1, JSON answers; `api` is its owner."""

    api: Any
    protocol_version = "HTTP/1.1"
    # The headers and the body go out as two writes: without this, Nagle's algorithm holds the
    # body back until the client's delayed ACK (some 40 ms for every request).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read what the stand-in recorded."""

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, status: int, body: Any) -> None:
        content = json.dumps(body).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)
        except (BrokenPipeError, ConnectionResetError):
            pass


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1, a free port, for a stand-in: `handler` (a
    `JsonHandler` subclass) answers, with the stand-in as its `api`."""

    handler: type[JsonHandler]
    _server: ThreadingHTTPServer | None = None

    def start(self) -> Any:
        owner = self

        class Handler(self.handler):  # type: ignore[name-defined, misc]
            api = owner

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("start the stand-in first")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """The API's base URL (what IXON_API_BASE_URL says to reach it)."""
        return f"http://127.0.0.1:{self.port}/api/"


@dataclass(frozen=True)
class Account:
    """A user who can log in (`POST access-tokens`); with `otp`, two-factor authentication."""

    email: str
    password: str = field(repr=False)
    name: str
    otp: str | None = field(default=None, repr=False)
    public_id: str = "StandInUser1"


@dataclass
class ApiStandIn(LoopbackServer):
    """IXON's API v2 for one access token (the test token unless another is given), and the
    tokens handed out by logging in."""

    token: str = TEST_TOKEN
    requests: list[ApiRequest] = field(default_factory=list)
    undeclared: list[str] = field(default_factory=list)
    accounts: dict[str, Account] = field(default_factory=dict)
    issued: dict[str, str] = field(default_factory=dict)
    revoked: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._answers: dict[str, list[Answer]] = {}
        self._lock = threading.Lock()
        self._server = None
        self.handler = _Handler

    def reset(self) -> None:
        """Forget what tests declared and what arrived: answers, requests, accounts, tokens
        (a running server keeps running, for the next test)."""
        with self._lock:
            self._answers.clear()
            self.requests.clear()
            self.undeclared.clear()
            self.accounts.clear()
            self.issued.clear()
            self.revoked.clear()

    # -- declaring -----------------------------------------------------------------------------

    def answer(
        self,
        name: str,
        url_args: dict[str, str] | None = None,
        *,
        data: Any = None,
        method: str | None = None,
        status: int = 200,
        error: str | None = None,
        property_name: str | None = None,
        more_after: str | None = None,
        pages: list[list[Any]] | None = None,
    ) -> None:
        """Answer requests for discovery name `name` (those with `url_args` only, when given;
        `method` only, when given): `data` with `status`, or IXON's error body with `error`,
        or `pages` one at a time through `moreAfter`. A later answer overrides an earlier one."""
        if not _NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a discovery name (letters and digits)")
        declared = Answer(
            name,
            method.upper() if method else None,
            {key: str(value) for key, value in url_args.items()} if url_args else None,
            status,
            data,
            error,
            property_name,
            more_after,
            [list(page) for page in pages] if pages is not None else None,
        )
        with self._lock:
            self._answers.setdefault(name, []).insert(0, declared)

    def add_account(
        self, email: str, password: str, name: str, *, otp: str | None = None
    ) -> Account:
        """A user who can log in; with `otp`, only with that one-time password too."""
        account = Account(email, password, name, otp)
        with self._lock:
            self.accounts[email] = account
        return account

    def accepts(self, authorization: str | None) -> bool:
        """Whether `authorization` carries the test token or a token logged in and not revoked."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme != "Bearer":
            return False
        with self._lock:
            return token == self.token or (token in self.issued and token not in self.revoked)

    def calls(self, name: str) -> list[ApiRequest]:
        """The requests for `name`, in order."""
        return [request for request in self.requests if request.name == name]

    # -- answering -----------------------------------------------------------------------------

    def url_arguments(self, name: str) -> tuple[str, ...]:
        names = list(URL_ARGUMENTS.get(name, ()))
        for declared in reversed(self._answers.get(name, [])):
            for key in declared.url_args or {}:
                if key not in names:
                    names.append(key)
        return tuple(names)

    def discovery(self) -> dict[str, Any]:
        with self._lock:
            names = sorted({*COMMON_NAMES, *self._answers})
            links = []
            for name in names:
                placeholders = "".join("/{" + key + "}" for key in self.url_arguments(name))
                links.append({"rel": name, "href": f"{self.base_url}n/{name}{placeholders}"})
        return {"type": "Discovery", "data": links, "moreAfter": None, "status": "success"}

    def handle(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(path)
        segments = [unquote(part) for part in parts.path.split("/") if part]
        if segments[:1] != ["api"]:
            return 404, error_body("Not found")
        if segments == ["api"] and method == "GET":
            return 200, self.discovery()
        if segments[1:2] == ["access-tokens"]:
            return self._access_tokens(method, segments[2:], parts.query, headers, raw)
        if len(segments) < 3 or segments[1] != "n":
            return 404, error_body("Not found")
        name = segments[2]
        url_args = dict(zip(self.url_arguments(name), segments[3:], strict=False))
        request = ApiRequest(
            name=name,
            method=method,
            url_args=url_args,
            query={
                key: value[0] if len(value) == 1 else value
                for key, value in parse_qs(parts.query, keep_blank_values=True).items()
            },
            body=_body(raw),
            headers=self._masked(headers),
        )
        status, body = self._answer(request, headers, parse_qs(parts.query))
        request.status = status
        with self._lock:
            self.requests.append(request)
        return status, body

    def _answer(
        self, request: ApiRequest, headers: dict[str, str], query: dict[str, list[str]]
    ) -> tuple[int, dict[str, Any]]:
        lowered = {key.lower(): value for key, value in headers.items()}
        if lowered.get("api-version") != "2":
            return 400, error_body("Required header", "Api-Version")
        if not lowered.get("api-application"):
            return 400, error_body("Required header", "Api-Application")
        if not self.accepts(lowered.get("authorization")):
            return 401, error_body("Invalid access token")
        with self._lock:
            answers = list(self._answers.get(request.name, []))
        specific = [answer for answer in answers if answer.url_args is not None]
        generic = [answer for answer in answers if answer.url_args is None]
        for declared in [*specific, *generic]:
            if declared.matches(request.method, request.url_args):
                return declared.body(query)
        arguments = f" with url_args {request.url_args}" if request.url_args else ""
        line = (
            f"{request.method} {request.name}{arguments} has no declared answer: declare one "
            f"in the test, like {how_to_declare(request.name, request.method)}"
        )
        with self._lock:
            self.undeclared.append(line)
        return 404, error_body(f"IXON API stand-in: {line}")

    def _masked(self, headers: dict[str, str]) -> dict[str, str]:
        shown = {}
        with self._lock:
            tokens = [token for token in (self.token, *self.issued) if token]
        for key, value in headers.items():
            if key.lower() == "authorization":
                scheme = value.split(" ", 1)[0] if " " in value else ""
                shown[key] = f"{scheme} ********".strip()
            else:
                shown[key] = masking.mask(value, *tokens)
        return shown

    # -- logging in and out (outside discovery: IXON's SDK posts to these paths directly) --------

    def _access_tokens(
        self, method: str, rest: list[str], query: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, Any]]:
        me = rest == ["me"]
        request = ApiRequest(
            name="AccessToken" if me else "AccessTokenList",
            method=method,
            url_args={"publicId": "me"} if me else {},
            query={key: value[0] for key, value in parse_qs(query).items()},
            body=_body(raw),
            headers=self._masked(headers),
        )
        lowered = {key.lower(): value for key, value in headers.items()}
        if lowered.get("api-version") != "2":
            status, body = 400, error_body("Required header", "Api-Version")
        elif not lowered.get("api-application"):
            status, body = 400, error_body("Required header", "Api-Application")
        elif me and method == "DELETE":
            status, body = self._log_out(lowered.get("authorization"))
        elif not rest and method == "POST":
            status, body = self._log_in(lowered.get("authorization", ""), request.body)
        else:
            status, body = 405, error_body(f"Method {method} not allowed")
        request.status = status
        with self._lock:
            self.requests.append(request)
        return status, body

    def _log_in(self, authorization: str, body: Any) -> tuple[int, dict[str, Any]]:
        expires_in = body.get("expiresIn") if isinstance(body, dict) else None
        low, high = EXPIRES_IN_RANGE
        if not isinstance(expires_in, int) or not low <= expires_in <= high:
            return 400, error_body(f"Value must be from {low} to {high}", "expiresIn")
        scheme, _, encoded = authorization.partition(" ")
        try:
            text = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            text = ""
        email, otp, password = ([*text.split(":", 2), "", ""])[:3]
        with self._lock:
            account = self.accounts.get(email)
        if scheme != "Basic" or account is None or account.password != password:
            return 401, error_body(WRONG_CREDENTIALS)
        if account.otp is not None and otp != account.otp:
            return 401, error_body(TWO_FACTOR)
        token = secrets.token_hex(16)  # 32 characters, as IXON's secretId
        with self._lock:
            self.issued[token] = email
        expires_on = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + expires_in))
        data = {
            "publicId": f"AcTk{len(self.issued):08d}",
            "secretId": token,
            "expiresOn": expires_on,
            "user": {"publicId": account.public_id, "name": account.name},
        }
        return 201, {"type": "AccessToken", "data": data, "moreAfter": None, "status": "success"}

    def _log_out(self, authorization: str | None) -> tuple[int, dict[str, Any]]:
        if not self.accepts(authorization):
            return 401, error_body("Invalid access token")
        token = (authorization or "").partition(" ")[2]
        with self._lock:
            self.revoked.append(token)
        return 200, {"type": "AccessToken", "data": None, "moreAfter": None, "status": "success"}


def _body(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class _Handler(JsonHandler):
    api: ApiStandIn

    def _serve(self) -> None:
        status, body = self.api.handle(
            self.command, self.path, dict(self.headers.items()), self.read_body()
        )
        self.send_json(status, body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve  # noqa: N815 - http.server's names
