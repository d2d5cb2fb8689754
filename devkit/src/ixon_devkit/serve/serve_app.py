"""`invoke serve` once it listens: ixoncdkingress's application, with what serve adds around it.

`ixon_devkit.serve.serve` (the command) binds the port first, so that calls made while serve
starts wait in the listen queue; then it imports this module, which loads the runtime (the
bulk of the start) and answers them: the document store, the IXON API access, the reload of
`functions/`, the caller of `call_context.yaml` and the trust rules (`serve_trust`) all in
place before the first call is accepted. The module docstring of `ixon_devkit.serve.serve` says
what each of them does.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import importlib
import importlib.util
import io
import json
import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ixon_devkit.cloud import token_file
from ixon_devkit.serve import docstore, ingress, local_api, serve_secret, serve_trust
from ixon_devkit.serve import request_body as calls
from ixon_devkit.workspace import function_names, ids, masking, root, settings

ROOT = root.find()
ERROR_HEADER = "X-Devkit-Error"
ERROR_BODY = b"A server error occurred. Please contact the administrator."
#: Seconds between looks at functions/ for changes to the functions served.
SURVEY_INTERVAL = 1.0
#: Seconds after the start before the first listing of the functions served.
FIRST_SURVEY_AFTER = 0.3


class FunctionsWatch:
    """Notices edits under `functions/` and makes the next import load them afresh."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self._seen = self.fingerprint()

    def fingerprint(self) -> dict[str, tuple[int, int]]:
        """Modification time and size of every `.py` file under the folder."""
        found: dict[str, tuple[int, int]] = {}
        pending = [str(self.folder)]
        while pending:
            try:
                entries = list(os.scandir(pending.pop()))
            except OSError:
                continue
            for entry in entries:
                if entry.is_dir() and entry.name != "__pycache__":
                    pending.append(entry.path)
                elif entry.name.endswith(".py"):
                    try:
                        stat = entry.stat()
                    except OSError:
                        continue
                    found[entry.path] = (stat.st_mtime_ns, stat.st_size)
        return found

    def check(self) -> list[str]:
        """The files added, changed or removed since the last check; reloads when any."""
        current = self.fingerprint()
        if current == self._seen:
            return []
        changed = sorted(
            path
            for path in set(current) | set(self._seen)
            if current.get(path) != self._seen.get(path)
        )
        self._seen = current
        self.forget(changed)
        return changed

    def forget(self, changed: list[str]) -> int:
        """Drop every module loaded from the folder; the number dropped."""
        for path in changed:
            # An edit within the same second and of the same size would pass the bytecode
            # cache's check (whole seconds and size) and run the old code.
            with contextlib.suppress(OSError, ValueError, NotImplementedError):
                Path(importlib.util.cache_from_source(path)).unlink()
        prefix = os.path.normcase(str(self.folder)) + os.sep
        dropped = 0
        for name, module in list(sys.modules.items()):
            origin = getattr(module, "__file__", None) or ""
            loaded_here = os.path.normcase(os.path.abspath(origin)).startswith(prefix)
            if loaded_here or name == "functions" or name.startswith("functions."):
                del sys.modules[name]
                dropped += 1
        importlib.invalidate_caches()
        from ixoncdkingress.function import caller  # noqa: PLC0415

        # The agent tool lists are cached for the life of the process.
        for cached in (caller.list_agent_tools, caller.list_agent_tools_issues):
            cached.cache_clear()
        caller.get_app_description.cache_clear()
        return dropped


class CallContext:
    """`call_context.yaml`, read again when it changes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._stamp: int | None = None
        self._value: dict[str, Any] = {}

    def get(self) -> dict[str, Any]:
        """The calling context, as a JSON body's `context`."""

        try:
            stamp = (self.root / calls.CALL_CONTEXT_FILE).stat().st_mtime_ns
        except OSError:
            stamp = None
        if stamp != self._stamp:
            self._value = calls.load_call_context(self.root)
            self._stamp = stamp
        return self._value


