"""`invoke call`: call one function and print its JSON result on stdout.

The call carries the JSON body IXON Cloud posts (name, arguments, context, config, created_on),
with the calling user, company, asset and agent of `call_context.yaml`. It goes to this
workspace's running `invoke serve`, found through the record serve keeps
(`ixon_devkit.serve.serve_record`) on whatever port it took, or to the one on `--port`; either way
only once that server has said (by its `X-Devkit-Workspace` header) that it serves this very
workspace: another workspace's server, or anything else on the port, is refused. With no
serve of this workspace running (and no `--port`), it runs in this process through the same
ixoncdkingress code, with an empty in-memory document store, whatever else listens on 8020.
Either way a call gets the developer's IXON API access (`ixon_devkit.serve.local_api`) and the
functions' API calls go to `IXON_API_BASE_URL`.

Exit codes: 0 with the result on stdout; 1 when the call failed (the function's error on
stderr); 2 for bad input. Run in the workspace environment:
`python -m ixon_devkit.serve.call example.greet --arg name=Ada`.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import socket
import sys
import traceback
from collections.abc import Callable
from typing import Any

from ixon_devkit.errors import UserError, main_wrapper
from ixon_devkit.serve import context_files, serve_record, serve_secret
from ixon_devkit.serve import request_body as calls
from ixon_devkit.workspace import ids, masking, root

ROOT = root.find()
HOST = "127.0.0.1"
#: IXON Cloud ends a request after 60 seconds; wait a little longer than that.
CALL_TIMEOUT = 70
ERROR_HEADER = "X-Devkit-Error"
#: The closest served names to one not found (ixon_devkit.serve.ingress sets it).
CLOSEST_HEADER = "X-Devkit-Closest"
#: ixoncdkingress answers these as a 200 with a string; they are failures all the same.
FAILURE_ANSWERS = ("Not found, function '", "Document DB operation failure")


class CallError(UserError):
    """The call reached the function (or tried to) and failed; the message says how."""


class InputError(UserError):
    """The command line is wrong; the message says what to do."""

    exit_code = 2


def parse_arguments(raw: list[str], payload: str) -> dict[str, Any]:
    """Keyword arguments from `--json '{...}'` and `--arg key=value` (these as strings)."""
    arguments: dict[str, Any] = {}
    if payload:
        try:
            loaded = json.loads(payload)
        except ValueError as error:
            raise InputError(f"--json is not valid JSON ({error}): give an object") from None
        if not isinstance(loaded, dict):
            raise InputError("--json must be a JSON object of arguments, like '{\"limit\": 5}'")
        arguments.update(loaded)
    for item in raw:
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise InputError(f"--arg {item!r} must look like key=value")
        arguments[key.strip()] = value
    return arguments


def server_answers(port: int) -> bool:
    """Whether something accepts connections on the loopback `port`."""
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def check_server(port: int) -> None:
    """Make sure the server on `port` is this workspace's `invoke serve`; CallError if not.

    Asked with OPTIONS (the CORS preflight every server of ours answers) before any call is
    sent, so a call never runs in another workspace's functions or store.
    """
    connection = http.client.HTTPConnection(HOST, port, timeout=CALL_TIMEOUT)
    try:
        connection.request("OPTIONS", "/")
        response = connection.getresponse()
        response.read()
        served = response.getheader(ids.WORKSPACE_HEADER)
    except (OSError, http.client.HTTPException) as failure:
        raise CallError(f"the server on port {port} did not answer: {failure}") from None
    finally:
        connection.close()
    if served == ids.workspace_identity(ROOT):
        return
    if served:
        other = served.rsplit(" ", 1)[0]
        raise CallError(
            f"the server on port {port} is the invoke serve of another workspace ({other}), "
            f"not of this one ({ROOT.name}): stop it, or start this workspace's invoke serve "
            "on another port and call with --port"
        )
    raise CallError(
        f"what answers on port {port} is not an invoke serve of this workspace (it does not "
        f"say which workspace it serves): stop it, or call with --port of this workspace's "
        "invoke serve (or a free port, to call in-process)"
    )


def call_server(port: int, body: bytes, name: str) -> Any:
    """POST `body` to the server on `port`; the JSON result or CallError (naming the
    closest served names to a name not found).

    Signed with the workspace's key when it has one, as IXON Cloud signs its calls, so that an
    `invoke serve --production` takes it (`ixon_devkit.ship.production`)."""
    body, headers = _signed(body)
    headers.update(serve_secret.headers(ROOT))  # this session's secret: serve asks for it
    connection = http.client.HTTPConnection(HOST, port, timeout=CALL_TIMEOUT)
    try:
        connection.request("POST", "/", body, headers)
        response = connection.getresponse()
        answer = response.read()
        error = response.getheader(ERROR_HEADER)
        mode = response.getheader("X-Devkit-Mode") or ""
        closest = response.getheader(CLOSEST_HEADER) or ""
        destination = response.getheader(ids.DESTINATION_HEADER)
    except (OSError, http.client.HTTPException) as failure:
        raise CallError(f"the server on port {port} did not answer {name}: {failure}") from None
    finally:
        connection.close()
    if destination:  # where serve sends the token: said by serve, said again here
        print(destination, file=sys.stderr)
    if response.status == 500:
        raised = f" raised {error}" if error else " failed"
        raise CallError(
            f"{name}{raised} (HTTP 500; the traceback is in the server's log)"
            + _production_note(mode)
        )
    if response.status == 401 and mode != "production":  # serve's own refusal, not the app's
        raise CallError(
            f"the invoke serve on port {port} did not take the secret in "
            f"{serve_secret.FILE.as_posix()} (another invoke serve of this workspace started "
            "since wrote its own, or the file is gone): restart the one you call, or call the "
            "later one's --port"
        )
    if response.status != 200:
        raise CallError(
            f"the server answered {response.status} {response.reason} to {name}: "
            f"{answer[:300].decode('utf-8', 'replace')}{_production_hint(response.status)}"
        )
    return _json(answer, name, closest)


def _signed(body: bytes) -> tuple[bytes, dict[str, str]]:
    """The body with the developer's access and a fresh `created_on`, and its signature, when
    the workspace has a production key (a production server adds nothing to a call)."""
    headers = {"Content-Type": "application/json"}
    from ixon_devkit.serve import local_api  # noqa: PLC0415 - workspace environment
    from ixon_devkit.ship import production  # noqa: PLC0415 - workspace environment

    keys = production.load_keys(ROOT)
    if keys is None:
        return body, headers
    api = local_api.for_workspace(ROOT, "call", _report)
    body = production.fresh(api.add_access_to_body(body))
    headers["Authorization"] = production.authorization(body, keys)
    return body, headers


def _production_note(mode: str) -> str:
    if mode != "production":
        return ""
    from ixon_devkit.ship import production  # noqa: PLC0415 - workspace environment

    return production.FAILED_NOTE


def _production_hint(status: int) -> str:
    from ixon_devkit.ship import production  # noqa: PLC0415 - workspace environment

    return production.refusal_hint(status)


def call_in_process(body: bytes, name: str) -> Any:
    """Run the call through ixoncdkingress's WSGI application here; the result or CallError."""
    # The function's prints and ixoncdkingress's log go to stderr: stdout is for the result.
    with contextlib.redirect_stdout(sys.stderr):
        # These need the workspace environment.
        from ixon_devkit.serve import local_api  # noqa: PLC0415
        from ixon_devkit.testing import run as testing  # noqa: PLC0415

        api = local_api.for_workspace(ROOT, "call", _report)
        destination = local_api.foreign_destination(api, ROOT)
        if destination:
            print(destination, file=sys.stderr)
        client = testing.FunctionClient(ROOT, {}, api=api)
        try:
            response = client.post(body)
        except Exception as error:  # the function's own exception
            _print_function_traceback(error)
            raised = f"{name} raised {type(error).__name__}: {error}"
            raise CallError(masking.mask(raised, api.last_secret)) from None
    if response.status != 200:
        raise CallError(f"{name} answered {response.status}: {response.body[:300]!r}")
    return _json(response.body, name, response.headers.get(CLOSEST_HEADER, ""))


