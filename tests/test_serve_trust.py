"""Whom `invoke serve` answers and what it runs: its owner only, the user's functions only.

Tried as an attacker would: a page on another loopback origin in headless chromium calls
serve with `fetch` and with a plain HTML form; requests come under another `Host` (what DNS
rebinding sends); names point outside `functions/` (ixoncdkingress's own modules, `os`,
`sys`, devkit's tasks); bodies are over the limit; serve is asked to listen beyond loopback.
Serve holds a real-looking token throughout, and no output shows it.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import CHROMIUM, DevTools, free_port, proc_status, serve_secret
from test_serve import Served, call_context, edited, start_serve

from conftest import bake, invoke, workspace_module

pytestmark = pytest.mark.slow

TOKEN = "Zq7SecretTokenXy42Wv9Pq3Lm8Nb5Rt"
FOREIGN_API = "https://collector.example.invalid/api/"
#: A function calling a name `"api_access"` of workspace.json does not list.
PROBE = (
    "from ixoncdkingress.function.context import FunctionContext\n\n\n"
    "@FunctionContext.expose\n"
    "def unlisted(context):\n"
    '    return context.api_client.get("MyUser")\n'
)
OUTSIDE = ["ixoncdkingress.webserver.utils.x", "os.system", "ixon_devkit.tasks.setup", "sys.exit"]


def not_found(name: str) -> str:
    return f"Not found, function '{name}' does not exist or is not exposed"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory, shared_venv: Path) -> Iterator[Served]:
    """A serve holding the token, with its API base URL set to a foreign host."""
    workspace = bake(tmp_path_factory.mktemp("guarded"))
    (workspace / "functions" / "probe.py").write_text(PROBE, encoding="utf-8")
    server = start_serve(
        workspace,
        "--docdb",
        "memory",
        IXON_API_ACCESS_TOKEN=TOKEN,
        IXON_API_BASE_URL=FOREIGN_API,
    )
    yield server
    assert server.stop() == 0, server.log()[-3000:]
    assert TOKEN not in server.log()


def request(
    served: Served, body: bytes, headers: dict[str, str], method: str = "POST"
) -> tuple[int, dict[str, str], bytes]:
    """A request with `headers` and nothing else (no session secret unless given)."""
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    try:
        connection.request(method, "/", body, headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def ixon_error(body: bytes) -> str:
    """The message of IXON's error JSON (asserting its shape)."""
    answer = json.loads(body)
    assert answer["type"] == "Error" and answer["status"] == "error", answer
    assert answer["moreAfter"] is None
    return answer["data"][0]["message"]


def secret(served: Served) -> dict[str, str]:
    """The header with the session's secret, as invoke call sends it."""
    return serve_secret(served.workspace)


