"""How one request to IXON's API travels: a `requests` session whose connections a total
deadline can cut, answers read up to `MAX_ANSWER` bytes, proxies and CA bundles from the
environment applied per request, and the socket's own words for a failed connection.

The client (`ixon_devkit.cloud.api_http`) sends through it; nothing here retries, explains or
masks.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ixon_devkit.workspace.settings import is_loopback

#: Answers larger than this are cut off: we only ever need a short JSON document.
MAX_ANSWER = 1024 * 1024


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


# -- the total deadline ------------------------------------------------------------------------
# requests' timeouts apply to each read, so a server sending a byte a second never times out.
# A watch (one per attempt, found through a thread-local) knows the connections the attempt
# uses and shuts their sockets down when the deadline passes; the blocked read then fails.

_active = threading.local()


class Watch:
    """The deadline of one attempt: when it passes, the attempt's connections are cut."""

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


@contextlib.contextmanager
def watched(seconds: float) -> Iterator[Watch]:
    """A `Watch` of `seconds` over the connections this thread uses while the block runs."""
    watch = Watch(seconds)
    _active.watch = watch
    try:
        yield watch
    finally:
        watch.cancel()
        _active.watch = None


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


# -- reading and sending -----------------------------------------------------------------------


def read_capped(response: requests.Response) -> bytes:
    """The body of `response`, up to `MAX_ANSWER` bytes."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_ANSWER:
            break
    return b"".join(chunks)[:MAX_ANSWER]


def proxies(url: str) -> dict[str, str]:
    """The *_proxy variables' proxy for `url`; none for loopback."""
    if is_loopback(urlsplit(url).hostname or ""):
        return {}
    return requests.utils.get_environ_proxies(url)


def verify() -> bool | str:
    """requests' CA bundle variables, else its own bundle."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def causes(error: BaseException) -> list[BaseException]:
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


def reason(found: list[BaseException]) -> str:
    """The innermost readable reason of `causes`: the socket's own words where there are
    some."""
    for cause in reversed(found):
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
    for cause in reversed(found):
        if isinstance(cause, OSError) and not isinstance(cause, requests.RequestException):
            return str(cause).split(": ", 1)[-1]
    return type(found[0]).__name__