def _report(line: str) -> None:
    """A refused IXON API call's line, on stderr (stdout is for the result); the function
    gets IXON's error answer and decides whether the call fails."""
    print(line, file=sys.stderr, flush=True)


def _print_function_traceback(error: BaseException) -> None:
    """The traceback from the first frame in `functions/` on (none when it has no such frame)."""
    folder = str(ROOT / "functions")
    frames = traceback.extract_tb(error.__traceback__)
    for index, frame in enumerate(frames):
        if frame.filename.startswith(folder):
            print("Traceback (most recent call last):", file=sys.stderr)
            print("".join(traceback.format_list(frames[index:])), end="", file=sys.stderr)
            print("".join(traceback.format_exception_only(error)), end="", file=sys.stderr)
            return


def _json(answer: bytes, name: str, closest: str = "") -> Any:
    try:
        result = json.loads(answer)
    except ValueError:
        raise CallError(f"{name} answered something that is not JSON: {answer[:300]!r}") from None
    return check_result(result, name, closest)


def check_result(result: Any, name: str, closest: str = "") -> Any:
    """`result`, or CallError when it is ixoncdkingress's answer for a failed call (a function
    not found, a document store failure), locally or deployed."""
    if isinstance(result, str) and result.startswith(FAILURE_ANSWERS):
        hint = ""
        if result.startswith(FAILURE_ANSWERS[0]) and closest:
            hint = f": did you mean {' or '.join(closest.split(', '))}?"
        elif result.startswith(FAILURE_ANSWERS[0]):
            hint = ": check the name (module.function) and its @FunctionContext.expose"
        raise CallError(result + hint)
    return result


