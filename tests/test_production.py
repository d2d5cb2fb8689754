"""`invoke serve --production`: the functions run as IXON Cloud runs them.

One real `invoke serve --production` on a baked workspace: ixoncdkingress's own production
mode (signed bodies checked against the workspace's public key, the one-minute `created_on`
window, no form page), `invoke call` signing its calls, and a function that only works in
development mode failing there with one clear line; the same in the workspace's own tests with
the `ixon_production` marker. Bodies are signed in the workspace's own environment (the
template's test environment has no cryptography).
"""

from __future__ import annotations

import http.client
import json
import os
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from support import serve_secret
from test_serve import Served, serving

from conftest import WORKSPACE_TEMPLATE, bake, invoke

SIGN = """
import json, sys
from pathlib import Path
from ixon_devkit.ship import production
body = json.dumps({
    "name": "example.greet", "arguments": {"name": "Ada"}, "context": {}, "config": {},
    "created_on": sys.argv[1],
}).encode()
print(json.dumps({"body": body.decode(), "authorization": production.authorization(
    body, production.load_keys(Path(".")))}))
"""

DEV_ONLY = '''"""Reads a value only context_values.yaml gives (IXON Cloud reads none)."""

from ixoncdkingress.function.context import FunctionContext


@FunctionContext.expose
def greeting(context: FunctionContext) -> str:
    return context.config["greeting"]
'''


MARKED_TESTS = """
import pytest


@pytest.mark.ixon_production
def test_greets_in_production(client):
    assert client.call("example.greet", name="Ada") == "Hello, Ada!"


@pytest.mark.ixon_production
def test_needs_development_mode(client):
    with pytest.raises(KeyError, match="greeting"):
        client.call("devonly.greeting")


def test_works_in_development(client):
    assert client.call("devonly.greeting") == "Hello"
"""


def signed(workspace: Path, python: Path, created_on: datetime) -> tuple[bytes, str]:
    result = subprocess.run(
        [str(python), "-c", SIGN, created_on.isoformat()],
        cwd=workspace,
        capture_output=True,
        text=True,
        check=True,
    )
    signed_call = json.loads(result.stdout)
    return signed_call["body"].encode(), signed_call["authorization"]


def post(
    served: Served, body: bytes, authorization: str | None = None, method: str = "POST"
) -> int:
    headers = {"Content-Type": "application/json", **serve_secret(served.workspace)}
    if authorization:
        headers["Authorization"] = authorization
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    try:
        connection.request(method, "/", body if method == "POST" else None, headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_serve_production_answers_signed_calls_and_refuses_unsigned_or_stale_ones(
    tmp_path: Path, shared_venv: Path
) -> None:
    workspace = bake(tmp_path)
    (workspace / "functions" / "devonly.py").write_text(DEV_ONLY, encoding="utf-8")
    python = shared_venv / "bin" / "python"

    with serving(workspace, "--docdb", "memory", "--production") as served:
        key = workspace / ".devkit" / "production-key.pem"
        now = datetime.now(UTC)
        fresh_body, fresh_signature = signed(workspace, python, now)
        stale_body, stale_signature = signed(workspace, python, now - timedelta(minutes=2))

        called = invoke(
            workspace,
            "call",
            "example.greet",
            "--arg",
            "name=Ada",
            "--port",
            str(served.port),
            check=False,
        )
        statuses = {
            "signed": post(served, fresh_body, fresh_signature),
            "unsigned": post(served, fresh_body),
            "stale": post(served, stale_body, stale_signature),
            "tampered": post(served, fresh_body.replace(b"Ada", b"Eve"), fresh_signature),
            "bearer": post(served, fresh_body, "Bearer " + fresh_signature.split()[1]),
            "form page": post(served, b"", method="GET"),
        }
        dev_only = invoke(
            workspace, "call", "devonly.greeting", "--port", str(served.port), check=False
        )
        log = served.log()
    development = invoke(workspace, "call", "devonly.greeting", "--port", "1", check=False)
    (workspace / "tests" / "test_marked.py").write_text(MARKED_TESTS, encoding="utf-8")
    marked = invoke(workspace, "test", "-k", "marked", check=False)

    assert called.returncode == 0, called.stderr + log[-2000:]
    assert json.loads(called.stdout) == "Hello, Ada!"
    assert statuses == {
        "signed": 200,
        "unsigned": 401,
        "stale": 401,
        "tampered": 401,
        "bearer": 401,
        "form page": 405,
    }
    assert "Production mode, as IXON Cloud runs the functions" in log
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert ".devkit/" in (workspace / ".gitignore").read_text(encoding="utf-8")
    # A function that needs development mode fails there with one clear line.
    assert dev_only.returncode == 1
    (line,) = [text for text in dev_only.stderr.splitlines() if text.startswith("ERROR: ")]
    assert "devonly.greeting raised KeyError" in line
    assert "it failed in production mode, as IXON Cloud runs it: no context_values.yaml" in line
    assert development.returncode == 0 and json.loads(development.stdout) == "Hello"
    assert marked.returncode == 0, marked.stdout[-3000:]
    assert "3 passed" in marked.stdout


MAKE_KEYS = """
import sys
from pathlib import Path
from ixon_devkit.ship import production
production.ensure_keys(Path(sys.argv[1]))
"""


def test_the_private_key_is_written_whole_and_0600_whatever_was_there(
    tmp_path: Path, shared_venv: Path
) -> None:
    def make_keys(root: Path) -> None:
        subprocess.run(
            [str(shared_venv / "bin" / "python"), "-c", MAKE_KEYS, str(root)],
            cwd=WORKSPACE_TEMPLATE,
            env={
                **os.environ,
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONPATH": str(WORKSPACE_TEMPLATE),
            },
            check=True,
        )

    # An old, readable file that is no key: replaced by a key only its owner can read.
    readable = tmp_path / "readable"
    (readable / ".devkit").mkdir(parents=True)
    (readable / ".devkit" / "production-key.pem").write_text("not a key\n", encoding="utf-8")
    (readable / ".devkit" / "production-key.pem").chmod(0o644)
    # A link planted where the key goes: replaced, and what it pointed at left as it was.
    linked = tmp_path / "linked"
    (linked / ".devkit").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("someone else's file\n", encoding="utf-8")
    elsewhere.chmod(0o644)
    (linked / ".devkit" / "production-key.pem").symlink_to(elsewhere)

    make_keys(readable)
    make_keys(linked)

    for root in (readable, linked):
        key = root / ".devkit" / "production-key.pem"
        assert not key.is_symlink()
        assert key.read_text(encoding="utf-8").startswith("-----BEGIN PRIVATE KEY-----")
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert sorted(path.name for path in key.parent.iterdir()) == ["production-key.pem"]
    assert elsewhere.read_text(encoding="utf-8") == "someone else's file\n"
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o644
