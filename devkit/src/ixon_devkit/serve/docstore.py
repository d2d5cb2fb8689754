"""The document store behind `context.document_db_client` while `invoke serve` runs.

IXON Cloud gives every company a MongoDB database. Locally `python -m ixoncdkingress` starts
MongoDB in Docker and cannot serve without it; `invoke serve` chooses one store at start and
keeps that one client for the life of the server:

- `auto` (default): MongoDB in Docker, as ixoncdkingress starts it, when a Docker daemon
  answers; otherwise the embedded in-memory store.
- `docker`: MongoDB in Docker or nothing (an error when no daemon answers).
- `memory`: an embedded in-memory MongoDB (mongomock); data lives as long as the server runs.
- a `mongodb://` (or `mongodb+srv://`) URI: a MongoDB server you already run.

Runs in the workspace environment (needs pymongo, mongomock and the Docker SDK).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ixon_devkit.errors import UserError

MODES = ("auto", "docker", "memory")
URI_SCHEMES = ("mongodb://", "mongodb+srv://")
#: How long a MongoDB server of a URI may take to answer at start.
URI_TIMEOUT_MS = 5000
DOCKER_TIMEOUT_S = 5

WHAT_IT_MEANS = (
    "Calls that carry a company get context.document_db_client (database: the company's "
    "publicId, collection: cloud_function_pid); calls without a company get None, as in IXON Cloud"
)


class DocStoreError(UserError):
    """The chosen store cannot be used; the message says why and what to do."""

    exit_code = 2


@dataclass
class DocumentStore:
    """One Mongo-like client for the whole server, and how to let go of it."""

    client: Any
    kind: str
    description: list[str]
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        """Close the client and remove what was started for it (the Docker container)."""
        for closer in reversed(self._closers):
            closer()
        self._closers.clear()


def check_mode(value: str) -> str:
    """`value` when it names a store mode or is a MongoDB URI; else a DocStoreError."""
    if value in MODES or value.startswith(URI_SCHEMES):
        return value
    raise DocStoreError(f"--docdb must be auto, docker, memory or a mongodb:// URI, not {value!r}")


def masked(uri: str) -> str:
    """`uri` with its password replaced by `***`, fit for a log line."""
    return re.sub(r"(://[^:/@]*:)[^/]*@", r"\1***@", uri)


def open_store(mode: str, config: Any, log: Callable[[str], None]) -> DocumentStore:
    """Open the store `mode` names; `config` is the ixoncdkingress configuration."""
    mode = check_mode(mode)
    if mode == "memory":
        return memory_store()
    if mode.startswith(URI_SCHEMES):
        return uri_store(mode)
    daemon, reason = docker_daemon()
    if daemon is not None:
        try:
            return docker_store(daemon, config, log)
        except DocStoreError as error:
            if mode == "docker":
                raise
            log(f"Docker answers but MongoDB did not start in it ({error}): using memory")
            return memory_store()
    if mode == "docker":
        raise DocStoreError(
            f"--docdb docker needs a running Docker daemon ({reason}): start Docker, "
            "or serve with --docdb memory or --docdb mongodb://..."
        )
    store = memory_store()
    store.description.insert(0, f"No Docker daemon answers ({reason}), so --docdb auto uses:")
    return store


class LazyClient:
    """A Mongo-like client made on first use: the store a call touches, not the server's start,
    pays for importing it (calls that never reach the store never do)."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def made(self) -> Any:
        """The client, made now when it was not yet."""
        with self._lock:
            if self._client is None:
                self._client = self._make()
            return self._client

    def __bool__(self) -> bool:
        return True  # ixoncdkingress asks `if not client` before it uses one

    def __getitem__(self, name: str) -> Any:
        return self.made[name]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # ours, looked up before __init__ set them (copy, pickle)
            raise AttributeError(name)
        return getattr(self.made, name)

    def close(self) -> None:
        """Close the client, if it was ever made."""
        if self._client is not None:
            self._client.close()


def _mongomock_client() -> Any:
    import mongomock  # noqa: PLC0415 - only this mode needs it, at its first use

    return mongomock.MongoClient()


def memory_store() -> DocumentStore:
    """An embedded in-memory MongoDB (mongomock), one for the whole process, made when a call
    first uses it."""
    client = LazyClient(_mongomock_client)
    return DocumentStore(
        client,
        "memory",
        [
            "Document store: embedded in-memory MongoDB (mongomock), for development only.",
            "Its data lives as long as this server runs and is gone when it stops; edits to "
            "functions/ keep it. Use --docdb mongodb://... to keep data between runs.",
        ],
        [client.close],
    )


def uri_store(uri: str) -> DocumentStore:
    """A MongoDB server the developer runs, checked with a ping before serving."""
    from pymongo import MongoClient  # noqa: PLC0415
    from pymongo.errors import ConfigurationError, PyMongoError  # noqa: PLC0415

    shown = masked(uri)
    try:
        client: Any = MongoClient(uri, serverSelectionTimeoutMS=URI_TIMEOUT_MS)
    except (ConfigurationError, ValueError) as error:
        raise DocStoreError(f"{shown} is not a usable MongoDB URI: {error}") from None
    try:
        client.admin.command("ping")
    except PyMongoError as error:
        client.close()
        reason = re.split(r",? \(configured timeouts|, Timeout:", str(error))[0]
        raise DocStoreError(
            f"no MongoDB answers at {shown} ({reason}): start it, fix the URI, "
            "or serve with --docdb memory"
        ) from None
    return DocumentStore(
        client,
        "mongodb",
        [
            f"Document store: your MongoDB at {shown}.",
            "Data stays in that server after this server stops.",
        ],
        [client.close],
    )


def docker_daemon() -> tuple[Any, str]:
    """A Docker SDK client when a daemon answers, else None and the reason."""
    try:
        import docker  # noqa: PLC0415 - ixoncdkingress depends on it
    except ImportError:
        return None, "the docker package is not installed"
    try:
        daemon = docker.from_env(timeout=DOCKER_TIMEOUT_S)
        daemon.ping()
    except Exception as error:  # any failure: no usable daemon
        text = str(error)
        if "FileNotFoundError" in text or "No such file" in text:
            return None, "no Docker daemon socket found"
        if "Connection refused" in text:
            return None, "the Docker daemon refuses connections"
        return None, _first_line(error)
    return daemon, ""


def docker_store(daemon: Any, config: Any, log: Callable[[str], None]) -> DocumentStore:
    """MongoDB in a Docker container, started and reached exactly as ixoncdkingress does."""
    from ixoncdkingress.webserver import utils as ingress_utils  # noqa: PLC0415

    port = config.document_db_port
    log(f"Document store: starting MongoDB (mongo:6.0.6-jammy) in Docker on localhost:{port} ...")
    daemon.close()
    try:
        container = ingress_utils.setup_mongo_container(config)
    except Exception as error:  # the Docker SDK raises many kinds
        raise DocStoreError(_first_line(error)) from None
    client = ingress_utils.create_mongo_client(config, {})
    return DocumentStore(
        client,
        "docker",
        [
            f"Document store: MongoDB in Docker container ixon-cloud-function-mongo on "
            f"localhost:{port}, as `python -m ixoncdkingress` runs it.",
            "The container and its data are removed when this server stops.",
        ],
        [lambda: ingress_utils.shutdown_mongo_container(config, container), client.close],
    )


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
