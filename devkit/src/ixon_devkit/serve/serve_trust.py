"""Whom `invoke serve` answers: its owner's tools and pages, never any web page.

Serve hands the functions the developer's IXON access token, so it is guarded like the token:

- `Host` must name the address serve listens on, with its port (`localhost`, `127.0.0.1` or
  `[::1]` on loopback; an IP address or this machine's name when it listens on every
  address): a page whose own name was pointed at this machine (DNS rebinding) is refused;
- a request from a browser page (it carries `Origin`) is answered only for serve's own origin
  (its form page), the simulator that `invoke serve` starts, and the origins the user added on
  purpose (`"trusted_origins"` in `workspace.json`, or `--trust-origin`); never `*`;
- a form post (any POST body but JSON, which a page may send without asking first) only
  from serve's own form page;
- a body over BODY_LIMIT bytes is refused before it is read (413);
- a call from no browser page (no `Origin`: curl, scripts, another process of this machine)
  must show the session's secret (`ixon_devkit.serve.serve_secret`: the `X-Devkit-Secret` header
  with the content of `.devkit/serve-secret`, which `invoke call` sends), or is refused (401);
  browser pages are judged by their origin, as above, since they cannot know it (a program
  that forges a trusted page's `Origin` is not stopped by it: only browsers keep to `Origin`);
  GET, HEAD and OPTIONS (the form page, preflights) run nothing and need no secret;
- at most MAX_CONNECTIONS connections are served at once: one more is answered 503 at once
  and closed (a flood of idle connections cannot grow serve's threads without bound);
- no page may frame serve's answers, its form page included (`X-Frame-Options: DENY` and
  `Content-Security-Policy: frame-ancestors 'none'` on every answer): a page of another site
  cannot overlay the form page and have the user click its button (clickjacking).

A refusal is answered with IXON's error JSON, and one line in serve's log names the origin (or
host) and how to trust it, or the secret and where it is.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ixon_devkit.errors import UserError
from ixon_devkit.serve import serve_secret
from ixon_devkit.workspace import settings, workspace_file

#: The largest request body serve reads (bytes); a larger one is answered 413.
BODY_LIMIT = 10 * 1024 * 1024
#: Connections served at once (each on its thread); one more is answered 503 and closed.
MAX_CONNECTIONS = 100
#: Seconds a connection refused for being one too many may send its request (read, unused).
REFUSAL_DRAIN = 0.1
#: Seconds between two log lines about connections refused for being too many.
BUSY_LOG_INTERVAL = 10.0
#: Methods that run no function (the form page, CORS preflights): no secret needed.
_READ_ONLY = ("GET", "HEAD", "OPTIONS")
#: The `workspace.json` key listing origins (like `https://my-tool.example`) allowed to call.
SETTING = "trusted_origins"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARDS = ("", "0.0.0.0", "::")  # noqa: S104 - names of "every address", compared against
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: On every answer: no page of any origin may show it in a frame.
FRAME_HEADERS = (
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", "frame-ancestors 'none'"),
)


class OriginError(UserError):
    """An origin to trust is malformed (or is `*`); the message says what to write instead."""

    exit_code = 2


def normal_origin(text: str, where: str) -> str:
    """`scheme://host[:port]` as a browser sends it in `Origin`; OriginError when `text` is no
    such origin (a path, `*`, `null`, a user name...). `where` names the setting."""
    value = text.strip().rstrip("/")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if (
        parts is None
        or parts.scheme not in _DEFAULT_PORTS
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or parts.username is not None
    ):
        raise OriginError(
            f"{where}: {json.dumps(text)} is not an origin to trust: write one page origin as "
            "scheme://host[:port], like https://tools.example.com or http://localhost:5173 "
            "(no path, and never *: every page on the web could use your token)"
        )
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    if port is None or port == _DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{shown}"
    return f"{parts.scheme}://{shown}:{port}"


def configured_origins(root: Path, extra: Iterable[str] = ()) -> list[str]:
    """The origins the user trusts: `"trusted_origins"` of `workspace.json`, then `extra`
    (`--trust-origin`), each checked (OriginError)."""
    listed = workspace_file.read(root).get(SETTING, [])
    if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
        raise OriginError(
            f'{workspace_file.FILE}: "{SETTING}" must be a list of origins, like '
            '["http://localhost:5173"]'
        )
    origins = [normal_origin(item, f'{workspace_file.FILE} "{SETTING}"') for item in listed]
    origins += [normal_origin(item, "--trust-origin") for item in extra]
    return origins


def simulator_origins(port: int) -> list[str]:
    """The origins of IXON's simulator on `port` (it listens on every address)."""
    return [f"http://localhost:{port}", f"http://127.0.0.1:{port}", f"http://[::1]:{port}"]


