"""`invoke serve`: serve the workspace's functions locally, through ixoncdkingress itself.

Requests go through ixoncdkingress's own WSGI application and servlet (the pinned version), so
a call behaves as in IXON Cloud. Ours are only the things around it:

- the document store is chosen once (`ixon_devkit.serve.docstore`) and one client serves every call,
  where ixoncdkingress builds a MongoDB client per request and needs Docker;
- any edit to a `.py` file under `functions/` (helpers too) takes effect on the next call: all
  modules loaded from `functions/` are forgotten and imported afresh, the store stays;
- a JSON body without a `context` gets the caller of `call_context.yaml` (`"context": {}` calls
  without one); the form page at GET / sends exactly the fields filled in; with
  `"same_caller": true` in `workspace.json` (or `--same-caller`) every JSON call, the
  simulator's too, gets the company and agent of `call_context.yaml`, as `invoke call` sends;
- a call that carries no IXON API access of its own gets the developer's (`IXON_API_ACCESS_TOKEN`,
  else `.accesstoken`) and the API application, where IXON Cloud puts them, and the functions'
  API client goes to `IXON_API_BASE_URL` under IXON Cloud's API access rules
  (`ixon_devkit.serve.local_api`); the token is masked in everything this process prints;
- connections are accepted on threads (a browser's idle connection blocks nothing) while calls
  run one at a time, as on ixoncdkingress's single-threaded server;
- SIGINT (Ctrl-C) and SIGTERM (Ctrl-Break on Windows) stop it cleanly: port freed, store
  closed, container removed;
- it answers only its owner (`ixon_devkit.serve.serve_trust`, invoke docs serving): requests for
  another `Host`, from pages of origins it does not trust, form posts from other pages than
  its own form page, calls from no page without the session's secret (written, once it
  listens, to `.devkit/serve-secret`: `ixon_devkit.serve.serve_secret`), bodies over 10 MB and
  connections beyond 100 at once are refused; no page may frame it; it listens beyond this
  machine only with `--expose`, and then gives calls the token only with `--expose-token`;
- a called name runs only a module of `functions/` (`ixon_devkit.workspace.function_names`), and
  it says which functions it serves, at the start and whenever they change;
- every answer carries `X-Devkit-Workspace` (which workspace this is), so `invoke call` never
  calls another workspace's server by mistake; the port is bound exclusively (on Windows too,
  where SO_REUSEADDR would let a second server share it), with a listen backlog deep enough
  for many clients at once.

It listens first: once the options are checked, the port is bound and listening before the
runtime is imported (`ixon_devkit.serve.serve_app`, most of the start), so a call made while serve
starts (`invoke serve & invoke call ...`, the simulator's first calls) waits in the listen
queue instead of being refused, and is answered once all of the above is in place.

Run in the workspace environment with the workspace as the working directory (ixoncdkingress
reads `./context_values.yaml`): `python -m ixon_devkit.serve.serve --port 8020 --docdb auto`.
"""

from __future__ import annotations

import gc

if __name__ == "__main__":  # python -m ixon_devkit.serve.serve: from its first import on (see main)
    gc.disable()

import argparse
import os
import signal
import socket
import sys
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from ixon_devkit.errors import UserError, main_wrapper
from ixon_devkit.serve import docstore, serve_record, serve_secret, serve_trust
from ixon_devkit.workspace import processes, root

ROOT = root.find()
#: Seconds an idle connection (a browser's preconnect) may hold its thread.
IDLE_TIMEOUT = 30
#: Connections the system queues before `accept` (socketserver's default, 5, resets clients
#: when a page opens a few connections while others wait; the system caps it at its own limit).
#: They wait there while serve starts, too.
LISTEN_BACKLOG = 1024


class Handler(WSGIRequestHandler):
    """wsgiref's request handler with a timeout for idle connections."""

    timeout = IDLE_TIMEOUT

    def handle(self) -> None:
        try:
            super().handle()
        except (TimeoutError, ConnectionError):
            # An idle connection (a browser's preconnect) or one the client dropped.
            self.close_connection = True


