"""`invoke serve` and `invoke call` in baked workspaces, for real.

Every server here is the workspace's own `invoke serve`, started as a subprocess on a free
loopback port and called over HTTP. MongoDB is the stand-in of `mongo_standin.py` (its wire
protocol on a loopback socket); Docker is tried only where a daemon answers. The form page
is driven in Debian's headless chromium through the DevTools protocol.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support import CHROMIUM, DevTools, free_port, port_is_free, proc_status, serve_secret

from conftest import SHARED_VENV, TEMPLATE, bake, invoke, workspace_env, workspace_module

pytestmark = pytest.mark.slow

START_TIMEOUT = 60
GREETING = "Hello, Ada!"
#: What serve says once everything is in place, just before it accepts the calls that queued.
SERVING = "Serving functions/ on http://"


def docker_daemon_answers() -> bool:
    if not shutil.which("docker"):
        return False
    result = subprocess.run(["docker", "info"], capture_output=True, timeout=30)
    return result.returncode == 0


DOCKER = docker_daemon_answers()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Served:
    """A running `invoke serve` and the means to call and stop it."""

    process: subprocess.Popen[bytes]
    port: int
    workspace: Path
    log_path: Path

    def post(self, body: bytes | None, content_type: str | None = "application/json") -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Content-Type": content_type} if content_type else {}
        headers.update(serve_secret(self.workspace))  # as invoke call and the user's tools
        try:
            connection.request("POST", "/", body, headers)
            response = connection.getresponse()
            return Answer(response.status, dict(response.getheaders()), response.read())
        finally:
            connection.close()

    def call(
        self, function: str, /, context: dict[str, Any] | None = None, **arguments: Any
    ) -> Any:
        """Call `function`; without `context` the body has none (serve adds call_context.yaml)."""
        body: dict[str, Any] = {"name": function, "arguments": arguments}
        if context is not None:
            body["context"] = context
        answer = self.post(json.dumps(body).encode())
        assert answer.status == 200, (answer, self.log()[-3000:])
        return answer.json()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    @property
    def server_pid(self) -> int:
        """The workspace Python that serves (the child of invoke)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return int(children.read_text().split()[0])

    def stop(self, sig: int = signal.SIGINT, *, group: bool = True) -> int:
        """Send `sig` as a terminal's Ctrl-C does (the process group) or as `kill` does."""
        if self.process.poll() is None:
            if group:
                os.killpg(self.process.pid, sig)
            else:
                self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise AssertionError(
                f"invoke serve did not stop on {sig}\n{self.log()[-3000:]}"
            ) from None


def launch_serve(
    workspace: Path, *arguments: str, port: int | None = None, **env: str | None
) -> Served:
    """Start `invoke serve` in `workspace`, without waiting; `env` as for `workspace_env`."""
    port = port or free_port()
    log_path = workspace.parent / f"serve-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "invoke", "serve", "--port", str(port), *arguments],
            cwd=workspace,
            env=workspace_env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Served(process, port, workspace, log_path)


def start_serve(
    workspace: Path, *arguments: str, port: int | None = None, **env: str | None
) -> Served:
    """Start `invoke serve` in `workspace` and wait until it serves (it listens before that:
    calls made meanwhile wait in its queue); `env` as for `workspace_env`."""
    served = launch_serve(workspace, *arguments, port=port, **env)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise AssertionError(f"invoke serve exited {served.process.returncode}\n{served.log()}")
        if SERVING in served.log():
            return served
        time.sleep(0.1)
    served.stop(signal.SIGKILL)
    raise AssertionError(f"invoke serve did not answer within {START_TIMEOUT} s\n{served.log()}")


@contextlib.contextmanager
def serving(workspace: Path, *arguments: str) -> Iterator[Served]:
    served = start_serve(workspace, *arguments)
    try:
        yield served
    finally:
        served.stop()


