"""`invoke login` and `invoke logout` against the workspace's IXON API stand-in on loopback.

In-process: the workspace's own `ixon_devkit.cloud.login` (on requests) logs in to the stand-in
over real HTTP with answers read from a stream, as from standard input. End to end: a baked
workspace's real `invoke login` fed on standard input, then `invoke deploy` with the stored
token, then `invoke logout`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import select
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from support import free_port

from conftest import bake, invoke, workspace_env, workspace_module

login = workspace_module("ixon_devkit.cloud.login")
token_file = workspace_module("ixon_devkit.cloud.token_file")
standin = workspace_module("ixon_devkit.testing.api_standin")

EMAIL, PASSWORD, NAME = "ada@example.com", "Pa55:word-Secret!", "Ada Lovelace"
OTP = "424242"
PLAIN_EMAIL, PLAIN_PASSWORD = "bob@example.com", "BobsOwnSecret99"
TEMPLATE = "AbCdEf123456"
COMPANY = "1234-5678-9012-3456-7890"


@pytest.fixture
def api() -> Iterator[Any]:
    with standin.ApiStandIn() as running:
        running.add_account(EMAIL, PASSWORD, NAME, otp=OTP)
        running.add_account(PLAIN_EMAIL, PLAIN_PASSWORD, "Bob Builder")
        yield running


def answers(*lines: str) -> Any:
    return login.stream_ask(io.StringIO("".join(line + "\n" for line in lines)))


def environ(api: Any) -> dict[str, str]:
    return {"IXON_API_BASE_URL": api.base_url}


def test_login_with_two_factor_asks_the_otp_and_stores_the_token_for_the_user_only(
    tmp_path: Path, api: Any
) -> None:
    logged_in = login.log_in(tmp_path, answers(EMAIL, PASSWORD, OTP), environ=environ(api))

    assert logged_in.user == NAME
    [token] = api.issued
    path = tmp_path / ".accesstoken"
    assert path.read_text() == token + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(tmp_path.glob("*.partial"))
    first, second = api.calls("AccessTokenList")
    assert (first.status, second.status) == (401, 201)
    assert first.body == {"expiresIn": 2592000}
    assert first.headers["Api-Version"] == "2"
    assert first.headers["Api-Application"] == "9J9IZzeT4xN4"
    assert first.headers["Content-Type"] == "application/json"
    assert first.headers["Authorization"] == "Basic ********"
    # The expiry IXON gave is recorded, without the token.
    known = token_file.expiry(tmp_path)
    assert known is not None and known.user == NAME
    assert timedelta(days=29) < known.expires_on - datetime.now(UTC) <= timedelta(days=30)
    assert token not in (tmp_path / ".devkit" / "access-token.json").read_text()
    shown = "\n".join(login.describe(logged_in, {}))
    assert f"Logged in to IXON as {NAME} until {known.shown()}" in shown
    assert token not in shown and PASSWORD not in shown


def test_a_wrong_password_is_one_clear_line_and_stores_nothing(tmp_path: Path, api: Any) -> None:
    with pytest.raises(login.LoginError) as caught:
        wrong = answers(PLAIN_EMAIL, "wrong-" + PLAIN_PASSWORD)
        login.log_in(tmp_path, wrong, environ=environ(api))

    message = str(caught.value)
    assert message.startswith("IXON refused the e-mail address and password (HTTP 401")
    assert "\n" not in message and PLAIN_PASSWORD not in message
    assert not (tmp_path / ".accesstoken").exists()
    # A wrong one-time password: IXON keeps asking for it.
    with pytest.raises(login.LoginError, match="one-time password was wrong"):
        login.log_in(tmp_path, answers(EMAIL, PASSWORD, "000000"), environ=environ(api))
    # An empty one-time password: the line names where it was asked for.
    with pytest.raises(login.LoginError, match=rf"^{api.base_url}access-tokens asks for the one"):
        login.log_in(tmp_path, answers(EMAIL, PASSWORD, ""), environ=environ(api))
    # Standard input that ends before IXON's question is answered.
    with pytest.raises(login.LoginError, match='ended before the answer to "One-time password'):
        login.log_in(tmp_path, answers(EMAIL, PASSWORD), environ=environ(api))
    assert api.issued == {}


def test_ixon_unreachable_or_failing_is_one_line_each(tmp_path: Path) -> None:
    closed = {"IXON_API_BASE_URL": f"http://127.0.0.1:{free_port()}/api/"}
    with pytest.raises(login.LoginError, match=r"^cannot reach IXON's API at http://127\.0\.0\.1"):
        login.log_in(tmp_path, answers(EMAIL, PASSWORD), environ=closed)

    with socket.create_server(("127.0.0.1", 0)) as silent:  # takes the connection, never answers
        quiet = {"IXON_API_BASE_URL": f"http://127.0.0.1:{silent.getsockname()[1]}/api/"}
        with pytest.raises(login.LoginError, match=r"did not answer within 0\.5 s when asked to"):
            login.log_in(tmp_path, answers(EMAIL, PASSWORD), environ=quiet, timeout=0.5)

    with _failing_server(503) as url, pytest.raises(login.LoginError) as caught:
        login.log_in(tmp_path, answers(EMAIL, PASSWORD), environ={"IXON_API_BASE_URL": url})
    assert (
        f"IXON's API answered HTTP 503 at {url}access-tokens (Service unavailable): IXON has a "
        "problem" in str(caught.value)
    )
    assert PASSWORD not in str(caught.value)
    assert not (tmp_path / ".accesstoken").exists()


def test_a_netrc_never_replaces_the_credentials_and_a_redirect_is_not_followed(
    tmp_path: Path, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone@example.com password other\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))

    login.log_in(tmp_path, answers(PLAIN_EMAIL, PLAIN_PASSWORD), environ=environ(api))

    assert len(api.issued) == 1
    # A redirect is an answer, not followed: the credentials stay where they were sent.
    redirecting = type("Handler", (_Failing,), {"status": 307, "location": api.base_url})
    server = ThreadingHTTPServer(("127.0.0.1", 0), redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api/"
    try:
        with pytest.raises(login.LoginError) as caught:
            moved = answers(PLAIN_EMAIL, PLAIN_PASSWORD)
            login.log_in(tmp_path, moved, environ={"IXON_API_BASE_URL": url})
    finally:
        server.shutdown()
        server.server_close()
    assert f"(HTTP 307 from {url}access-tokens: Service unavailable)" in str(caught.value)
    assert len(api.issued) == 1


def test_logout_revokes_the_token_then_removes_the_file(tmp_path: Path, api: Any) -> None:
    login.log_in(tmp_path, answers(PLAIN_EMAIL, PLAIN_PASSWORD), environ=environ(api))
    [earlier] = api.issued
    # Logging in again revokes the token the earlier login stored.
    again = login.log_in(tmp_path, answers(PLAIN_EMAIL, PLAIN_PASSWORD), environ=environ(api))
    assert again.previous == "The token of the earlier login is revoked"
    assert api.revoked == [earlier]
    [token] = [issued for issued in api.issued if issued != earlier]
    assert api.accepts(f"Bearer {token}")

    # IXON out of reach: the token still works, so the file stays.
    closed = {"IXON_API_BASE_URL": f"http://127.0.0.1:{free_port()}/api/"}
    with pytest.raises(login.LoginError, match=r"\.accesstoken is kept") as caught:
        login.log_out(tmp_path, environ=closed)
    assert token not in str(caught.value)
    assert (tmp_path / ".accesstoken").exists()

    done = login.log_out(tmp_path, environ=environ(api))

    assert done.removed and "IXON revoked the token" in done.message
    assert api.revoked == [earlier, token] and not api.accepts(f"Bearer {token}")
    assert [(call.method, call.status) for call in api.calls("AccessToken")] == [
        ("DELETE", 200)
    ] * 2
    assert not (tmp_path / ".accesstoken").exists()
    assert token_file.expiry(tmp_path) is None
    assert "Not logged in" in login.log_out(tmp_path, environ=environ(api)).message


def test_doctor_and_deploy_judge_the_token_by_its_recorded_expiry(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    token = "T" * 32
    token_file.write(tmp_path, token, now + timedelta(days=1), NAME)
    path = tmp_path / ".accesstoken"
    warning = token_file.warning(tmp_path, {}, now)
    assert warning is not None and "expires at" in warning and "in 24 hours" in warning
    assert token_file.warning(tmp_path, {}, now - timedelta(days=5)) is None
    assert "expired at" in token_file.warning(tmp_path, {}, now + timedelta(days=2))
    # ...and a token pasted by hand afterwards is judged by its file's age again.
    path.write_text("U" * 32 + "\n")
    old = now.timestamp() - 45 * 86400
    os.utime(path, (old, old))
    assert token_file.expiry(tmp_path) is None
    assert "45 days old" in token_file.warning(tmp_path, {}, now)
    # The environment's token wins: the file says nothing about it.
    assert token_file.warning(tmp_path, {"IXON_API_ACCESS_TOKEN": token}, now) is None


def test_invoke_login_then_deploy_with_its_token_then_logout(workspace: Path, api: Any) -> None:
    """The whole path in a baked workspace: credentials on standard input, no token anywhere
    in the output, deploy with the stored token, the stand-in sees the revocation."""
    api.answer(
        "BackendComponentTemplateVersionUpload",
        {"publicId": TEMPLATE},
        method="POST",
        data={"publicId": TEMPLATE},
    )
    (workspace / ".env").write_text(
        f"IXON_API_BASE_URL={api.base_url}\nIXON_API_COMPANY_ID={COMPANY}\n"
        f"IXON_API_TEMPLATE_ID={TEMPLATE}\nIXON_API_RETRY_BACKOFF=0.01\n",
        encoding="utf-8",
    )

    wrong = _invoke_with_input(workspace, "login", f"{EMAIL}\nnot-{PASSWORD}\n")
    assert wrong.returncode == 1
    assert wrong.stderr.splitlines() == [
        f"ERROR: IXON refused the e-mail address and password (HTTP 401 from {api.base_url}"
        "access-tokens: Invalid e-mail address or password): check them and run `invoke login` "
        "again (nothing was stored)"
    ]

    logged = _invoke_with_input(workspace, "login", f"{EMAIL}\n{PASSWORD}\n{OTP}\n")
    assert logged.returncode == 0, logged.stderr
    [token] = api.issued
    path = workspace / ".accesstoken"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"Logged in to IXON as {NAME} until " in logged.stdout
    deployed = invoke(
        workspace, "deploy", "--skip-checks", "--keep-examples", check=False, timeout=600
    )
    doctor = invoke(workspace, "doctor", check=False)
    out = _invoke_with_input(workspace, "logout", "")

    for result in (wrong, logged, deployed, doctor, out):
        shown = result.stdout + result.stderr
        assert token not in shown and PASSWORD not in shown and "Traceback" not in shown
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    [upload] = api.calls("BackendComponentTemplateVersionUpload")
    assert upload.status == 200 and upload.headers["Api-Company"] == COMPANY
    assert upload.body.startswith(b"PK")
    assert f"done     Access token: .accesstoken of {NAME}, valid until" in doctor.stdout
    assert out.returncode == 0, out.stderr
    assert "Logged out: IXON revoked the token" in out.stdout
    assert api.revoked == [token]
    assert not path.exists()
    entries = json.loads((workspace / "deployments.json").read_text())["deployments"]
    assert [entry["template_id"] for entry in entries] == [TEMPLATE]


def _invoke_with_input(workspace: Path, task: str, text: str) -> subprocess.CompletedProcess[str]:
    """`invoke TASK` with `text` on standard input (not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "invoke", task],
        cwd=workspace,
        env=workspace_env(),
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
    )