def is_wildcard(host: str) -> bool:
    return host in WILDCARDS


def is_loopback(host: str) -> bool:
    """Whether listening on `host` keeps serve on this machine."""
    return settings.is_loopback(host.strip("[]"))


@dataclass(frozen=True)
class Refusal:
    """A request serve does not answer: its status, the answer's message, the log line."""

    status: str
    message: str
    log_line: str

    def body(self) -> bytes:
        """IXON's error JSON with the message."""
        return json.dumps(
            {
                "type": "Error",
                "status": "error",
                "data": [{"message": self.message}],
                "moreAfter": None,
            }
        ).encode("utf-8")

    def raw(self) -> bytes:
        """The whole HTTP answer, for a connection refused before any request is read."""
        body = self.body()
        head = [
            f"HTTP/1.1 {self.status}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            "Connection: close",
            *(f"{name}: {value}" for name, value in FRAME_HEADERS),
        ]
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body

    def answer(self, start_response: Callable[..., Any]) -> list[bytes]:
        body = self.body()
        start_response(
            self.status,
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                *FRAME_HEADERS,
            ],
        )
        return [body]


def _ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Owner:
    """Who serve answers: the names it answers to on `port`, and the origins it trusts."""

    port: int
    hosts: frozenset[str]
    any_ip: bool
    trusted: frozenset[str]
    #: The session's secret that callers without `Origin` show (None: not asked for).
    secret: str | None = field(default=None, repr=False)

    @classmethod
    def listening(
        cls, host: str, port: int, trusted: Iterable[str] = (), secret: str | None = None
    ) -> Owner:
        """The owner of a serve listening on `host`:`port`, with its session `secret`."""
        name = host.strip("[]").lower()
        if is_wildcard(name):
            names = {*LOOPBACK_NAMES, socket.gethostname().lower(), socket.getfqdn().lower()}
            return cls(port, frozenset(names), True, frozenset(trusted), secret)
        names = {name, *(LOOPBACK_NAMES if is_loopback(name) else ())}
        return cls(port, frozenset(names), False, frozenset(trusted), secret)

    def host_allowed(self, header: str) -> bool:
        """Whether a `Host` header names this server (name and port)."""
        try:
            parts = urlsplit(f"//{header}")
            port = parts.port if parts.port is not None else 80
        except ValueError:
            return False
        name = (parts.hostname or "").lower()
        if port != self.port or not name:
            return False
        return name in self.hosts or (self.any_ip and _ip(name))

    def own_origin(self, origin: str) -> bool:
        """Whether `origin` is serve's own (its form page)."""
        parts = urlsplit(origin)
        return parts.scheme == "http" and self.host_allowed(parts.netloc)

    def check(self, environ: dict[str, Any]) -> Refusal | None:
        """The refusal of a request, or None when serve answers it."""
        host = environ.get("HTTP_HOST")
        if host is not None and not self.host_allowed(host):
            return Refusal(
                "403 Forbidden",
                f"this server answers only as {self.shown_hosts()}, not as {host}",
                f"Refused a request for host {host!r}: serve answers only as "
                f"{self.shown_hosts()} (a page reaching it under another name, as DNS "
                "rebinding does, gets nothing; to serve under a name, give it as --host)",
            )
        origin = environ.get("HTTP_ORIGIN")
        method = environ.get("REQUEST_METHOD", "")
        json_body = environ.get("CONTENT_TYPE", "").split(";")[0].strip() == "application/json"
        if origin == "null":
            return Refusal(
                "403 Forbidden",
                "a page without an origin of its own may not call this server",
                f"Refused {method} from a page without an origin of its own (Origin: null: a "
                "sandboxed frame, a local file or a redirect), which cannot be trusted: "
                "serve the page from an http:// origin and trust that one",
            )
        if origin is not None and not self.own_origin(origin):
            if origin not in self.trusted:
                return Refusal(
                    "403 Forbidden",
                    f"origin {origin} may not call this server",
                    f"Refused {method} from the page at {origin}: not an origin this "
                    f'workspace trusts. Only if it is yours: add it to "{SETTING}" in '
                    f"workspace.json, or run invoke serve --trust-origin {origin} (its calls "
                    "then use your IXON access token)",
                )
            if method == "POST" and not json_body:
                return Refusal(
                    "403 Forbidden",
                    "form posts are accepted only from this server's own form page",
                    f"Refused a form post from {origin}: form posts are accepted only from "
                    "serve's own form page (GET /); call with a JSON body",
                )
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > BODY_LIMIT:
            return Refusal(
                "413 Content Too Large",
                f"the body is {length} bytes; this server reads at most {BODY_LIMIT}",
                f"Refused a body of {length} bytes: serve reads at most {BODY_LIMIT} bytes "
                "(invoke docs serving)",
            )
        return self._without_secret(environ, origin, method)

    def _without_secret(
        self, environ: dict[str, Any], origin: str | None, method: str
    ) -> Refusal | None:
        """The refusal of a call that shows no secret and comes from no browser page."""
        if self.secret is None or origin is not None or method in _READ_ONLY:
            return None  # a browser page was judged by its origin in `check`
        if serve_secret.matches(environ.get(serve_secret.ENVIRON_KEY), self.secret):
            return None
        shown = serve_secret.FILE.as_posix()
        return Refusal(
            "401 Unauthorized",
            f"a call from no browser page must show this server's secret: the "
            f"{serve_secret.HEADER} header with the content of {shown} (invoke call sends it)",
            f"Refused {method} without this session's secret: a tool of yours sends the header "
            f"{serve_secret.HEADER} with the content of {shown}, as invoke call does "
            "(invoke docs serving)",
        )

    def shown_hosts(self) -> str:
        names = sorted(f"[{name}]" if ":" in name else name for name in self.hosts)
        shown = " or ".join(f"{name}:{self.port}" for name in names)
        return shown + (" or any of its IP addresses" if self.any_ip else "")