def call_context(workspace: Path) -> dict[str, Any]:
    import yaml  # requirements-test.txt has it

    return yaml.safe_load((workspace / "call_context.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, shared_venv: Path) -> Iterator[Served]:
    """One `invoke serve --docdb memory` for the module, on a workspace of its own."""
    workspace = bake(tmp_path_factory.mktemp("served"))
    server = start_serve(workspace, "--docdb", "memory")
    yield server
    assert server.stop() == 0, server.log()[-3000:]


@contextlib.contextmanager
def edited(path: Path, text: str) -> Iterator[None]:
    """Write `text` to `path` for the block, then put back what was there."""
    before = path.read_text(encoding="utf-8") if path.exists() else None
    path.write_text(text, encoding="utf-8")
    try:
        yield
    finally:
        if before is None:
            path.unlink()
        else:
            path.write_text(before, encoding="utf-8")


# --- serving and names


def test_memory_store_says_what_it_is_before_anything_else(served: Served) -> None:
    first_lines = "\n".join(served.log().splitlines()[:3])
    assert "embedded in-memory MongoDB" in first_lines
    assert "gone when it stops" in first_lines


@pytest.mark.parametrize("name", ["example.greet", "functions.example.greet"])
def test_function_names_resolve_as_in_ixon_cloud(served: Served, name: str) -> None:
    assert served.call(name, name="Ada") == GREETING


def test_development_form_page_is_served(served: Served) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    connection.request("GET", "/")
    response = connection.getresponse()
    page = response.read().decode()
    connection.close()
    assert response.status == 200
    assert "<title>IXON CDK Ingress</title>" in page
    assert 'name="function_args__key0"' in page


# --- the document store


def test_store_serves_calls_with_a_company_and_none_without(served: Served) -> None:
    caller = call_context(served.workspace)
    added = served.call("notes.add", context=caller, text="with the caller of the body")
    assert added["author"] == "Test User"
    # A body without a context gets call_context.yaml's caller (a local convenience).
    served.call("notes.add", text="with call_context.yaml")
    texts = [note["text"] for note in served.call("notes.recent", context=caller, limit=50)]
    assert {"with the caller of the body", "with call_context.yaml"} <= set(texts)

    no_company = served.post(
        json.dumps({"name": "notes.add", "arguments": {"text": "x"}, "context": {}}).encode()
    )
    assert no_company.status == 500
    assert "needs a company" in no_company.headers["X-Devkit-Error"]


# --- edits


def test_helper_edit_shows_on_next_call_and_store_keeps_its_data(served: Served) -> None:
    helpers = served.workspace / "functions" / "helpers.py"
    served.call("notes.add", text="kept across edits")
    original = helpers.read_text(encoding="utf-8")
    changed = original.replace('return f"{greeting.strip()}, {name}!"', 'return f"{name}? Hi!"')
    assert changed != original
    with edited(helpers, changed):
        assert served.call("example.greet", name="Ada") == "Ada? Hi!"
        texts = [note["text"] for note in served.call("notes.recent", limit=100)]
        assert "kept across edits" in texts
    assert served.call("example.greet", name="Ada") == GREETING
    assert "Changed: functions/helpers.py" in served.log()


def test_same_size_edit_within_a_second_is_seen(served: Served) -> None:
    helpers = served.workspace / "functions" / "helpers.py"
    original = helpers.read_text(encoding="utf-8")
    target = 'return f"{greeting.strip()}, {name}!"'
    with edited(helpers, original.replace(target, target.replace("!", "?"))):
        assert served.call("example.greet", name="Ada") == "Hello, Ada?"
        helpers.write_text(original.replace(target, target.replace("!", ".")), encoding="utf-8")
        assert served.call("example.greet", name="Ada") == "Hello, Ada."


def test_new_broken_and_removed_modules(served: Served) -> None:
    extra = served.workspace / "functions" / "extra.py"
    source = (
        "from ixoncdkingress.function.context import FunctionContext\n\n"
        "from functions import helpers\n\n\n"
        "@FunctionContext.expose\n"
        "def shout(context, text='hey'):\n"
        "    return helpers.format_greeting('HEY', text)\n"
    )
    with edited(extra, source):
        assert served.call("extra.shout", text="you") == "HEY, you!"
        extra.write_text(source + "\ndef broken(:\n", encoding="utf-8")
        answer = served.post(json.dumps({"name": "extra.shout"}).encode())
        assert answer.status == 500
        assert "SyntaxError" in answer.headers["X-Devkit-Error"]
        assert served.call("example.greet", name="Ada") == GREETING
    # A module that is gone is not found, as any other unknown name (no crash of user code).
    gone = served.post(json.dumps({"name": "extra.shout"}).encode())
    assert gone.status == 200
    assert gone.json() == "Not found, function 'extra.shout' does not exist or is not exposed"


# --- bad requests


BAD_REQUESTS = {
    "malformed JSON": (b'{"name": "example.greet",', "application/json", 500),
    "no body": (None, "application/json", 500),
    "no content type": (b'{"name": "example.greet"}', None, 405),
    "raising function": (
        b'{"name": "notes.add", "arguments": {"text": " "}}',
        "application/json",
        500,
    ),
}


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=list(BAD_REQUESTS))
def test_bad_request_is_answered_and_server_keeps_serving(served: Served, case: str) -> None:
    body, content_type, status = BAD_REQUESTS[case]
    assert served.post(body, content_type).status == status
    assert served.call("example.greet", name="Ada") == GREETING
    assert served.process.poll() is None


@pytest.mark.parametrize("name", ["example.nosuch", "helpers.format_greeting", "nosuch.greet"])
def test_unknown_or_unexposed_function_answers_not_found(served: Served, name: str) -> None:
    answer = served.call(name)
    assert answer == f"Not found, function '{name}' does not exist or is not exposed"


def test_function_exception_traceback_goes_to_the_log(served: Served) -> None:
    answer = served.post(json.dumps({"name": "notes.add", "arguments": {"text": ""}}).encode())
    assert answer.status == 500
    assert answer.headers["X-Devkit-Error"].startswith("ValueError: a note needs")
    log = served.log()
    assert "Traceback (most recent call last)" in log
    assert 'functions/notes.py", line' in log


# --- long sessions


def test_soak_keeps_threads_and_memory_flat(served: Served) -> None:
    body = json.dumps({"name": "example.greet", "arguments": {"name": "Ada"}}).encode()

    def calls(count: int) -> None:
        for _ in range(count):
            assert served.post(body).status == 200

    calls(200)
    time.sleep(0.3)
    before = proc_status(served.server_pid)
    calls(3000)
    time.sleep(0.3)
    after = proc_status(served.server_pid)
    assert int(after["Threads"]) <= int(before["Threads"]) + 1, (before, after)
    grown_kb = int(after["VmRSS"].split()[0]) - int(before["VmRSS"].split()[0])
    assert grown_kb < 20_000, f"RSS grew by {grown_kb} kB over 3000 calls"


# --- invoke call


def test_invoke_call_talks_to_the_running_server(served: Served) -> None:
    port = str(served.port)
    result = invoke(served.workspace, "call", "example.greet", "--arg", "name=Ada", "--port", port)
    assert json.loads(result.stdout) == GREETING
    assert "in-process" not in result.stderr
    invoke(served.workspace, "call", "notes.add", "--arg", "text=via invoke call", "--port", port)
    recent = invoke(
        served.workspace, "call", "notes.recent", "--json", '{"limit": 100}', "--port", port
    )
    assert "via invoke call" in [note["text"] for note in json.loads(recent.stdout)]

    failed = invoke(
        served.workspace, "call", "notes.add", "--port", port, "--arg", "text=", check=False
    )
    assert failed.returncode == 1
    assert "ERROR: notes.add raised ValueError: a note needs" in failed.stderr
    assert failed.stdout == ""


def test_invoke_call_finds_the_running_serve_without_a_port(served: Served) -> None:
    """No --port: the call goes to this workspace's serve on the free port it took (its record
    in .devkit/serve.json), not to port 8020."""
    invoke(served.workspace, "call", "notes.add", "--arg", "text=found without --port")
    recent = invoke(served.workspace, "call", "notes.recent", "--json", '{"limit": 100}')

    assert "in-process" not in recent.stderr
    assert "found without --port" in [note["text"] for note in json.loads(recent.stdout)]


def test_serve_records_its_port_while_it_runs(workspace: Path) -> None:
    record = workspace / ".devkit" / "serve.json"
    with serving(workspace, "--docdb", "memory") as server:
        recorded = json.loads(record.read_text())
        assert recorded["port"] == server.port
    assert not record.exists()


@contextlib.contextmanager
def something_on_8020() -> Iterator[None]:
    """Port 8020 held by a program that is no invoke serve (it answers every request with a
    bare 404), for the time of the block; when 8020 is taken already, whatever holds it does."""
    try:
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 8020), http.server.SimpleHTTPRequestHandler
        )
    except OSError:
        yield  # taken: by something that is not this fresh workspace's serve either
        return
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def test_invoke_call_runs_in_process_whatever_listens_on_8020(workspace: Path) -> None:
    with something_on_8020():
        result = invoke(workspace, "call", "example.greet", "--arg", "name=Ada")

    assert json.loads(result.stdout) == GREETING
    assert "no invoke serve of this workspace runs: calling in-process" in result.stderr


