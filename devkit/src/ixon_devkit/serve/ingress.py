"""ixoncdkingress's own request handling, set up for this workspace.

Tests, `invoke serve` and `invoke call` all go through here, so a call takes the path it takes
in IXON Cloud: ixoncdkingress's WSGI application, its servlet, its body parsing, its function
lookup and its `FunctionContext`. Two things are ours: where the document store comes from
(ixoncdkingress builds a new MongoDB client for every request and expects a Docker container
to answer on localhost; we hand it one client, chosen once, for the life of the process), and
the functions' IXON API client (`ixon_devkit.serve.local_api`: IXON Cloud's API access rules,
applied locally). And one guard: a called name must resolve to a module file under the
functions folder before ixoncdkingress imports anything (`ixon_devkit.workspace.function_names`).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ixoncdkingress.function.api_client import ApiClient
from ixoncdkingress.webserver import form as ingress_form
from ixoncdkingress.webserver import servlet as ingress_servlet
from ixoncdkingress.webserver import utils as ingress_utils
from ixoncdkingress.webserver import wsgi
from ixoncdkingress.webserver.config import Config, get_config
from ixoncdkingress.webserver.servlet import Servlet

from ixon_devkit.serve import context_files
from ixon_devkit.workspace import function_names, root

ROOT = root.find()
#: The closest served names to one not found, on the answer (its body stays ixoncdkingress's).
CLOSEST_HEADER = "X-Devkit-Closest"
#: Which context values file ixoncdkingress reads (ixon_devkit.serve.context_files, kept light for
#: the tests' header): serve and call say it with these.
CONTEXT_FILES = context_files.CONTEXT_FILES
context_files_note = context_files.context_files_note


def make_config(
    root: Path = ROOT,
    *,
    host: str = "127.0.0.1",
    port: int = 8020,
    log_level: str | None = "INFO",
    environ: Mapping[str, str] | None = None,
) -> Config:
    """An ixoncdkingress development-mode configuration for the workspace at `root`.

    `environ` supplies ixoncdkingress's other settings (`API_CLIENT_BASE_URL`, its logger
    format, ...), as `python -m ixoncdkingress` reads them; ours win over it. With
    `log_level=None` the level comes from `environ` too.
    """
    settings = dict(environ or {})
    settings.update(
        CBC_PATH=str(root / "functions"),
        HTTP_SERVER_BIND=host,
        HTTP_SERVER_PORT=str(port),
        PRODUCTION_MODE="False",
    )
    if log_level is not None:
        settings["LOGGER_LOG_LEVEL"] = log_level
    return get_config(settings)


def make_app(config: Config) -> Callable[..., Any]:
    """ixoncdkingress's WSGI application with its servlet, as `python -m ixoncdkingress` runs,
    calling only names that resolve to the workspace's own modules."""
    guard_function_names()
    return functools.partial(wsgi.restapi_wsgi, config, Servlet(config))


def guard_function_names() -> None:
    """Put the name check in front of the servlet's `call_function` (once per process).

    A name that does not resolve to a module file under `CBC_PATH` is answered as
    ixoncdkingress answers an unknown function, before anything is imported or reloaded; the
    closest served names go into the log and the `X-Devkit-Closest` header."""
    original = ingress_servlet.call_function
    if getattr(original, "unguarded", None) is not None:
        return

    def call_function(
        config: Config, context: Any, location: Any, arguments: Any, response: Any
    ) -> Any:
        functions = Path(config.cbc_path)
        answer = function_names.not_found(location)
        if function_names.resolve_location(location, functions) is not None:
            result = original(config, context, location, arguments, response)
            if result != answer:
                return result
        closest = function_names.exposed(functions).closest(".".join(location))
        if closest:
            response.headers.append((CLOSEST_HEADER, ", ".join(closest)))
        hint = f": did you mean {' or '.join(closest)}?" if closest else ""
        config.get_logger().info("%s%s", answer, hint)
        return answer

    call_function.unguarded = original  # type: ignore[attr-defined]
    ingress_servlet.call_function = call_function


def enter_import_world(root: Path = ROOT) -> None:
    """Resolve modules as ixoncdkingress does in IXON Cloud: the functions folder first on
    `sys.path` (a bare `import helpers` or `from app import x` works), the workspace root after
    it (`from functions import helpers` works). The tests' plugin (ixon_devkit.testing.fixtures)
    enters it too, after loading the runtime, so whatever imports in one imports in all
    (ixon_devkit.workspace.import_world)."""
    for folder in (str(root), str(root / "functions")):
        while folder in sys.path:
            sys.path.remove(folder)
        sys.path.insert(0, folder)


@contextmanager
def document_store(client: Any) -> Iterator[None]:
    """Route every call without a production `dbConfig` to `client` while the block runs.

    `client` is anything shaped like a `pymongo.MongoClient` (`client[db][collection]`).
    Calls that carry `internalConfig.dbConfig` still get ixoncdkingress's own client. Both the
    JSON parser and the form page's parser (which imported the function by name) are routed.
    """
    original = ingress_utils.create_mongo_client
    original_form = ingress_form.create_mongo_client

    def shared_client(cdk_config: Config, internal_config: Mapping[str, object]) -> Any:
        if internal_config.get("dbConfig"):
            return original(cdk_config, internal_config)
        return client

    ingress_utils.create_mongo_client = shared_client
    ingress_form.create_mongo_client = shared_client
    try:
        yield
    finally:
        ingress_utils.create_mongo_client = original
        ingress_form.create_mongo_client = original_form


@contextmanager
def api_clients(
    make_client: Callable[..., Any],
    make_form_client: Callable[[str], Any],
    parsed: Callable[[Any], None] = lambda _client: None,
) -> Iterator[None]:
    """Build the functions' API clients with `make_client` while the block runs.

    `make_client` is called as ixoncdkingress calls `ApiClient(base_url, api_application=...,
    api_company=..., authorization=...)` for a JSON call; `make_form_client(base_url)` for a
    call from the form page, which carries no access; the form call's client then also gets
    the calling company (`Api-Company`), as a JSON call's does. `parsed(client)` is called
    once ixoncdkingress has parsed a JSON call (its own lookups done), before the function runs.
    """
    original_form_parser = ingress_servlet.parse_form_input
    original_json_parser = ingress_servlet.parse_json_input

    def parse_json_input(config: Config, context_config: Any, body: str) -> Any:
        result = original_json_parser(config, context_config, body)
        parsed(result[0].api_client)
        return result

    def parse_form_input(config: Config, context_config: Any, body: str) -> Any:
        parsed = original_form_parser(config, context_config, body)
        company = parsed[0].company
        if company is not None:
            parsed[0].api_client._default_headers["Api-Company"] = company.public_id
        return parsed

    ingress_utils.ApiClient = make_client
    ingress_form.ApiClient = make_form_client
    ingress_servlet.parse_form_input = parse_form_input
    ingress_servlet.parse_json_input = parse_json_input
    try:
        yield
    finally:
        ingress_utils.ApiClient = ApiClient
        ingress_form.ApiClient = ApiClient
        ingress_servlet.parse_form_input = original_form_parser
        ingress_servlet.parse_json_input = original_json_parser