@dataclass
class DevelopmentApp:
    """ixoncdkingress's WSGI application with reload, one store and a caller for bare calls."""

    app: Any
    watch: FunctionsWatch
    context: CallContext
    log: Any
    api: local_api.LocalApi | None = None
    same_caller: bool = False
    #: Production mode (`ixon_devkit.ship.production`): the body goes on as signed, no reload.
    production: bool = False
    #: The NOTE line naming where the token goes, when that is neither IXON nor loopback.
    destination: str | None = None
    identity: tuple[str, str] = field(
        init=False, default=(ids.WORKSPACE_HEADER, ids.workspace_identity(ROOT))
    )
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _listed: bool = field(init=False, default=False)
    _extra: list[tuple[str, str]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        if self.production:
            from ixon_devkit.ship import production  # noqa: PLC0415 - only this mode needs it

            self._extra.append((production.MODE_HEADER, "production"))
        if self.destination:  # a header holds latin-1 on one line
            shown = self.destination.encode("ascii", "replace").decode().replace("\n", " ")
            self._extra.append((ids.DESTINATION_HEADER, shown))

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        def respond(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            return start_response(status, [*headers, self.identity, *self._extra], *exc_info)

        return self._answer(environ, respond)

    def _answer(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = _read_body(environ)
        with self._lock:
            if not self.production:
                self._refresh()
            body = body if self.production else self._with_context(environ, body)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            path = list(sys.path)
            try:
                return list(self.app(environ, start_response))
            except Exception as error:  # answered as wsgiref answers it
                traceback.print_exc()
                summary = f"{type(error).__name__}: {error}".splitlines()[0][:500]
                if self.api is not None:
                    summary = masking.mask(summary, self.api.last_secret)
                headers = [
                    ("Content-Type", "text/plain"),
                    ("Content-Length", str(len(ERROR_BODY))),
                    (ERROR_HEADER, summary.encode("ascii", "replace").decode("ascii")),
                ]
                start_response("500 Internal Server Error", headers, sys.exc_info())
                return [ERROR_BODY]
            finally:
                # ixoncdkingress leaves functions/ on sys.path when an import fails.
                sys.path[:] = path

    def _refresh(self) -> None:
        """Forget the modules of changed files (under the lock); the listing is then due."""
        changed = self.watch.check()
        if changed:
            names = ", ".join(os.path.relpath(path, ROOT) for path in changed)
            self.log.info("Changed: %s; functions/ is imported afresh", names)
            self._listed = False

    def survey(self) -> None:
        """Say which functions are served: at the start, and after files changed."""
        with self._lock:
            self._refresh()
            if self._listed:
                return
            self._listed = True
            path = list(sys.path)
            try:
                catalogue = function_names.exposed(self.watch.folder)
            finally:
                sys.path[:] = path
        for line in describe_catalogue(catalogue):
            self.log.info(line)

    def _with_context(self, environ: dict[str, Any], body: bytes) -> bytes:
        json_post = environ.get("REQUEST_METHOD") == "POST" and environ.get(
            "CONTENT_TYPE", ""
        ).startswith("application/json")
        if not json_post:
            return body
        try:
            parsed = json.loads(body)
        except ValueError:
            return body  # ixoncdkingress answers it as it does in IXON Cloud
        if not isinstance(parsed, dict):
            return body
        if "context" not in parsed or (self.same_caller and isinstance(parsed["context"], dict)):
            try:
                caller = self.context.get()
                parsed["context"] = (
                    calls.with_shared_caller(parsed["context"], caller)
                    if "context" in parsed
                    else caller
                )
            except Exception as error:  # the call goes on with the caller it had
                self.log.warning("call_context.yaml not used: %s", error)
        body = json.dumps(parsed).encode("utf-8")
        # The token goes in last, into this call's bytes only: nothing keeps or logs them.
        return self.api.add_access_to_body(body) if self.api is not None else body


def describe_catalogue(catalogue: function_names.Catalogue) -> list[str]:
    """Serve's listing: one line per function (module.function, agentic or not), then one per
    module that does not import."""
    count = len(catalogue.functions)
    lines = [
        f"Functions served ({count}; a UI Component calls them by these names):"
        if count
        else "No functions served yet: mark one with @FunctionContext.expose (invoke new NAME)"
    ]
    lines += [f"  {item.describe()}" for item in catalogue.functions]
    lines += [f"  {path} does not import: {error}" for path, error in catalogue.broken]
    return lines


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _withheld_token() -> settings.Token:
    raise settings.SettingsError(
        "serve listens beyond this machine (--expose) without --expose-token"
    )


class MaskingStream:
    """A text stream that masks the access token in everything written through it: the one
    `secret` returns at the time of writing."""

    def __init__(self, stream: Any, secret: Callable[[], str]) -> None:
        self._stream = stream
        self._secret = secret

    def write(self, text: str) -> int:
        self._stream.write(masking.mask(text, self._secret()))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def make_logger(config: Any) -> logging.Logger:
    """Our log lines, on stdout in ixoncdkingress's format."""
    logger = logging.getLogger("ixon_devkit.serve.serve")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter(config.logger_format))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def run(
    arguments: Any, server: Any, stop: Any, trusted: list[str], secret: str | None = None
) -> int:
    """Serve on `server` (bound and listening) until `stop` says so; 0 after a clean stop.
    Callers from no browser page show `secret` (`ixon_devkit.serve.serve_secret`)."""
    ingress.enter_import_world(ROOT)
    api = local_api.for_workspace(
        ROOT, "serve", _api_report, allow_unlisted=arguments.allow_unlisted_api
    )
    if arguments.expose and not arguments.expose_token:
        api = dataclasses.replace(
            api,
            token=_withheld_token,
            hint="serve listens beyond this machine: restart it with --expose-token to give "
            "calls your token, or without --host",
        )
    # Whatever prints (a function, ixoncdkingress, a traceback): never the token.
    sys.stdout = MaskingStream(sys.stdout, lambda: api.last_secret)
    sys.stderr = MaskingStream(sys.stderr, lambda: api.last_secret)
    config = ingress.make_config(
        ROOT,
        host=arguments.host,
        port=arguments.port,
        log_level=None,
        environ={**os.environ, "API_CLIENT_BASE_URL": api.base_url},
    )
    log = make_logger(config)
    if arguments.production:
        from ixon_devkit.ship import production  # noqa: PLC0415 - only this mode needs it

        made = production.load_keys(ROOT) is None
        production.configure(config, production.ensure_keys(ROOT))
        for line in production.lines(made):
            log.info(line)
    api.current_token()  # read now, so that the masks know it
    store = docstore.open_store(arguments.docdb, config, log.info)
    for line in [*store.description, docstore.WHAT_IT_MEANS]:
        log.info(line)
    note = ingress.context_files_note(ROOT)
    if note:
        log.warning(note)
    for line in local_api.describe(api):
        log.info(line)
    destination = local_api.foreign_destination(api, ROOT)
    if destination:
        log.warning(destination)
    age = token_file.warning(ROOT)
    if age:
        log.warning(age.removeprefix("WARNING: "))
    try:
        return _serve(
            arguments,
            server,
            config,
            store,
            log,
            stop=stop,
            api=api,
            trusted=trusted,
            destination=destination,
            secret=secret,
        )
    finally:
        store.close()
        log.info("Stopped: port closed, document store closed")


def describe_owner(arguments: Any, owner: serve_trust.Owner) -> list[str]:
    """What serve says at the start about whom it answers (invoke docs serving)."""
    pages = ["its own form page"]
    if arguments.simulator_port:
        pages.append(f"IXON's simulator on port {arguments.simulator_port}")
    simulator = set(serve_trust.simulator_origins(arguments.simulator_port))
    pages += sorted(set(owner.trusted) - simulator)
    lines = [
        f"Answers requests for {owner.shown_hosts()}; browser pages may call from "
        f'{", ".join(pages)} (more: "{serve_trust.SETTING}" in workspace.json)'
    ]
    if owner.secret is not None:
        lines.append(
            f"Callers other than browser pages (curl, your tools) send the header "
            f"{serve_secret.HEADER} with the content of {serve_secret.FILE.as_posix()} "
            "(invoke call does)"
        )
    if arguments.expose:
        token = "WITH your IXON access token" if arguments.expose_token else "without your token"
        lines.append(
            f"EXPOSED beyond this machine on {arguments.host}: anyone who reaches port "
            f"{owner.port} can call your functions, {token}"
        )
    return lines


def _api_report(line: str) -> None:
    """A refused IXON API call's line (or a warning about the token) in serve's log."""
    logging.getLogger("ixon_devkit.serve.serve").error(line)


def _serve(
    arguments: Any,
    server: Any,
    config: Any,
    store: Any,
    log: Any,
    *,
    stop: Any,
    api: Any,
    trusted: list[str],
    destination: str | None,
    secret: str | None,
) -> int:
    same_caller = arguments.same_caller or calls.same_caller_setting(ROOT)
    app = DevelopmentApp(
        ingress.make_app(config),
        FunctionsWatch(ROOT / "functions"),
        CallContext(ROOT),
        log,
        api,
        same_caller=same_caller,
        production=arguments.production,
        destination=destination,
    )
    if same_caller:
        log.info(
            "Every call gets the company and agent of call_context.yaml (same_caller), as "
            "invoke call sends them: the simulator's calls see the same data"
        )
    owner = serve_trust.Owner.listening(arguments.host, server.server_port, trusted, secret)
    server.set_app(serve_trust.OwnerOnly(app, owner, log.warning))
    address = f"http://{arguments.host}:{server.server_port}/"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2})
    try:
        with ingress.document_store(store.client), api.installed():
            # The socket listened before the runtime loaded (calls wait in its queue): say so
            # before the first answer, which does not wait for the listing of the functions.
            log.info("Serving functions/ on %s (form page: GET /); Ctrl-C stops", address)
            log.info("Edits to functions/ take effect on the next call; the store keeps its data")
            for line in describe_owner(arguments, owner):
                (log.warning if line.startswith("EXPOSED") else log.info)(line)
            gc.freeze()  # what the start made (see serve.main), then garbage collection again
            gc.enable()
            thread.start()
            # The first listing comes a moment after the start, so that the first call, which
            # usually comes at once, does not wait for every module of functions/ to import.
            surveyed = time.monotonic() - SURVEY_INTERVAL + FIRST_SURVEY_AFTER
            while not stop.received and thread.is_alive():
                if time.monotonic() - surveyed >= SURVEY_INTERVAL:
                    app.survey()
                    surveyed = time.monotonic()
                time.sleep(0.2)
            log.info("Stopping")
            server.shutdown()
            thread.join()
    finally:
        server.server_close()
    return 0