def test_a_record_of_a_serve_that_was_killed_is_ignored(workspace: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    record = workspace / ".devkit" / "serve.json"
    record.parent.mkdir(exist_ok=True)
    with socket.socket() as listener:  # a port that answers, but its serve is gone
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        record.write_text(json.dumps({"port": port, "pid": gone.pid}))
        result = invoke(workspace, "call", "example.greet", "--arg", "name=Ada")

    assert json.loads(result.stdout) == GREETING
    assert "calling in-process" in result.stderr


def test_invoke_call_runs_in_process_without_a_server(default_workspace: Path) -> None:
    port = str(free_port())
    result = invoke(default_workspace, "call", "example.greet", "--arg", "name=Ada", "--port", port)
    assert result.stdout == f'"{GREETING}"\n'
    assert "in-process" in result.stderr
    who = invoke(default_workspace, "call", "caller.whoami", "--port", port)
    assert json.loads(who.stdout)["company"]["publicId"] == "0000-0000-0000-0000-0001"

    failed = invoke(
        default_workspace, "call", "notes.add", "--arg", "text=", "--port", port, check=False
    )
    assert failed.returncode == 1
    assert 'functions/notes.py", line' in failed.stderr
    assert failed.stderr.rstrip().endswith("ValueError: a note needs between 1 and 2000 characters")

    unknown = invoke(default_workspace, "call", "example.gret", "--port", port, check=False)
    assert unknown.returncode == 1
    assert unknown.stderr.strip().splitlines()[-1] == (
        "ERROR: Not found, function 'example.gret' does not exist or is not exposed: "
        "did you mean example.greet?"
    )


def test_invoke_call_into_a_pipe_closed_early_is_no_error(default_workspace: Path) -> None:
    # `invoke call caller.whoami | head -1`: the reader is gone before the result is written.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "invoke", "call", "caller.whoami", "--port", str(free_port())],
            cwd=default_workspace,
            env=workspace_env(),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--json", "{oops"], "ERROR: --json is not valid JSON"),
        (["--json", "[1]"], "ERROR: --json must be a JSON object"),
        (["--arg", "novalue"], "ERROR: --arg 'novalue' must look like key=value"),
    ],
)
def test_invoke_call_refuses_bad_input_in_one_line(
    default_workspace: Path, arguments: list[str], message: str
) -> None:
    result = invoke(default_workspace, "call", "example.greet", *arguments, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(message)


def test_invoke_call_reports_a_broken_call_context_in_one_line(workspace: Path) -> None:
    (workspace / "call_context.yaml").write_text("user: [\n", encoding="utf-8")
    result = invoke(workspace, "call", "example.greet", check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("ERROR: ")
    assert "call_context.yaml is not valid YAML" in result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]


# --- refusing to start


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--docdb", "nonsense"], "ERROR: --docdb must be auto, docker, memory or a mongodb://"),
        (["--port", "70000"], "ERROR: --port must be 0 to 65535"),
    ],
)
def test_serve_refuses_bad_options_in_one_line(
    default_workspace: Path, arguments: list[str], message: str
) -> None:
    result = invoke(default_workspace, "serve", *arguments, check=False, timeout=60)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_serve_refuses_a_port_in_use(served: Served) -> None:
    result = invoke(
        served.workspace, "serve", "--port", str(served.port), "--docdb", "memory", check=False
    )
    assert result.returncode == 2
    assert f"ERROR: cannot listen on 127.0.0.1:{served.port}" in result.stderr
    assert served.call("example.greet", name="Ada") == GREETING