class _Failing(BaseHTTPRequestHandler):
    status = 503
    location = ""  # where a redirect points

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps(standin.error_body("Service unavailable")).encode()
        self.send_response(self.status)
        if self.location:
            self.send_header("Location", self.location + "access-tokens")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def _failing_server(status: int) -> Iterator[str]:
    """A server on loopback answering every POST with `status` in IXON's error shape; its
    base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Failing,), {"status": status}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/"
    finally:
        server.shutdown()
        server.server_close()


def test_doctor_blocks_on_a_token_ixon_said_has_expired(tmp_path: Path) -> None:
    doctor = workspace_module("ixon_devkit.doctor.doctor_settings")
    now = datetime.now(UTC)
    token_file.write(tmp_path, "T" * 32, now + timedelta(days=10), NAME)

    fine = doctor.token_step(tmp_path, {}, now)
    soon = doctor.token_step(tmp_path, {}, now + timedelta(days=9))
    gone = doctor.token_step(tmp_path, {}, now + timedelta(days=11))

    assert (fine.status, fine.blocking) == ("done", False)
    assert fine.detail.startswith(f".accesstoken of {NAME}, valid until ")
    assert (soon.status, soon.blocking, soon.action) == (
        "warning",
        False,
        "run `invoke login` to get a new token",
    )
    assert (gone.status, gone.blocking) == ("missing", True)
    assert "expired at" in gone.detail and "T" * 8 not in gone.detail


# -- where the credentials go, and what a refusal names ----------------------------------------

FOREIGN = "https://evil.invalid/api/"


def _never_asked(label: str, hidden: bool) -> str:
    raise AssertionError(f"asked {label!r} although nothing may be sent")


def test_login_refuses_a_base_url_neither_ixons_nor_loopback_before_asking_anything(
    tmp_path: Path,
) -> None:
    (tmp_path / ".env").write_text(f"IXON_API_BASE_URL={FOREIGN}\n")
    asked: list[str] = []

    with pytest.raises(login.LoginError) as caught:
        login.log_in(tmp_path, _never_asked, environ={})
    assert str(caught.value) == (
        f"refusing to send your e-mail address and password to {FOREIGN}, which is not IXON's "
        "API (IXON_API_BASE_URL is set there by .env): remove it there, or add "
        f"--trust-base-url {FOREIGN} if you mean it (nothing was sent)"
    )
    # On a terminal the user is asked; no is a refusal too.
    with pytest.raises(login.LoginError, match=r"^refusing to send"):
        login.log_in(tmp_path, _never_asked, environ={}, confirm=lambda q: asked.append(q) or False)
    assert asked == [
        f"{FOREIGN} is not IXON's API (IXON_API_BASE_URL is set there by .env). Send your "
        "e-mail address and password there?"
    ]
    # Another URL than the one set is no trust either.
    with pytest.raises(login.LoginError, match=r"is not the base URL https://evil\.invalid/api/"):
        login.log_in(tmp_path, _never_asked, environ={}, trust="https://other.invalid/api/")
    # A user who means it goes on (the credentials then go there: this host does not exist).
    for go_on in ({"trust": FOREIGN.rstrip("/")}, {"confirm": lambda _question: True}):
        with pytest.raises(login.LoginError, match=r"^cannot reach IXON's API at https://evil"):
            login.log_in(tmp_path, answers(EMAIL, PASSWORD), environ={}, timeout=5, **go_on)


def test_logout_and_the_relogin_send_no_token_to_a_foreign_base_url(
    tmp_path: Path, api: Any
) -> None:
    login.log_in(tmp_path, answers(PLAIN_EMAIL, PLAIN_PASSWORD), environ=environ(api))
    [token] = api.issued
    foreign = {"IXON_API_BASE_URL": FOREIGN}

    with pytest.raises(login.LoginError) as again:
        login.log_in(tmp_path, _never_asked, environ=foreign)
    with pytest.raises(login.LoginError) as out:
        login.log_out(tmp_path, environ=foreign)

    assert str(again.value).startswith(
        f"refusing to send your e-mail address and password (and the token of the earlier "
        f"login, to revoke it) to {FOREIGN}, which is not IXON's API (IXON_API_BASE_URL is set "
        "there by environment)"
    )
    assert str(out.value).startswith(f"refusing to send the token of .accesstoken to {FOREIGN}")
    assert (tmp_path / ".accesstoken").read_text() == token + "\n"
    with pytest.raises(login.LoginError, match=r"cannot reach .*\.accesstoken is kept"):
        login.log_out(tmp_path, environ=foreign, trust=FOREIGN, timeout=5)
    # IXON's own hosts and loopback need no word.
    assert login.log_out(tmp_path, environ=environ(api)).removed
    ixon = login.settings.ApiEndpoint(
        login.settings.Setting("IXON_API_BASE_URL", "https://api.ayayot.com/", "default"),
        login.settings.Setting("IXON_API_APPLICATION_ID", "9J9IZzeT4xN4", "default"),
    )
    login.check_destination(ixon, "anything")


def test_invoke_login_without_a_terminal_refuses_a_foreign_base_url(tmp_path: Path) -> None:
    project = bake(tmp_path)
    (project / ".env").write_text(f"IXON_API_BASE_URL={FOREIGN}\n")

    refused = _invoke_with_input(project, "login", f"{EMAIL}\n{PASSWORD}\n")
    out = _invoke_with_input(project, "logout", "")

    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        f"ERROR: refusing to send your e-mail address and password to {FOREIGN}, which is not "
        "IXON's API (IXON_API_BASE_URL is set there by .env): remove it there, or add "
        f"--trust-base-url {FOREIGN} if you mean it (nothing was sent)"
    ]
    assert out.returncode == 0 and "Not logged in" in out.stdout


def test_a_base_url_without_api_names_the_url_asked_and_the_setting(
    tmp_path: Path, api: Any
) -> None:
    root = api.base_url.removesuffix("api/")

    with pytest.raises(login.LoginError) as caught:
        login.log_in(tmp_path, answers(EMAIL, PASSWORD), environ={"IXON_API_BASE_URL": root})

    assert str(caught.value) == (
        f"{root}access-tokens answered HTTP 404: Not found, so {root} (IXON_API_BASE_URL, set "
        "by environment) is not IXON's API v2, whose address ends in /api/ "
        "(https://portal.ixon.cloud/api/): correct IXON_API_BASE_URL (nothing was stored)"
    )


class _OddToken(BaseHTTPRequestHandler):
    """Answers a login as IXON does, with a secretId the workspace's pattern refuses."""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        data = {"secretId": "not a token", "user": {"name": NAME}}
        body = json.dumps({"type": "AccessToken", "data": data, "status": "success"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_a_token_of_another_format_names_the_format_not_the_url(tmp_path: Path) -> None:
    settings = workspace_module("ixon_devkit.workspace.settings")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OddToken)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api/"
    try:
        with pytest.raises(login.LoginError) as caught:
            login.log_in(tmp_path, answers(EMAIL, PASSWORD), environ={"IXON_API_BASE_URL": url})
    finally:
        server.shutdown()
        server.server_close()

    described = "one line of 16 to 2048 letters, digits and . _ ~ + / = -"
    assert str(caught.value) == (
        f"{url}access-tokens gave an access token (secretId) of 11 characters that is not the "
        f"format this workspace takes ({described}): nothing was stored; report it to the "
        "template's maintainers (ixon_devkit/workspace/ids.py, TOKEN)"
    )
    assert not (tmp_path / ".accesstoken").exists()
    # The settings reader describes the same format in the same words.
    (tmp_path / ".accesstoken").write_text("not a token\n")
    with pytest.raises(settings.SettingsError, match=f"expected {re.escape(described)}"):
        settings.load_token(tmp_path, environ={})


def test_invoke_login_on_a_terminal_asks_before_sending_to_a_foreign_base_url(
    tmp_path: Path,
) -> None:
    """A real terminal (a pseudo-terminal): the question comes before the e-mail address is
    asked for, and "n" sends nothing."""
    project = bake(tmp_path)
    (project / ".env").write_text(f"IXON_API_BASE_URL={FOREIGN}\n")
    leader, follower = os.openpty()
    command = subprocess.Popen(
        [sys.executable, "-m", "invoke", "login"],
        cwd=project,
        env=workspace_env(),
        stdin=follower,
        stdout=follower,
        stderr=follower,
        start_new_session=True,
    )
    os.close(follower)
    shown = b""
    try:
        deadline = time.monotonic() + 60
        while b"[y/N]" not in shown and time.monotonic() < deadline:
            if select.select([leader], [], [], 1)[0]:
                shown += os.read(leader, 4096)
        assert b"[y/N]" in shown, shown
        os.write(leader, b"n\n")
        command.wait(timeout=60)
        with contextlib.suppress(OSError):  # the terminal closes with the process
            while chunk := os.read(leader, 4096):
                shown += chunk
    finally:
        os.close(leader)
        if command.poll() is None:
            command.kill()
    text = shown.decode()
    assert f"{FOREIGN} is not IXON's API (IXON_API_BASE_URL is set there by .env). Send " in text
    assert "IXON e-mail address:" not in text
    assert command.returncode == 1
    assert "ERROR: refusing to send your e-mail address and password" in text