def wait_for_log(served: Served, text: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while text not in served.log():
        assert time.monotonic() < deadline, f"no {text!r} in\n{served.log()[-3000:]}"
        time.sleep(0.1)


@contextlib.contextmanager
def page_server() -> Iterator[str]:
    """A page on another loopback origin (the attacker's); yields its origin."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<!doctype html><html><body>another site</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *arguments: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def open_page(browser: DevTools, origin: str) -> None:
    """Open the page at `origin` and wait until it, not the blank page before it, is loaded."""
    browser.open(f"{origin}/")
    browser.wait_for(
        f"location.origin === {json.dumps(origin)} && document.readyState === 'complete'", 60
    )


def fetch_json(browser: DevTools, url: str, body: dict[str, Any]) -> str:
    """`fetch` a JSON call from the page; what the page could read, or why it could not."""
    browser.evaluate(
        "window.__answer = null; "
        f"fetch({json.dumps(url)}, {{method: 'POST', headers: {{'Content-Type': "
        f"'application/json'}}, body: {json.dumps(json.dumps(body))}}})"
        ".then(r => r.text()).then(t => { window.__answer = 'read:' + t; },"
        " e => { window.__answer = 'blocked:' + e; })"
    )
    return browser.wait_for("window.__answer", 60)


# -- a page of another origin ---------------------------------------------------------------


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_a_page_of_another_origin_can_neither_call_nor_read(
    guarded: Served, tmp_path: Path
) -> None:
    company = call_context(guarded.workspace)["company"]
    url = f"http://127.0.0.1:{guarded.port}/"
    browser = DevTools(tmp_path / "profile")
    with page_server() as origin:
        try:
            open_page(browser, origin)
            fetched = fetch_json(
                browser,
                url,
                {"name": "notes.add", "arguments": {"text": "by fetch"}, "context": {}},
            )
            # A form post needs no preflight: the server itself must refuse it.
            fields = {
                "function": "notes.add",
                "function_args__key0": "text",
                "function_args__value0": "by form",
                "company__public_id": company["publicId"],
                "company__name": company["name"],
            }
            browser.evaluate(
                "(() => { const sink = document.createElement('iframe'); sink.name = 'sink';"
                " document.body.appendChild(sink); const form = document.createElement('form');"
                f" form.method = 'POST'; form.action = {json.dumps(url)}; form.target = 'sink';"
                f" for (const [k, v] of Object.entries({json.dumps(fields)})) {{"
                " const input = document.createElement('input'); input.name = k;"
                " input.value = v; form.appendChild(input); }"
                " document.body.appendChild(form); form.submit(); })()"
            )
            wait_for_log(guarded, f"Refused POST from the page at {origin}")
        finally:
            browser.close()

    assert fetched.startswith("blocked:"), fetched
    assert TOKEN not in fetched
    texts = [note["text"] for note in guarded.call("notes.recent", limit=100)]
    assert "by fetch" not in texts and "by form" not in texts
    log = guarded.log()
    assert f"Refused OPTIONS from the page at {origin}" in log  # the fetch's preflight
    assert f"invoke serve --trust-origin {origin}" in log


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_a_page_of_another_origin_cannot_show_the_form_page_in_a_frame(
    guarded: Served, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{guarded.port}/"
    browser = DevTools(tmp_path / "profile")
    with page_server() as origin:
        try:
            open_page(browser, origin)
            browser.evaluate(
                "(() => { const frame = document.createElement('iframe');"
                f" frame.src = {json.dumps(url)}; document.body.appendChild(frame); }})()"
            )
            deadline = time.monotonic() + 30
            while True:  # the frame's document: the form page, or chromium's refusal
                children = browser.send("Page.getFrameTree")["frameTree"].get("childFrames", [])
                framed = children[0]["frame"]["url"] if children else ""
                if framed not in ("", "about:blank") or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
        finally:
            browser.close()

    assert framed == "chrome-error://chromewebdata/", framed  # not the form page at `url`


def test_refusals_are_ixon_errors_and_serve_answers_no_star(guarded: Served) -> None:
    body = json.dumps({"name": "example.greet", "arguments": {"name": "Ada"}}).encode()
    json_type = {"Content-Type": "application/json"}

    status, headers, answer = request(guarded, body, {**json_type, "Origin": "http://evil.test"})
    assert status == 403 and "origin http://evil.test may not call" in ixon_error(answer)
    assert "Access-Control-Allow-Origin" not in headers

    # A form post is accepted only from serve's own form page, even from a trusted origin.
    status, _, answer = request(
        guarded,
        b"function=example.greet",
        {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.test"},
    )
    assert status == 403

    # Its own page (same origin) and callers without Origin that show the session's secret
    # (curl, invoke call) go on.
    own = f"http://localhost:{guarded.port}"
    status, headers, answer = request(guarded, body, {**json_type, "Origin": own})
    assert status == 200 and json.loads(answer) == "Hello, Ada!"
    assert headers["Access-Control-Allow-Origin"] == own
    status, headers, answer = request(guarded, body, {**json_type, **secret(guarded)})
    assert status == 200 and "Access-Control-Allow-Origin" not in headers
    status, headers, _ = request(guarded, b"", {}, method="OPTIONS")
    assert status == 204 and headers.get("Access-Control-Allow-Origin") != "*"


def test_no_page_may_frame_the_form_page_or_any_answer(guarded: Served) -> None:
    body = json.dumps({"name": "example.greet", "arguments": {"name": "Ada"}}).encode()
    json_type = {"Content-Type": "application/json"}
    answers = {
        "form page": request(guarded, b"", {}, method="GET"),
        "answer": request(guarded, body, {**json_type, **secret(guarded)}),
        "form answer": request(
            guarded,
            b"function=example.greet",
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"http://127.0.0.1:{guarded.port}",
            },
        ),
        "refusal": request(guarded, body, {**json_type, "Origin": "http://evil.test"}),
    }
    for what, (status, headers, _) in answers.items():
        assert status == (403 if what == "refusal" else 200), what
        assert headers.get("X-Frame-Options") == "DENY", what
        assert headers.get("Content-Security-Policy") == "frame-ancestors 'none'", what


# -- callers from no browser page: the session's secret; the connection cap ------------------


def test_a_caller_from_no_page_shows_the_sessions_secret(guarded: Served) -> None:
    body = json.dumps({"name": "notes.add", "arguments": {"text": "no secret"}}).encode()
    json_type = {"Content-Type": "application/json"}
    path = guarded.workspace / ".devkit" / "serve-secret"

    statuses = {
        "none": request(guarded, body, json_type),
        "wrong": request(guarded, body, {**json_type, "X-Devkit-Secret": "guessed"}),
        "another form": request(guarded, b"function=notes.add", {"Content-Type": "text/x"}),
    }
    shown = request(
        guarded, json.dumps({"name": "notes.recent"}).encode(), {**json_type, **secret(guarded)}
    )

    for what, (status, _, answer) in statuses.items():
        assert status == 401, what
        message = ixon_error(answer)
        assert "X-Devkit-Secret header with the content of .devkit/serve-secret" in message
    assert shown[0] == 200 and "no secret" not in shown[2].decode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(path.read_text().strip()) >= 32
    assert "Refused POST without this session's secret" in guarded.log()
    assert "send the header X-Devkit-Secret with the content of .devkit/serve-secret" in (
        guarded.log()
    )
    # The form page needs none (it runs nothing), nor does invoke call (it reads the file).
    assert request(guarded, b"", {}, method="GET")[0] == 200
    called = invoke(
        guarded.workspace,
        "call",
        "example.greet",
        "--arg",
        "name=Ada",
        "--port",
        str(guarded.port),
        check=False,
    )
    assert called.returncode == 0 and json.loads(called.stdout) == "Hello, Ada!"
    # A file holding another secret (a later serve of the workspace wrote its own): one line.
    kept = path.read_text(encoding="utf-8")
    path.write_text("a-later-serves-secret\n", encoding="utf-8")
    try:
        stale = invoke(
            guarded.workspace, "call", "example.greet", "--port", str(guarded.port), check=False
        )
    finally:
        path.write_text(kept, encoding="utf-8")
    assert stale.returncode == 1
    (line,) = [text for text in stale.stderr.splitlines() if text.startswith("ERROR: ")]
    assert f"the invoke serve on port {guarded.port} did not take the secret in " in line
    assert "restart the one you call" in line and "--production" not in line


def test_a_session_secret_is_new_each_start_and_gone_after(
    tmp_path: Path, shared_venv: Path
) -> None:
    workspace = bake(tmp_path)
    path = workspace / ".devkit" / "serve-secret"
    seen = []
    for _ in range(2):
        served = start_serve(workspace, "--docdb", "memory")
        seen.append(path.read_text(encoding="utf-8"))
        assert served.stop() == 0
        assert not path.exists()
    assert seen[0] != seen[1]


def test_connections_beyond_the_cap_are_refused_and_threads_stay_bounded(
    tmp_path: Path, shared_venv: Path
) -> None:
    trust = workspace_module("ixon_devkit.serve.serve_trust")
    workspace = bake(tmp_path)
    served = start_serve(workspace, "--docdb", "memory")
    idle: list[socket.socket] = []
    try:
        for _ in range(trust.MAX_CONNECTIONS + 50):  # half-open: connected, sending nothing
            idle.append(socket.create_connection(("127.0.0.1", served.port), timeout=10))
        time.sleep(1)
        threads = int(proc_status(served.server_pid)["Threads"])
        refused = request(served, b"", {}, method="GET")
        for connection in idle:
            connection.close()
        idle.clear()
        deadline = time.monotonic() + 30
        while request(served, b"", {}, method="GET")[0] != 200:  # the slots come back
            assert time.monotonic() < deadline, served.log()[-2000:]
            time.sleep(0.2)
        answered = served.call("example.greet", name="Ada")
    finally:
        for connection in idle:
            connection.close()
        assert served.stop() == 0, served.log()[-3000:]

    assert threads <= trust.MAX_CONNECTIONS + 10, threads
    assert refused[0] == 503
    assert f"this server has {trust.MAX_CONNECTIONS} connections open already" in ixon_error(
        refused[2]
    )
    assert refused[1]["X-Frame-Options"] == "DENY"
    assert answered == "Hello, Ada!"
    assert served.log().count(f"Refused connections: {trust.MAX_CONNECTIONS} are open") == 1


# -- another Host (DNS rebinding) -----------------------------------------------------------


def test_a_request_for_another_host_is_refused(guarded: Served) -> None:
    body = json.dumps({"name": "notes.add", "arguments": {"text": "rebound"}}).encode()
    for host in ("attacker.example:%d", "localhost:1", "127.0.0.1"):
        shown = host % guarded.port if "%d" in host else host
        status, _, answer = request(
            guarded, body, {"Content-Type": "application/json", "Host": shown}
        )
        assert status == 403, shown
        assert f"not as {shown}" in ixon_error(answer)
    assert "rebound" not in [note["text"] for note in guarded.call("notes.recent", limit=100)]
    assert f"Refused a request for host 'attacker.example:{guarded.port}'" in guarded.log()


# -- names outside functions/ -----------------------------------------------------------------


def test_names_outside_functions_are_not_found_and_the_rules_stay(guarded: Served) -> None:
    refused = guarded.call("probe.unlisted")
    assert 'MyUser is not in "api_access"' in refused["data"][0]["message"]
    for name in OUTSIDE:
        assert guarded.call(name) == not_found(name)
    # Had ixoncdkingress's module been reloaded, MyUser would now go out with the token (and
    # the call fail on the unreachable host), and the store would be localhost:27017's.
    assert guarded.call("probe.unlisted") == refused
    assert guarded.call("notes.add", text="still serve's store")["text"] == "still serve's store"
    assert guarded.process.poll() is None


def test_serve_lists_its_functions_and_names_the_closest(guarded: Served) -> None:
    # The listing comes a moment after the start (the first call does not wait for it).
    wait_for_log(guarded, "Functions served (10; a UI Component calls them by these names):")
    log = guarded.log()
    for line in (
        "  example.greet\n",
        "  probe.unlisted\n",
        "  assistant.check_temperature (agentic)",
    ):
        assert line in log, line
    extra = guarded.workspace / "functions" / "extra.py"
    with edited(extra, PROBE.replace("def unlisted", "def shout")):
        wait_for_log(guarded, "  extra.shout")
    answer = guarded.post(json.dumps({"name": "example.gret"}).encode())
    assert answer.json() == not_found("example.gret")
    assert answer.headers["X-Devkit-Closest"] == "example.greet"
    called = invoke(
        guarded.workspace, "call", "example.gret", "--port", str(guarded.port), check=False
    )
    assert called.returncode == 1
    assert "did you mean example.greet?" in called.stderr


def test_a_body_over_the_limit_is_refused_unread(guarded: Served) -> None:
    limit = workspace_module("ixon_devkit.serve.serve_trust", guarded.workspace).BODY_LIMIT
    connection = http.client.HTTPConnection("127.0.0.1", guarded.port, timeout=30)
    try:
        connection.putrequest("POST", "/")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(60 * 1024 * 1024))
        connection.endheaders()  # and not one byte of the 60 MB
        response = connection.getresponse()
        assert response.status == 413
        assert f"at most {limit}" in ixon_error(response.read())
    finally:
        connection.close()
    assert guarded.call("example.greet", name="Ada") == "Hello, Ada!"


def test_a_foreign_api_host_is_named_by_serve_and_call(guarded: Served) -> None:
    line = next(line for line in guarded.log().splitlines() if "NOTE: your IXON" in line)
    assert FOREIGN_API in line and "IXON_API_BASE_URL is set there by environment" in line
    called = invoke(
        guarded.workspace,
        "call",
        "example.greet",
        "--port",
        str(free_port()),  # in-process: the token goes from this process
        IXON_API_ACCESS_TOKEN=TOKEN,
        IXON_API_BASE_URL=FOREIGN_API,
    )
    notes = [line for line in called.stderr.splitlines() if line.startswith("NOTE: your IXON")]
    assert len(notes) == 1 and FOREIGN_API in notes[0]
    assert TOKEN not in called.stdout + called.stderr
    # Through the running serve (without the setting here): serve's token goes there, so the
    # call says so too
    through = invoke(guarded.workspace, "call", "example.greet", "--port", str(guarded.port))
    notes = [line for line in through.stderr.splitlines() if line.startswith("NOTE: your IXON")]
    assert len(notes) == 1 and FOREIGN_API in notes[0], through.stderr
    assert TOKEN not in through.stdout + through.stderr


# -- beyond loopback ---------------------------------------------------------------------------


def test_a_host_beyond_loopback_is_a_choice_and_goes_without_the_token(
    workspace: Path, tmp_path: Path
) -> None:
    refused = invoke(
        workspace, "serve", "--host", "0.0.0.0", "--port", str(free_port()), check=False
    )
    assert refused.returncode == 2
    (line,) = [line for line in refused.stderr.splitlines() if line.strip()]
    assert line.startswith("ERROR: --host 0.0.0.0 listens beyond this machine")
    assert "--expose" in line and "access token" in line

    with page_server() as origin:
        served = start_serve(
            workspace,
            "--host",
            "0.0.0.0",
            "--expose",
            "--trust-origin",
            origin,
            "--docdb",
            "memory",
            IXON_API_ACCESS_TOKEN=TOKEN,
        )
        try:
            assert "EXPOSED beyond this machine on 0.0.0.0" in served.log()
            assert "without your token" in served.log()
            answer = served.post(json.dumps({"name": "agents.names"}).encode())
            assert answer.status == 500
            assert "AgentList not sent" in answer.headers["X-Devkit-Error"]
            status, _, _ = request(
                served, b"{}", {"Content-Type": "application/json", "Host": "evil.test"}
            )
            assert status == 403
            if CHROMIUM is not None:  # the origin trusted on purpose calls and reads
                browser = DevTools(tmp_path / "profile")
                try:
                    open_page(browser, origin)
                    fetched = fetch_json(
                        browser,
                        f"http://127.0.0.1:{served.port}/",
                        {"name": "example.greet", "arguments": {"name": "Ada"}},
                    )
                finally:
                    browser.close()
                assert fetched == 'read:"Hello, Ada!"'
        finally:
            assert served.stop() == 0
    assert TOKEN not in served.log() + refused.stdout + refused.stderr


# -- in process: the settings and the origins -------------------------------------------------


def test_a_foreign_base_url_is_named_with_where_it_was_set(tmp_path: Path) -> None:
    settings = workspace_module("ixon_devkit.workspace.settings")
    (tmp_path / ".env").write_text("IXON_API_BASE_URL=https://collector.example.net/api\n")
    endpoint = settings.load_api_endpoint(tmp_path, {})
    line = settings.foreign_destination(endpoint.base_url)
    assert line.startswith("NOTE: your IXON access token goes to https://collector.example.net/")
    assert "set there by .env" in line
    for ixon in ("https://portal.ixon.cloud/api/", "https://api.ayayot.com", "http://127.0.0.1:9"):
        found = settings.load_api_endpoint(tmp_path, {"IXON_API_BASE_URL": ixon})
        assert settings.foreign_destination(found.base_url) is None, ixon

    # A deploy's settings say it too, once, and without the token.
    said: list[str] = []
    environ = {
        "IXON_API_BASE_URL": "https://evil.example.com/",
        "IXON_API_COMPANY_ID": "1234-5678-9012-3456-7890",
        "IXON_API_TEMPLATE_ID": "AbCdEf123456",
        "IXON_API_ACCESS_TOKEN": TOKEN,
    }
    settings.load(tmp_path, environ, warn=said.append)
    assert said == [
        "NOTE: your IXON access token goes to https://evil.example.com/, which is not IXON's "
        "API: IXON_API_BASE_URL is set there by environment; remove it there unless you mean it"
    ]


@pytest.mark.parametrize(
    "origin", ["*", "null", "http://localhost:5173/app", "ftp://host", "http://u@host"]
)
def test_an_origin_to_trust_must_be_one_page_origin(origin: str) -> None:
    trust = workspace_module("ixon_devkit.serve.serve_trust")
    with pytest.raises(trust.OriginError, match="is not an origin to trust"):
        trust.normal_origin(origin, "--trust-origin")


def test_owner_rules_in_process() -> None:
    trust = workspace_module("ixon_devkit.serve.serve_trust")
    assert trust.normal_origin("HTTP://LocalHost:80/", "x") == "http://localhost"
    owner = trust.Owner.listening("127.0.0.1", 8020, trust.simulator_origins(8000))
    base = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/json"}
    allowed = [
        {},
        {"HTTP_HOST": "localhost:8020", "HTTP_ORIGIN": "http://localhost:8000"},
        {"HTTP_HOST": "[::1]:8020", "HTTP_ORIGIN": "http://127.0.0.1:8020"},
    ]
    for extra in allowed:
        assert owner.check({**base, **extra}) is None, extra
    refused = [
        {"HTTP_HOST": "localhost:8000"},
        {"HTTP_HOST": "10.0.0.5:8020"},
        {"HTTP_ORIGIN": "http://localhost:8001"},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_ORIGIN": "http://localhost:8000", "CONTENT_TYPE": "text/plain"},
        {"CONTENT_LENGTH": str(trust.BODY_LIMIT + 1)},
    ]
    for extra in refused:
        assert owner.check({**base, **extra}) is not None, extra
    everywhere = trust.Owner.listening("0.0.0.0", 8020)
    assert everywhere.host_allowed("10.0.0.5:8020") and not everywhere.host_allowed("a.b:8020")


def test_trusted_origins_come_from_workspace_json_and_the_option(tmp_path: Path) -> None:
    trust = workspace_module("ixon_devkit.serve.serve_trust")
    settings = {"trusted_origins": ["http://localhost:5173/", "https://tools.example.com:443"]}
    (tmp_path / "workspace.json").write_text(json.dumps(settings))
    assert trust.configured_origins(tmp_path, ["http://127.0.0.1:9000"]) == [
        "http://localhost:5173",
        "https://tools.example.com",
        "http://127.0.0.1:9000",
    ]
    (tmp_path / "workspace.json").write_text(json.dumps({"trusted_origins": ["*"]}))
    with pytest.raises(trust.OriginError, match=r'workspace.json "trusted_origins": "\*"'):
        trust.configured_origins(tmp_path)