# --- stopping


@pytest.mark.parametrize(
    ("sig", "group"), [(signal.SIGINT, True), (signal.SIGTERM, False)], ids=["ctrl-c", "sigterm"]
)
def test_signal_stops_cleanly_and_frees_the_port(
    default_workspace: Path, sig: int, group: bool
) -> None:
    served = start_serve(default_workspace, "--docdb", "memory")
    assert served.call("example.greet", name="Ada") == GREETING
    server_pid = served.server_pid
    assert served.stop(sig, group=group) == 0
    assert "Stopped: port closed, document store closed" in served.log()
    assert "Traceback" not in served.log()
    assert port_is_free(served.port)
    assert not Path(f"/proc/{server_pid}").exists()


# --- the other stores


def fail_next(port: int, command: str, code: int, code_name: str) -> None:
    """Arm the stand-in's `failCommand` fail point, as a test against MongoDB would."""
    script = (
        "import sys, pymongo\n"
        "client = pymongo.MongoClient(sys.argv[1])\n"
        "client.admin.command('configureFailPoint', 'failCommand', mode={'times': 1},\n"
        "    data={'failCommands': [sys.argv[2]], 'errorCode': int(sys.argv[3]),\n"
        "          'codeName': sys.argv[4]})\n"
    )
    subprocess.run(
        [
            str(SHARED_VENV / "bin" / "python"),
            "-c",
            script,
            f"mongodb://127.0.0.1:{port}/",
            command,
            str(code),
            code_name,
        ],
        check=True,
        timeout=30,
    )