@main_wrapper
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="invoke call", description=__doc__.splitlines()[0])
    parser.add_argument("name", help="module.function, for example example.greet")
    parser.add_argument("--arg", action="append", default=[], help="key=value (repeatable)")
    parser.add_argument("--json", default="", help="arguments as a JSON object")
    parser.add_argument(
        "--port", type=int, default=None, help="port of a running invoke serve of this workspace"
    )
    options = parser.parse_args(argv)
    if not options.name or options.name.startswith("-"):
        raise InputError("give the function first: invoke call example.greet --arg name=Ada")
    arguments = parse_arguments(options.arg, options.json)
    try:
        context = calls.load_call_context(ROOT)
    except calls.CallContextError as error:
        raise InputError(str(error)) from None
    body = calls.encode(calls.request_body(options.name, arguments, context=context))
    note = context_files.context_files_note(ROOT)
    if note:
        print(f"Note: {note}", file=sys.stderr)
    port = options.port or serve_record.running_port(ROOT)
    if port and server_answers(port):
        check_server(port)
        result = call_server(port, body, options.name)
    else:
        where = f"no server on {HOST}:{port}" if port else "no invoke serve of this workspace runs"
        print(
            f"({where}: calling in-process, with an empty in-memory document store)",
            file=sys.stderr,
        )
        result = call_in_process(body, options.name)
    print_result(result)
    return 0


def print_result(result: Any, mask: Callable[[str], str] = str) -> None:
    """A call's result as its JSON on stdout (`invoke call` and `invoke call --remote`, which
    masks the token in it)."""
    try:
        print(mask(json.dumps(result, indent=2, ensure_ascii=False)), flush=True)
    except BrokenPipeError:
        # The reader left early (`invoke call ... | head -1`): not an error of the call.
        # Point stdout at nothing so that Python's own flush at exit cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
