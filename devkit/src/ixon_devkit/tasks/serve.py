"""The tasks that run the functions on this machine: serve (with the UI Components' simulator)
and call (`ixon_devkit.tasks` gathers every task).
"""

from __future__ import annotations

import os
import sys

from invoke import Exit

from ixon_devkit.tasks.common import (
    ROOT,
    CommandError,
    ensure_environment,
    nodejs,
    run_in_environment,
    together,
    ui_bundle,
    ui_components,
    user_task,
)
from ixon_devkit.workspace import processes


@user_task(
    iterable=["trust_origin"],
    help={
        "host": "Address to listen on (default 127.0.0.1: this machine only; others need --expose)",
        "port": "Port to listen on (default 8020, as ixoncdkingress)",
        "docdb": "Document store: auto, docker, memory or a mongodb:// URI (invoke docs serving)",
        "functions_only": "Serve only the functions, without IXON's UI simulator (no Node needed)",
        "component": "The UI Component to simulate (default: the first in cdk.config.json)",
        "ui_port": "Port of IXON's UI simulator (default 8000)",
        "allow_unlisted_api": 'Let functions call IXON API names not in "api_access" (local only)',
        "trust_origin": "A page origin (scheme://host:port) that may call too; repeat for more",
        "expose": "Listen on a --host beyond this machine (calls then go without your token)",
        "expose_token": "With --expose: give those calls your IXON access token all the same",
        "same_caller": "Give every call (the simulator's too) the company and agent of "
        'call_context.yaml, as invoke call sends them (workspace.json: "same_caller": true)',
        "production": "Run as IXON Cloud does: signed calls only, no form page, no reload",
    },
)
def serve(
    c,
    *,
    host="127.0.0.1",
    port=8020,
    docdb="auto",
    functions_only=False,
    component="",
    ui_port=8000,
    allow_unlisted_api=False,
    trust_origin=None,
    expose=False,
    expose_token=False,
    same_caller=False,
    production=False,
):
    """Serve the functions on http://127.0.0.1:8020/ and, with UI Components, IXON's simulator.

    Runs ixoncdkingress's own request handling with one document store for the whole run
    (--docdb auto: MongoDB in Docker when a daemon answers, else in memory); edits apply on
    the next call. With UI Components, IXON's simulator (http://localhost:8000/) runs beside
    it and calls it; both print here, prefixed "functions" and "ui"; one Ctrl-C stops both.
    Calls get your IXON API access (.accesstoken or IXON_API_ACCESS_TOKEN).
    """
    simulate = "" if functions_only else _simulated_component(component, ui_port)
    if functions_only and component:
        raise CommandError("--component picks a UI Component to simulate: drop --functions-only")
    env = ensure_environment()
    command = [
        str(env.python),
        "-m",
        "ixon_devkit.serve.serve",
        "--host",
        host,
        "--port",
        str(port),
    ]
    command += ["--docdb", docdb, *(["--allow-unlisted-api"] if allow_unlisted_api else [])]
    command += ["--production"] if production else []
    for origin in trust_origin or []:
        command += ["--trust-origin", origin]
    command += [*(["--expose"] if expose else []), *(["--expose-token"] if expose_token else [])]
    command += ["--same-caller"] if same_caller else []
    node = _node_for_the_ui() if simulate else None
    if node is not None:
        command += ["--simulator-port", str(ui_port)]
    if node is None:
        code = processes.run_foreground(command, ROOT)
        if code != 0:
            raise Exit(code=code)
        return
    print(
        f"Serving the functions on http://{host}:{port}/ and UI Component {simulate} in IXON's "
        f"simulator on http://localhost:{ui_port}/; Ctrl-C stops both"
    )
    if port != 8020:
        print(
            f"NOTE: the simulator calls http://localhost:8020/ unless its settings (the gear, "
            f"Cloud Function URL) say http://localhost:{port}/ (invoke docs ui-components)"
        )
    servers = [
        together.Server("functions", command, ROOT, {**os.environ, "PYTHONUNBUFFERED": "1"}),
        together.Server(
            "ui",
            [*ui_bundle.runner_command(ROOT, node), "simulate", simulate, "--port", str(ui_port)],
            ROOT,
            # The SDK opens a browser through BROWSER; "none" keeps it from trying on servers.
            {**os.environ, "BROWSER": os.environ.get("BROWSER", "none")},
            optional_hint=(
                "IXON's simulator failed (its messages above); the functions are still served: "
                "fix what it says (`invoke setup` reinstalls the Node packages), or use "
                "`invoke serve --functions-only`"
            ),
        ),
    ]
    code = together.Together(servers).run()
    if code != 0:
        raise Exit(code=code)


def _node_for_the_ui() -> nodejs.Node | None:
    """Node with the UI's packages installed; None, said why, when they cannot be: serve then
    serves the functions alone rather than nothing."""
    try:
        return nodejs.ensure(ROOT)
    except nodejs.NodeError as error:
        print(
            f"WARNING: the UI half cannot run, so serving the functions alone: {error} "
            "(`invoke serve --functions-only` serves them without trying the UI)",
            file=sys.stderr,
            flush=True,
        )
        return None


def _simulated_component(wanted: str, ui_port: int) -> str:
    """The UI Component `invoke serve` simulates ("" for none), its port checked first."""
    names = [item.name for item in ui_components.listed(ROOT)]
    if not names:
        if wanted:
            raise CommandError(
                f"there is no UI Component to simulate (--component {wanted}): "
                "`invoke new-component NAME` adds one"
            )
        return ""
    chosen = wanted or names[0]
    if chosen not in names:
        raise CommandError(f"no UI Component named {chosen}; the workspace has: {', '.join(names)}")
    if not together.port_is_free(ui_port):
        raise CommandError(
            f"port {ui_port}, the UI simulator's, is in use (another invoke serve or cdk "
            f"simulate?): stop that, or use --ui-port {ui_port + 1}"
        )
    return chosen


@user_task(
    iterable=["arg"],
    help={
        "name": "The function as module.function, for example example.greet",
        "arg": "An argument as key=value (a string); repeat for more",
        "json": "Arguments as a JSON object, for typed values: '{\"limit\": 5}'",
        "port": "Port of a running invoke serve (default: this workspace's running serve)",
        "remote": "Call the deployed function in IXON Cloud, as the deploy target's company",
        "target": 'With --remote: the deploy target of workspace.json (default: "default_target")',
    },
)
def call(c, name, arg=None, json="", port=0, *, remote=False, target=""):
    """Call a function and print its JSON result (on invoke serve, else in-process).

    Sends the body IXON Cloud sends, with the caller of call_context.yaml. It goes to this
    workspace's running invoke serve (whatever its port); with none running it runs in-process,
    with an empty in-memory document store. With --remote it calls the deployed function
    through IXON's API instead (BackendComponentFunctionCall).
    """
    if target and not remote:
        raise CommandError("--target picks where a --remote call goes: add --remote")
    if remote:
        arguments = [
            "-m",
            "ixon_devkit.cloud.remote_call",
            name,
            *(["--target", target] if target else []),
        ]
    else:
        arguments = ["-m", "ixon_devkit.serve.call", name]
        if port:
            arguments += ["--port", str(port)]
    for item in arg or []:
        arguments += ["--arg", item]
    if json:
        arguments += ["--json", json]
    run_in_environment(*arguments)