def test_mongodb_uri_keeps_data_between_runs_and_reports_failures(
    workspace: Path, mongo_standin: int
) -> None:
    uri = f"mongodb://127.0.0.1:{mongo_standin}/"
    with serving(workspace, "--docdb", uri) as served:
        assert f"Document store: your MongoDB at {uri}" in served.log().splitlines()[0]
        served.call("notes.add", text="stored in MongoDB")
        fail_next(mongo_standin, "insert", 13, "Unauthorized")
        # ixoncdkingress's own answer to a failed database operation
        assert (
            served.call("notes.add", text="refused")
            == "Document DB operation failure: Unauthorized"
        )
    with serving(workspace, "--docdb", uri) as served:
        texts = [note["text"] for note in served.call("notes.recent")]
    assert texts == ["stored in MongoDB"]


class HeldRelay:
    """A TCP relay to a loopback `port` that holds every connection until `release()`: a
    MongoDB that answers only when the test says so."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.released = threading.Event()
        self.reached = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.listener.accept()
                self.reached.set()
                threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        self.released.wait()
        upstream = socket.create_connection(("127.0.0.1", self.target))
        threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
        _pipe(client, upstream)

    def release(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.release()
        self.listener.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


def test_a_call_made_while_serve_starts_waits_and_is_answered(
    default_workspace: Path, mongo_standin: int
) -> None:
    """serve listens before it loads the runtime and opens its store: a call made while it
    starts (here: while its MongoDB has not answered yet) waits in the queue, is not refused,
    and is answered once serve is ready, with all it adds (call_context.yaml's caller, the
    store)."""
    mongodb = HeldRelay(mongo_standin)
    served = launch_serve(default_workspace, "--docdb", f"mongodb://127.0.0.1:{mongodb.port}/")
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=START_TIMEOUT)
    try:
        assert mongodb.reached.wait(START_TIMEOUT), served.log()  # serve is opening its store
        body = json.dumps({"name": "notes.add", "arguments": {"text": "queued"}}).encode()
        secret = serve_secret(default_workspace)  # written as soon as serve listens
        connection.request("POST", "/", body, {"Content-Type": "application/json", **secret})
        assert SERVING not in served.log()  # sent while serve is still starting
        mongodb.release()
        response = connection.getresponse()
        answer = json.loads(response.read())
        assert response.status == 200, (answer, served.log()[-3000:])
        assert SERVING in served.log()
        assert answer["text"] == "queued"  # stored: the caller of call_context.yaml, the store
        assert [note["text"] for note in served.call("notes.recent")] == ["queued"]
    finally:
        connection.close()
        mongodb.close()
        assert served.stop() == 0, served.log()[-3000:]


def test_unreachable_mongodb_uri_is_refused_in_one_line(default_workspace: Path) -> None:
    uri = f"mongodb://ada:secret@127.0.0.1:{free_port()}/"
    port = str(free_port())
    result = invoke(
        default_workspace, "serve", "--docdb", uri, "--port", port, check=False, timeout=60
    )
    assert result.returncode == 2
    assert "ERROR: no MongoDB answers at mongodb://ada:***@127.0.0.1:" in result.stderr
    assert "secret" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(DOCKER, reason="a Docker daemon answers: auto uses it")
def test_auto_without_docker_uses_the_memory_store(default_workspace: Path) -> None:
    with serving(default_workspace) as served:
        lines = served.log().splitlines()
        assert "No Docker daemon answers" in lines[0]
        assert "embedded in-memory MongoDB" in lines[1]
        assert served.call("notes.add", text="in memory")["text"] == "in memory"


@pytest.mark.skipif(not DOCKER, reason="no Docker daemon answers on this machine")
def test_docker_store_starts_and_removes_its_container(workspace: Path) -> None:
    with serving(workspace, "--docdb", "docker") as served:
        assert "MongoDB in Docker container ixon-cloud-function-mongo" in served.log()
        served.call("notes.add", text="in Docker")
        assert [note["text"] for note in served.call("notes.recent")] == ["in Docker"]
    containers = subprocess.run(
        ["docker", "ps", "-a", "--filter", "name=ixon-cloud-function-mongo", "-q"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert containers.stdout.strip() == ""


# --- the form page in a real browser


def submit_form(browser: DevTools, fields: dict[str, str]) -> str:
    """Fill the form page's fields by typing, press Run function; the output shown."""
    browser.wait_for("document.readyState === 'complete' && !!document.getElementById('function')")
    for element_id, text in fields.items():
        browser.type_into(element_id, text)
    browser.evaluate("window.__before_submit = true")
    browser.click("input[type=submit]")
    # The answer is a new page: wait until the marker is gone and the page has loaded.
    return browser.wait_for(
        "!window.__before_submit && document.readyState === 'complete'"
        " && document.querySelector('textarea') && document.querySelector('textarea').value"
    )


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)"
)
def test_form_page_in_headless_chromium_reaches_the_function(
    served: Served, tmp_path: Path
) -> None:
    browser = DevTools(tmp_path / "profile")
    try:
        browser.open(f"http://127.0.0.1:{served.port}/")
        shown = submit_form(
            browser,
            {
                "function": "example.greet",
                "function_args__key0": "name",
                "function_args__value0": "Ada",
            },
        )
        assert json.loads(shown) == GREETING

        # The answer page holds the form again, filled in as sent: type over it.
        company = call_context(served.workspace)["company"]
        shown = submit_form(
            browser,
            {
                "function": "notes.add",
                "function_args__key0": "text",
                "function_args__value0": "from the form page",
                "user__public_id": "FormUser0001",
                "user__name": "Form User",
                "company__public_id": company["publicId"],
                "company__name": company["name"],
            },
        )
        assert json.loads(shown)["author"] == "Form User"
    finally:
        browser.close()
    # The form's call went to the same store that JSON calls use.
    texts = [note["text"] for note in served.call("notes.recent", limit=100)]
    assert "from the form page" in texts