@dataclass
class OwnerOnly:
    """WSGI middleware: refuses what `owner` does not answer; answers CORS only to the origin
    that asked (never `*`, which ixoncdkingress sends); forbids framing every answer."""

    app: Callable[..., Any]
    owner: Owner
    log: Callable[[str], None]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        refusal = self.owner.check(environ)
        if refusal is not None:
            self.log(refusal.log_line)
            return refusal.answer(start_response)
        origin = environ.get("HTTP_ORIGIN")

        def respond(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            replaced = {"access-control-allow-origin", *(k.lower() for k, _ in FRAME_HEADERS)}
            kept = [(k, v) for k, v in headers if k.lower() not in replaced]
            if origin is not None:
                kept += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
            return start_response(status, [*kept, *FRAME_HEADERS], *exc_info)

        return self.app(environ, respond)


class ConnectionCap:
    """A socketserver mixin (before ThreadingMixIn): at most MAX_CONNECTIONS connections are
    served at once; one more is answered 503 at once, unread, and closed, with a log line at
    most every BUSY_LOG_INTERVAL seconds."""

    max_connections = MAX_CONNECTIONS

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots().acquire(blocking=False):
            self._refuse(request)
            return
        try:
            super().process_request(request, client_address)  # type: ignore[misc]
        except BaseException:
            self._slots().release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)  # type: ignore[misc]
        finally:
            self._slots().release()

    def _slots(self) -> threading.BoundedSemaphore:
        slots = self.__dict__.get("_connection_slots")
        if slots is None:  # made on the accepting thread, before any other uses it
            slots = self.__dict__["_connection_slots"] = threading.BoundedSemaphore(
                self.max_connections
            )
        return slots

    def _refuse(self, request: Any) -> None:
        busy = Refusal(
            "503 Service Unavailable",
            f"this server has {self.max_connections} connections open already: try again "
            "in a moment",
            f"Refused connections: {self.max_connections} are open already (the most serve "
            "takes at once; an idle one closes after its timeout): is a tool of yours "
            "opening connections without closing them?",
        )
        with contextlib.suppress(OSError):
            request.settimeout(1)
            request.sendall(busy.raw())
            request.shutdown(socket.SHUT_WR)
            # What the client sent is read (a moment at most): closing on unread bytes would
            # reset the connection, and the client might lose the answer.
            until = time.monotonic() + REFUSAL_DRAIN
            while (left := until - time.monotonic()) > 0:
                request.settimeout(left)
                if not request.recv(65536):
                    break
        self.shutdown_request(request)  # type: ignore[attr-defined]
        now = time.monotonic()
        if now - self.__dict__.get("_busy_logged", -BUSY_LOG_INTERVAL) >= BUSY_LOG_INTERVAL:
            self.__dict__["_busy_logged"] = now
            logging.getLogger("ixon_devkit.serve.serve").warning(busy.log_line)
