"""Building blocks for the workspace's tests: a real `FunctionContext` and an in-process client.

`ixon_devkit/testing/fixtures.py` turns these into fixtures. Nothing here needs Docker or a
network: the
document store is an in-memory MongoDB (mongomock) that each test gets fresh.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from wsgiref.util import setup_testing_defaults

from ixoncdkingress.function.api_client import ApiClient
from ixoncdkingress.function.context import FunctionContext, FunctionResource
from ixoncdkingress.webserver.config import load_context_values

from ixon_devkit.serve import docstore, ingress

if TYPE_CHECKING:
    from ixon_devkit.ship import production
from ixon_devkit.serve import request_body as calls
from ixon_devkit.serve.local_api import LocalApi


def resource(data: dict[str, Any] | None, *, with_permissions: bool) -> FunctionResource | None:
    """A `FunctionResource` from its JSON form (`publicId`, `name`, `custom`, `permissions`)."""
    if data is None:
        return None
    permissions = set(data.get("permissions", [])) if with_permissions else None
    return FunctionResource(data["publicId"], data["name"], data.get("custom", {}), permissions)


def make_function_context(
    *,
    config: dict[str, Any],
    call_context: dict[str, Any],
    store: Any,
    collection: str = "cloud_function_pid",
    api_client: ApiClient | None = None,
) -> FunctionContext:
    """A real `FunctionContext` as ixoncdkingress builds it for a call; without `api_client`
    its API client aims at an address that never resolves."""
    return FunctionContext(
        config,
        api_client or ApiClient("https://api.invalid/"),
        store,
        user=resource(call_context.get("user"), with_permissions=False),
        company=resource(call_context.get("company"), with_permissions=True),
        asset=resource(call_context.get("asset"), with_permissions=True),
        agent=resource(call_context.get("agent"), with_permissions=True),
        template=resource(call_context.get("template"), with_permissions=False),
        document_db_collection_name=collection,
    )


def context_values(root: Path = ingress.ROOT) -> dict[str, Any]:
    """The values of `context_values.yaml`, loaded by ixoncdkingress's own loader."""
    with working_directory(root):
        return load_context_values(ingress.make_config(root, log_level="WARNING"))


@contextmanager
def working_directory(path: Path) -> Iterator[None]:
    """Run the block in `path` (ixoncdkingress reads `./context_values.yaml`)."""
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@dataclass
class Response:
    """What the WSGI application answered."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


class FunctionCallError(AssertionError):
    """A call answered something other than 200."""


@dataclass
class FunctionClient:
    """Calls functions through ixoncdkingress's WSGI application, with IXON Cloud's JSON body.

    `call_context` is the calling user, company, asset and agent; `config` is merged over
    `context_values.yaml` the way IXON Cloud's company settings are; `api` is where the
    functions' IXON API calls go, with which access (`ixon_devkit.serve.local_api`; without it
    ixoncdkingress's own client aims at its default address); with `production` (the
    workspace's key pair) the application runs in IXON Cloud's production mode and every call
    is stamped and signed as IXON Cloud signs it (`ixon_devkit.ship.production`).
    """

    root: Path
    call_context: dict[str, Any]
    store: Any = field(default_factory=lambda: docstore.memory_store().client)
    config: dict[str, Any] = field(default_factory=dict)
    api: LocalApi | None = None
    production: production.KeyPair | None = None

    def __post_init__(self) -> None:
        ingress.enter_import_world(self.root)
        settings = {"API_CLIENT_BASE_URL": self.api.base_url} if self.api else None
        self._config = ingress.make_config(self.root, log_level="WARNING", environ=settings)
        if self.production is not None:
            from ixon_devkit.ship import production  # noqa: PLC0415 (cryptography: only when asked)

            production.configure(self._config, self.production)
        self._app = ingress.make_app(self._config)

    def call(self, function: str, /, **arguments: Any) -> Any:
        """Call `function` (`module.function`) and return its JSON result; raise on an error."""
        body = calls.request_body(
            function, arguments, context=self.call_context, config=self.config
        )
        response = self.post(calls.encode(body))
        if response.status != 200:
            raise FunctionCallError(
                f"{function} answered {response.status}: {response.body[:500]!r}"
            )
        return response.json()

    def post(self, body: bytes, content_type: str = "application/json") -> Response:
        """POST raw bytes to the application, as an HTTP client would (a JSON call without
        access of its own gets `api`'s, as `invoke serve` gives it)."""
        if self.api is not None and content_type == "application/json":
            body = self.api.add_access_to_body(body)
        signature = {}
        if self.production is not None and content_type == "application/json":
            from ixon_devkit.ship import production  # noqa: PLC0415

            body = production.fresh(body)
            signature["HTTP_AUTHORIZATION"] = production.authorization(body, self.production)
        environ: dict[str, Any] = {
            **signature,
            "REQUEST_METHOD": "POST",
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
        setup_testing_defaults(environ)
        answered: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info=None) -> None:
            answered["status"] = int(status.split(maxsplit=1)[0])
            answered["headers"] = dict(headers)

        api = self.api.installed() if self.api is not None else nullcontext()
        with working_directory(self.root), ingress.document_store(self.store), api:
            chunks = list(self._app(environ, start_response))
        return Response(answered["status"], answered["headers"], b"".join(chunks))