# --- many clients, the workspace it serves, and the Windows ways


CLIENTS = 50
CALLS_PER_CLIENT = 20


def test_fifty_concurrent_clients_see_no_connection_reset(served: Served) -> None:
    body = json.dumps({"name": "example.greet", "arguments": {"name": "Ada"}}).encode()
    headers = {"Content-Type": "application/json", **serve_secret(served.workspace)}
    start = threading.Barrier(CLIENTS)
    answers: list[int] = []
    failures: list[str] = []

    def client() -> None:
        start.wait(timeout=60)
        for _ in range(CALLS_PER_CLIENT):  # a new connection each time, as a reloading page
            connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=60)
            try:
                connection.request("POST", "/", body, headers)
                response = connection.getresponse()
                response.read()
                answers.append(response.status)
            except (OSError, http.client.HTTPException) as error:
                failures.append(repr(error))
            finally:
                connection.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert failures == [], f"{len(failures)} failed: {failures[:3]}"
    assert answers == [200] * (CLIENTS * CALLS_PER_CLIENT)


def test_every_answer_says_which_workspace_it_serves(served: Served) -> None:
    ids = workspace_module("ixon_devkit.workspace.ids", served.workspace)
    expected = ids.workspace_identity(served.workspace)

    answer = served.post(json.dumps({"name": "example.greet", "arguments": {}}).encode())
    assert answer.headers["X-Devkit-Workspace"] == expected
    assert expected.startswith("my-cloud-function ")
    assert str(served.workspace.parent) not in expected, "no local path goes out"
    broken = served.post(b"{not json")
    assert broken.headers["X-Devkit-Workspace"] == expected


def test_invoke_call_refuses_the_server_of_another_workspace(
    served: Served, default_workspace: Path
) -> None:
    before = served.call("notes.recent", limit=100)

    result = invoke(
        default_workspace,
        "call",
        "notes.add",
        "--arg",
        "text=wrong",
        "--port",
        str(served.port),
        check=False,
    )

    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        f"ERROR: the server on port {served.port} is the invoke serve of another"
    )
    assert result.stdout == ""
    assert served.call("notes.recent", limit=100) == before, "nothing was called there"