class ThreadingServer(serve_trust.ConnectionCap, ThreadingMixIn, WSGIServer):
    """wsgiref's server, accepting each connection on its own short-lived thread (at most
    `serve_trust.MAX_CONNECTIONS` at once), bound to its port alone and with a deep listen
    backlog."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = LISTEN_BACKLOG
    # On Windows SO_REUSEADDR lets a second server bind a port in use: bind exclusively there.
    allow_reuse_address = not processes.WINDOWS

    def server_bind(self) -> None:
        exclusive_bind(self.socket)
        super().server_bind()


def exclusive_bind(sock: Any, windows: bool = processes.WINDOWS) -> None:
    """Make `sock` refuse to share its port: SO_EXCLUSIVEADDRUSE on Windows (where a plain
    bind may share a port with a socket that set SO_REUSEADDR); on POSIX a bind never shares a
    listening port, and SO_REUSEADDR (set by socketserver) only allows a quick restart."""
    if windows:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)  # type: ignore[attr-defined]


class ThreadingServer6(ThreadingServer):
    """The same on an IPv6 address."""

    address_family = socket.AF_INET6


class StopSignal:
    """Remembers SIGINT or SIGTERM. A handler must not take locks (`Event.set` does): it runs
    in the main thread, which may hold that very lock at the moment the signal comes."""

    def __init__(self) -> None:
        self.received = False

    def receive(self, signum: int, frame: Any) -> None:
        self.received = True


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="invoke serve", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8020, help="port to listen on (0: any)")
    parser.add_argument("--docdb", default="auto", help="auto, docker, memory or a mongodb:// URI")
    parser.add_argument(
        "--same-caller",
        action="store_true",
        help="give every call the company and agent of call_context.yaml (as invoke call)",
    )
    parser.add_argument(
        "--allow-unlisted-api",
        action="store_true",
        help='let functions call IXON API names that "api_access" of workspace.json lacks',
    )
    parser.add_argument(
        "--production", action="store_true", help="run as IXON Cloud does (signed calls only)"
    )
    parser.add_argument(
        "--trust-origin",
        action="append",
        default=[],
        help="a page origin (scheme://host:port) that may call, besides trusted_origins",
    )
    parser.add_argument(
        "--simulator-port", type=int, default=0, help="port of the IXON simulator serve started"
    )
    parser.add_argument("--expose", action="store_true", help="allow a --host beyond this machine")
    parser.add_argument(
        "--expose-token",
        action="store_true",
        help="with --expose: give calls your IXON access token all the same",
    )
    return parser.parse_args(argv)


class ExposeError(UserError):
    """A --host beyond this machine without --expose; the message says what it would expose."""

    exit_code = 2


def check_exposure(arguments: argparse.Namespace) -> None:
    """Refuse a non-loopback --host unless --expose says so; --expose-token only with it."""
    if arguments.expose_token and not arguments.expose:
        raise ExposeError("--expose-token goes with --expose (and a --host beyond this machine)")
    if arguments.expose or serve_trust.is_loopback(arguments.host):
        return
    raise ExposeError(
        f"--host {arguments.host} listens beyond this machine: anyone who reaches it could "
        "call your functions, and through them IXON with your access token. Add --expose to "
        "do it anyway (calls then go without your token; --expose-token gives them yours), "
        "or leave --host out (127.0.0.1)"
    )


def listen(host: str, port: int) -> ThreadingServer | None:
    """The server bound to `host`:`port` and listening (not yet accepting); None, after its
    one ERROR line, when the port cannot be had."""
    server_class = ThreadingServer6 if ":" in host else ThreadingServer
    try:
        return server_class((host, port), Handler)
    except OSError as error:
        print(
            f"ERROR: cannot listen on {host}:{port} ({error.strerror}): "
            "is another server running there? Stop it or choose another --port",
            file=sys.stderr,
        )
        return None


@main_wrapper
def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; 0 after a clean stop, 2 when it cannot start."""
    # The start makes some 50,000 objects that live as long as serve does: looking for garbage
    # among them finds none, and took about 20 ms of a 0.3 s start here. serve_app freezes
    # them (no later collection looks at them again) and collects as usual once it serves.
    gc.disable()
    arguments = parse_arguments(argv)
    os.chdir(ROOT)

    docstore.check_mode(arguments.docdb)
    if not 0 <= arguments.port <= 65535:
        raise docstore.DocStoreError(f"--port must be 0 to 65535, not {arguments.port}")
    check_exposure(arguments)
    trusted = serve_trust.configured_origins(ROOT, arguments.trust_origin)
    if arguments.simulator_port:
        trusted += serve_trust.simulator_origins(arguments.simulator_port)

    stop = StopSignal()
    for sig in processes.stop_signals():
        signal.signal(sig, stop.receive)
    server = listen(arguments.host, arguments.port)
    if server is None:
        return 2
    secret = ""
    try:
        # For the calls that queue from here on; written before serve.json names this serve,
        # so an `invoke call` that finds the serve finds its secret too.
        secret = serve_secret.create(ROOT)
        serve_record.write(ROOT, server.server_address[1])  # where `invoke call` finds it
        # Calls queue from here on; nothing answers them before the trust rules are in place.
        from ixon_devkit.serve import serve_app  # noqa: PLC0415 - the runtime, once it listens

        return serve_app.run(arguments, server, stop, trusted, secret=secret)
    finally:
        serve_record.remove(ROOT)
        server.server_close()
        if secret:
            serve_secret.remove(ROOT, secret)


if __name__ == "__main__":
    sys.exit(main())