def test_invoke_call_refuses_a_server_that_is_no_invoke_serve(default_workspace: Path) -> None:
    class Plain(http.server.BaseHTTPRequestHandler):
        def do_OPTIONS(self) -> None:
            self.send_response(204)
            self.end_headers()

        do_POST = do_OPTIONS

        def log_message(self, *arguments: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Plain)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = str(server.server_address[1])
        result = invoke(default_workspace, "call", "example.greet", "--port", port, check=False)
    finally:
        server.shutdown()
        server.server_close()

    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert f"ERROR: what answers on port {port} is not an invoke serve of this workspace" in line


def test_windows_ways_stop_a_child_group_with_ctrl_break(monkeypatch: pytest.MonkeyPatch) -> None:
    """What can be checked off Windows: the calls the Windows branch makes."""
    processes = workspace_module("ixon_devkit.workspace.processes")
    sent: list[object] = []

    class Child:
        pid = 4242

        def poll(self) -> None:
            return None

        def send_signal(self, sig: object) -> None:
            sent.append(sig)

    monkeypatch.setattr(processes, "WINDOWS", True)
    monkeypatch.setattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0x200, raising=False)
    monkeypatch.setattr(signal, "CTRL_BREAK_EVENT", 1, raising=False)
    monkeypatch.setattr(signal, "SIGBREAK", 21, raising=False)

    assert processes.own_group() == {"creationflags": 0x200}
    assert 21 in processes.stop_signals()
    processes.ask_to_stop(Child(), signal.SIGINT, group=True)
    assert sent == [1]

    monkeypatch.setattr(processes, "WINDOWS", False)
    assert processes.own_group() == {"start_new_session": True}
    assert processes.stop_signals() == (signal.SIGINT, signal.SIGTERM)


def test_the_server_binds_its_port_exclusively_on_windows(shared_venv: Path) -> None:
    """serve's bind on Windows asks for SO_EXCLUSIVEADDRUSE (checked with a recording socket,
    in the workspace environment, where serve imports)."""
    script = (
        "import socket\n"
        "socket.SO_EXCLUSIVEADDRUSE = -5\n"
        "from ixon_devkit.serve import serve\n"
        "calls = []\n"
        "class Sock:\n"
        "    def setsockopt(self, *a): calls.append(a)\n"
        "serve.exclusive_bind(Sock(), windows=True)\n"
        "serve.exclusive_bind(Sock(), windows=False)\n"
        "print(calls, serve.ThreadingServer.request_queue_size)\n"
    )
    python = SHARED_VENV / "bin" / "python"
    workspace = TEMPLATE / "{{cookiecutter.function_slug}}"
    result = subprocess.run(
        [str(python), "-B", "-c", script], cwd=workspace, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    calls, backlog = result.stdout.rsplit(" ", 1)
    assert calls == f"[({socket.SOL_SOCKET}, -5, 1)]"
    assert int(backlog) >= 128


def test_the_shared_caller_takes_company_and_agent_from_call_context(tmp_path: Path) -> None:
    """`same_caller`: the simulator's context keeps its user, takes call_context.yaml's company
    and agent (and loses an agent that file lacks); a setting that is no boolean is refused."""
    request_body = workspace_module("ixon_devkit.serve.request_body")
    sent = {
        "user": {"publicId": "SimUser", "name": "Sim"},
        "company": {"publicId": "companyId", "name": "Simulated Company"},
        "agent": {"publicId": "SimAgent", "name": "Sim agent"},
    }
    local = {"company": {"publicId": "0000-0000-0000-0000-0001", "name": "Test Company"}}

    shared = request_body.with_shared_caller(sent, local)

    assert shared == {"user": sent["user"], "company": local["company"]}
    assert sent["agent"]["publicId"] == "SimAgent"  # the caller's own dict is left alone
    (tmp_path / "workspace.json").write_text('{"same_caller": true}')
    assert request_body.same_caller_setting(tmp_path) is True
    (tmp_path / "workspace.json").write_text('{"same_caller": "yes"}')
    with pytest.raises(request_body.CallContextError, match=r'"same_caller" in workspace\.json'):
        request_body.same_caller_setting(tmp_path)
    (tmp_path / "workspace.json").write_text("{}")
    assert request_body.same_caller_setting(tmp_path) is False
