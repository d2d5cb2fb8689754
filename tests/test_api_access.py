"""Functions that call the IXON API: the developer's access locally, a stand-in in tests, API
access checked before a deploy.

The workspace's own modules are tested in-process where they prove the point (the static scan,
the deploy check, the token age, the stand-in); baked workspaces and their real `invoke serve`,
`invoke call`, `invoke test`, `invoke api-access` and `invoke deploy` prove the wiring. The IXON
API is always the workspace's stand-in (`ixon_devkit/testing/api_standin.py`, standard library) on
loopback; the token must never show in any output.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import free_port
from test_serve import Served, serving

from conftest import SHARED_VENV, bake, invoke, workspace_env, workspace_module

TOKEN = "Zq8sLk3vNp2Wx7Rt5Yu1Io9Pa4Sd6Fg0"
OTHER_TOKEN = "Simu1atorT0kenXXXXXXXXXXXXXXXXXX"
CALLER_COMPANY = "0000-0000-0000-0000-0001"
DEFAULT_APPLICATION = "9J9IZzeT4xN4"
PUMP = {"publicId": "Agent0000001", "name": "Pump house"}
BOILER = {"publicId": "Agent0000002", "name": "boiler room"}

standin = workspace_module("ixon_devkit.testing.api_standin")
api_access = workspace_module("ixon_devkit.cloud.api_access")
settings = workspace_module("ixon_devkit.workspace.settings")


def no_token(*texts: str) -> None:
    for text in texts:
        assert TOKEN not in text, "the access token leaked"


# -- in-process: the static scan, the list, the deploy check --------------------------------


CODE = """
from ixoncdkingress.function.api_client import ApiClient


def names(context):
    context.config.get("Greeting")            # a dict's get: not an API call
    context.api_client.get("AgentList", query={"fields": "name"})
    api = context.api_client
    api.post("AgentList", {"name": "x"})
    api.delete(url_name="Agent", url_args={"publicId": "a"})
    context.api_client.patch(f"{'Asset'}", {})   # not a literal: checked by hand


def helper(client: ApiClient):
    return client.put("MyUser", data={})
"""


@pytest.fixture
def scanned(tmp_path: Path) -> Path:
    (tmp_path / "functions").mkdir()
    (tmp_path / "functions" / "api.py").write_text(CODE, encoding="utf-8")
    (tmp_path / "functions" / "test_api.py").write_text(
        'def test(c):\n    c.api_client.get("TestOnly")\n', encoding="utf-8"
    )
    (tmp_path / "workspace.json").write_text(
        json.dumps({"function_name": "Pumps", "api_access": ["AgentList", "Group"]}),
        encoding="utf-8",
    )
    return tmp_path


def test_the_scan_finds_literal_names_in_calls_of_the_api_client(scanned: Path) -> None:
    uses, unreadable = api_access.scan(scanned)

    found = sorted((use.name, use.method, use.line) for use in uses if use.name)
    assert found == [
        ("Agent", "delete", 10),
        ("AgentList", "get", 7),
        ("AgentList", "post", 9),
        ("MyUser", "put", 15),
    ]
    assert [use.where for use in uses if use.name is None] == ["functions/api.py:11"]
    assert unreadable == []


def test_the_report_says_what_to_grant_what_is_unused_and_what_to_send(scanned: Path) -> None:
    api_access.record_seen(scanned, "UserList", "serve")
    api_access.record_seen(scanned, "AgentList", "tests")

    found = api_access.report(scanned)
    text = "\n".join(api_access.describe(found, scanned))

    assert found.missing == ["Agent", "MyUser", "UserList"]
    assert found.unused == ["Group"]
    assert "Grant in IXON Studio > Cloud Functions > Pumps > API Access:" in text
    assert "  Agent, AgentList, MyUser, UserList" in text
    assert "Granted but unused: Group" in text
    assert "Not a literal name: patch(...) at functions/api.py:11" in text
    assert 'Please grant the Cloud Function "Pumps"' in text
    assert "API access to: Agent, AgentList, Group, MyUser, UserList." in text


def test_the_deploy_check_refuses_names_the_list_lacks_and_a_named_option_skips_it(
    scanned: Path,
) -> None:
    with pytest.raises(api_access.ApiAccessError) as refused:
        api_access.check_before_deploy(scanned, warn=lambda line: None)
    message = str(refused.value)
    assert "Agent (functions/api.py:10); MyUser (functions/api.py:15)" in message
    assert "--ignore-api-access" in message

    warnings: list[str] = []
    api_access.check_before_deploy(scanned, skip=True, warn=warnings.append)
    assert warnings and warnings[0].startswith("WARNING: --ignore-api-access")


def test_a_misspelt_name_is_caught_before_deploy_and_a_refresh_takes_the_live_list(
    scanned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (scanned / "workspace.json").write_text(
        json.dumps({"api_access": ["Agent", "AgentList", "AgentLst", "MyUser"]}), encoding="utf-8"
    )
    (scanned / "functions" / "typo.py").write_text(
        'def names(context):\n    return context.api_client.get("AgentLst")\n', encoding="utf-8"
    )

    with pytest.raises(api_access.ApiAccessError) as refused:
        api_access.check_before_deploy(scanned, warn=lambda line: None)
    text = "\n".join(api_access.describe(api_access.report(scanned), scanned))

    message = str(refused.value)
    assert "AgentLst (did you mean AgentList? also close: Agent, " in message
    assert ") at functions/typo.py:2" in message
    assert "IXON's OpenAPI description of the IXON API, version 0.1.294" in message
    assert "taken on 2026-11-29" in message
    assert "--ignore-api-access" in message
    assert "Not IXON API names (IXON's list of API names" in text
    assert "AgentLst (did you mean AgentList?" in text

    # IXON's live discovery (the stand-in's) lists AgentLst: after a refresh it passes.
    names_refresh = workspace_module("ixon_devkit.cloud.names_refresh")
    with standin.ApiStandIn(token=TOKEN) as live:
        for name in ("Agent", "AgentList", "AgentLst", "MyUser"):
            live.answer(name, data=[])
        monkeypatch.setenv("IXON_API_BASE_URL", live.base_url)
        monkeypatch.setenv("IXON_API_COMPANY_ID", CALLER_COMPANY)
        monkeypatch.setenv("IXON_API_ACCESS_TOKEN", TOKEN)
        lines: list[str] = []
        written = names_refresh.refresh(scanned, echo=lines.append)

    saved = json.loads(written.read_text(encoding="utf-8"))
    assert "AgentLst" in saved["names"] and saved["source"].startswith("the discovery document")
    assert lines[-1].endswith("in .devkit/ixon-api-names.json")
    api_access.check_before_deploy(scanned, warn=lambda line: None)  # no longer refused
    no_token(*lines, written.read_text(encoding="utf-8"))


@pytest.mark.parametrize("value", ['"AgentList"', '["Agent List"]', "[1]", '[""]'])
def test_a_malformed_list_is_one_clear_error(tmp_path: Path, value: str) -> None:
    (tmp_path / "workspace.json").write_text(f'{{"api_access": {value}}}', encoding="utf-8")

    with pytest.raises(api_access.ApiAccessError, match=r'"api_access" in workspace\.json must be'):
        api_access.listed(tmp_path)


def test_a_token_file_older_than_30_days_draws_a_warning(tmp_path: Path) -> None:
    token_file = tmp_path / ".accesstoken"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    assert settings.token_age_warning(tmp_path, environ={}) is None

    old = time.time() - 45 * 86400
    os.utime(token_file, (old, old))
    warning = settings.token_age_warning(tmp_path, environ={})
    assert warning is not None
    assert warning.startswith("WARNING: .accesstoken is 45 days old")
    assert "older than 30 days" in warning and "Authorization header" in warning
    no_token(warning)
    # A token from the environment wins, so the file's age says nothing.
    assert settings.token_age_warning(tmp_path, environ={"IXON_API_ACCESS_TOKEN": TOKEN}) is None


# -- in-process: the stand-in over real HTTP -------------------------------------------------


def request(
    url: str, method: str = "GET", body: Any = None, token: str = standin.TEST_TOKEN
) -> tuple[int, dict[str, Any]]:
    headers = {"Api-Version": "2", "Api-Application": "StandInApp01"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    sent = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(sent, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def api() -> Iterator[Any]:
    with standin.ApiStandIn() as running:
        yield running


def links(api: Any) -> dict[str, str]:
    status, discovery = request(api.base_url, token="")
    assert status == 200 and discovery["type"] == "Discovery"
    return {link["rel"]: link["href"] for link in discovery["data"]}


def test_the_stand_in_answers_declared_names_with_url_arguments_and_errors(api: Any) -> None:
    api.answer("Agent", {"publicId": PUMP["publicId"]}, data=PUMP)
    api.answer("Agent", status=404, error="Agent not found")
    href = links(api)["Agent"]
    assert href.endswith("/{publicId}")

    assert request(href.format(publicId=PUMP["publicId"]))[1]["data"] == PUMP
    status, missing = request(href.format(publicId="Nope00000000"))
    assert status == 404
    assert missing["status"] == "error"
    assert missing["data"][0]["message"] == "Agent not found"
    assert [call.url_args for call in api.calls("Agent")] == [
        {"publicId": "Agent0000001"},
        {"publicId": "Nope00000000"},
    ]


def test_the_stand_in_pages_through_more_after(api: Any) -> None:
    api.answer("AgentList", pages=[[PUMP], [BOILER]])
    href = links(api)["AgentList"]

    first = request(href)[1]
    second = request(f"{href}?page-after={first['moreAfter']}")[1]

    assert (first["data"], second["data"], second["moreAfter"]) == ([PUMP], [BOILER], None)


def test_the_stand_in_records_requests_with_the_token_masked(api: Any) -> None:
    api.answer("AgentList", method="POST", status=201, data={"publicId": "New000000001"})
    href = links(api)["AgentList"]

    status, created = request(href + "?fields=name", "POST", {"name": "Pump"})

    assert status == 201 and created["data"]["publicId"] == "New000000001"
    (recorded,) = api.calls("AgentList")
    assert (recorded.method, recorded.query, recorded.body) == (
        "POST",
        {"fields": "name"},
        {"name": "Pump"},
    )
    assert recorded.headers["Authorization"] == "Bearer ********"
    assert standin.TEST_TOKEN not in repr(api.requests)


def test_the_stand_in_refuses_a_wrong_token_and_notes_undeclared_names(api: Any) -> None:
    href = links(api)["MyUser"]

    assert request(href, token=OTHER_TOKEN)[0] == 401
    status, answer = request(href)

    assert status == 404
    assert api.undeclared == [
        "GET MyUser has no declared answer: declare one in the test, like "
        'ixon_api.answer("MyUser", data={...})'
    ]
    assert "ixon_api.answer" in answer["data"][0]["message"]


# -- baked workspaces: invoke serve and invoke call ------------------------------------------


@pytest.fixture(scope="module")
def ixon(tmp_path_factory: pytest.TempPathFactory, shared_venv: Path) -> Iterator[Any]:
    """The stand-in as IXON's API for a workspace, with the developer's token."""
    with standin.ApiStandIn(token=TOKEN) as running:
        yield running


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, shared_venv: Path, ixon: Any) -> Path:
    """A fresh workspace, its token in a 40-day-old .accesstoken, its API base URL the
    stand-in's."""
    workspace = bake(tmp_path_factory.mktemp("api"))
    token_file = workspace / ".accesstoken"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    token_file.chmod(0o600)
    old = time.time() - 40 * 86400
    os.utime(token_file, (old, old))
    (workspace / ".env").write_text(f"IXON_API_BASE_URL={ixon.base_url}\n", encoding="utf-8")
    return workspace


@pytest.fixture
def agents(ixon: Any) -> Any:
    ixon.requests.clear()
    ixon.answer("AgentList", data=[PUMP, BOILER])
    return ixon


def post(served: Served, body: dict[str, Any]) -> tuple[int, Any, str]:
    answer = served.post(json.dumps(body).encode())
    return answer.status, answer.body, answer.headers.get("X-Devkit-Error", "")


def set_api_access(project: Path, names: list[str]) -> None:
    path = project / "workspace.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["api_access"] = names
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


@pytest.mark.slow
def test_serve_and_call_give_calls_the_developers_access(project: Path, agents: Any) -> None:
    call_context_before = (project / "call_context.yaml").read_text(encoding="utf-8")
    with serving(project, "--docdb", "memory") as served:
        status, body, error = post(served, {"name": "agents.names", "arguments": {}})
        assert status == 200, (error, served.log()[-2000:])
        assert [agent["name"] for agent in json.loads(body)] == ["boiler room", "Pump house"]

        # What IXON Cloud sends: the stand-in accepted `Bearer <token>` (else 401) and saw
        # the API application and the calling company.
        (seen,) = agents.calls("AgentList")
        assert seen.headers["Api-Application"] == DEFAULT_APPLICATION
        assert seen.headers["Api-Company"] == CALLER_COMPANY
        assert seen.headers["Authorization"] == "Bearer ********"

        called = invoke(project, "call", "agents.names", "--port", str(served.port))
        assert json.loads(called.stdout)[1]["publicId"] == PUMP["publicId"]

        # A call that carries its own access (the simulator's) keeps it: the stand-in refuses
        # that other token, so the function fails with IXON's answer.
        own = {
            "name": "agents.names",
            "context": {
                "company": {"publicId": CALLER_COMPANY, "name": "Co", "custom": {}},
                "accessToken": {"headerValue": f"Bearer {OTHER_TOKEN}"},
                "apiApplication": {"publicId": "SimulatorApp", "name": "Sim", "custom": {}},
            },
        }
        status, _, error = post(served, own)
        assert status == 500 and "Invalid access token" in error
        assert agents.requests[-1].headers["Api-Application"] == "SimulatorApp"

        # The form page carries no access of its own: it gets the developer's, and the company.
        form = urllib.parse.urlencode(
            {
                "function": "agents.names",
                "company__public_id": CALLER_COMPANY,
                "company__name": "Co",
            }
        ).encode()
        page = served.post(form, "application/x-www-form-urlencoded")
        assert page.status == 200 and b"Pump house" in page.body
        assert agents.requests[-1].headers["Api-Company"] == CALLER_COMPANY
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
        connection.request("GET", "/")
        empty_form = connection.getresponse().read().decode()
        connection.close()
        log = served.log()
    assert "as application 9J9IZzeT4xN4, with the access token from .accesstoken" in log
    assert "API access: the functions may call only AgentList" in log
    assert ".accesstoken is 40 days old: IXON's tools treat a token older than 30 days" in log
    no_token(
        log,
        called.stdout,
        called.stderr,
        empty_form,
        page.body.decode(),
    )
    assert (project / "call_context.yaml").read_text(encoding="utf-8") == call_context_before
    no_token((project / ".devkit" / "api-calls.json").read_text(encoding="utf-8"))

    # Without a server, invoke call runs the function in-process with the same access.
    alone = invoke(project, "call", "agents.names", "--port", str(free_port()))
    assert json.loads(alone.stdout)[0]["name"] == "boiler room"
    no_token(alone.stdout, alone.stderr)


@pytest.mark.slow
def test_without_a_token_functions_run_and_an_api_call_says_how_to_get_one(
    project: Path, agents: Any
) -> None:
    token_file = project / ".accesstoken"
    token_file.rename(project / "token.bak")
    try:
        port = str(free_port())
        greeted = invoke(project, "call", "example.greet", "--arg", "name=Ada", "--port", port)
        assert json.loads(greeted.stdout) == "Hello, Ada!"

        failed = invoke(project, "call", "agents.names", "--port", port, check=False)
        with serving(project, "--docdb", "memory") as served:
            status, _, error = post(served, {"name": "agents.names"})
            log = served.log()
    finally:
        (project / "token.bak").rename(token_file)
    assert failed.returncode == 1
    (error_line,) = [line for line in failed.stderr.splitlines() if line.startswith("ERROR: ")]
    assert error_line.startswith("ERROR: agents.names raised IxonApiError: IXON API call of ")
    assert "AgentList not sent: no access token" in error_line
    assert "run `invoke login`" in error_line
    assert status == 500 and "not sent: no access token" in error
    assert "WITHOUT an access token" in log
    assert agents.calls("AgentList") == []


@pytest.mark.slow
def test_a_name_missing_from_api_access_fails_the_served_call_and_the_deploy(
    project: Path, agents: Any
) -> None:
    listed = invoke(project, "api-access").stdout
    assert "AgentList  functions/agents.py:" in listed
    assert "Grant in IXON Studio > Cloud Functions > My Cloud Function > API Access:" in listed

    set_api_access(project, [])
    try:
        with serving(project, "--docdb", "memory") as served:
            port = str(served.port)
            failed = invoke(project, "call", "agents.names", "--port", port, check=False)
            log = served.log()
        with serving(project, "--docdb", "memory", "--allow-unlisted-api") as relaxed:
            status, _, _ = post(relaxed, {"name": "agents.names"})
        report = invoke(project, "api-access").stdout
        refused = invoke(project, "deploy", "--dry-run", "--skip-checks", "--force", check=False)
        skipped = invoke(
            project, "deploy", "--dry-run", "--skip-checks", "--ignore-api-access", check=False
        )
    finally:
        set_api_access(project, ["AgentList"])

    assert failed.returncode == 1
    (line,) = [line for line in failed.stderr.splitlines() if line.startswith("ERROR: ")]
    assert 'AgentList is not in "api_access" of workspace.json' in line
    assert 'add "AgentList" to "api_access"' in line
    assert 'AgentList is not in "api_access"' in log
    assert status == 200  # --allow-unlisted-api relaxes it locally
    assert len(agents.calls("AgentList")) == 1  # the refused call was never sent

    assert 'Missing from "api_access" (IXON Cloud refuses these calls): AgentList' in report
    assert refused.returncode == 1
    (deploy_error,) = [line for line in refused.stderr.splitlines() if line.startswith("ERROR:")]
    assert 'calls IXON API names that "api_access" of workspace.json does not' in deploy_error
    assert "AgentList (functions/agents.py:" in deploy_error
    assert "WARNING: --ignore-api-access" in skipped.stderr
    assert "WARNING: .accesstoken is 40 days old" in skipped.stderr  # before a deploy too
    assert "api_access" not in "".join(
        line for line in skipped.stderr.splitlines() if line.startswith("ERROR:")
    )
    no_token(failed.stdout, failed.stderr, log, report, refused.stderr, skipped.stdout)


# -- baked workspace: the ixon_api fixture in the workspace's own tests ----------------------


WORKSPACE_TESTS = """
from functions import agents


def test_undeclared(client):
    client.call("agents.names")


def test_unlisted(function_context, ixon_api):
    ixon_api.answer("MyUser", data={})
    function_context.api_client.get("MyUser")


def test_unlisted_allowed(function_context, ixon_api):
    ixon_api.allow_unlisted = True
    ixon_api.answer("MyUser", data={"publicId": "u"})
    assert function_context.api_client.get("MyUser")["data"] == {"publicId": "u"}


def test_the_next_test_finds_the_stand_in_empty(function_context, ixon_api):
    # One server for the session: the answer, the request and the relaxed rule of the test
    # before are gone.
    assert (ixon_api.requests, ixon_api.allow_unlisted) == ([], False)
    ixon_api.allow_unlisted = True
    assert function_context.api_client.get("MyUser")["status"] == "error"
    assert len(ixon_api.undeclared) == 1
    ixon_api.undeclared.clear()


def test_declared_after_the_first_call(function_context, ixon_api):
    ixon_api.allow_unlisted = True
    ixon_api.answer("AgentList", data=[])
    function_context.api_client.get("AgentList")
    ixon_api.answer("NoteList", data=["n"])
    assert function_context.api_client.get("NoteList")["data"] == ["n"]


def test_repr_hides_the_token(function_context):
    assert "StandInToken" not in repr(function_context)
"""


@pytest.mark.slow
def test_workspace_tests_use_the_stand_in_and_name_what_is_missing(workspace: Path) -> None:
    (workspace / "tests" / "test_api_rules.py").write_text(WORKSPACE_TESTS, encoding="utf-8")

    result = invoke(workspace, "test", "-k", "agents or api_rules", check=False)
    output = result.stdout + result.stderr

    assert result.returncode == 1
    assert "test_agents.py ...." in output  # the example's own tests pass offline
    assert "ERROR at teardown of test_undeclared" in output
    assert "GET AgentList has no declared answer: declare one in the test, like " in output
    assert 'ixon_api.answer("AgentList", data=[...])' in output
    assert "ERROR at teardown of test_unlisted " in output
    assert 'MyUser is not in "api_access" of workspace.json' in output
    # Failed: the undeclared call; errors: both teardowns; passed: the example's four, the
    # unlisted call's body, the relaxed one, the emptied stand-in, the late declaration and
    # the repr.
    assert re.search(r"1 failed, 9 passed, \d+ deselected, 2 errors", output), output[-500:]
    seen = api_access.read_seen(workspace)
    assert seen["AgentList"] == ["tests"] and seen["MyUser"] == ["tests"]


RECORDED_TEST = """
import pytest

from functions import agents


@pytest.mark.ixon_recording("agents")
def test_names_from_ixon(client):
    assert [agent["name"] for agent in client.call("agents.names")] == ["boiler room", "Pump house"]
"""


@pytest.mark.slow
def test_answers_recorded_from_the_api_replay_offline_without_the_token(workspace: Path) -> None:
    tests = workspace / "tests" / "test_recorded.py"
    tests.write_text(RECORDED_TEST, encoding="utf-8")
    recording = workspace / "tests" / "recordings" / "agents.yaml"
    (workspace / ".accesstoken").write_text(TOKEN + "\n", encoding="utf-8")
    (workspace / ".accesstoken").chmod(0o600)

    with standin.ApiStandIn(token=TOKEN) as ixon:  # as if it were IXON, with the user's token
        ixon.answer("AgentList", data=[PUMP, BOILER])
        (workspace / ".env").write_text(
            f"IXON_API_BASE_URL={ixon.base_url}\nIXON_API_COMPANY_ID={CALLER_COMPANY}\n",
            encoding="utf-8",
        )
        recorded = invoke(workspace, "test", "--record", "-k", "recorded", check=False)
        asked = len(ixon.calls("AgentList"))
        refreshed = invoke(workspace, "api-access", "--refresh", check=False)
    (workspace / ".accesstoken").unlink()  # replayed with the stand-in stopped and no token
    replayed = invoke(workspace, "test", "-k", "recorded", check=False)
    tests.write_text(RECORDED_TEST.replace("agents.names", "agents.names_changed"), "utf-8")
    (workspace / "functions" / "agents.py").write_text(
        (workspace / "functions" / "agents.py").read_text(encoding="utf-8")
        + "\n\n@FunctionContext.expose\ndef names_changed(context):\n"
        + '    return context.api_client.get("AgentList", query={"fields": "name"})["data"]\n',
        encoding="utf-8",
    )
    changed = invoke(workspace, "test", "-k", "recorded", check=False)

    assert recorded.returncode == 0, recorded.stdout[-2000:] + recorded.stderr[-2000:]
    assert asked == 1
    text = recording.read_text(encoding="utf-8")
    assert "Pump house" in text and "AgentList" in text
    assert TOKEN not in text and "Bearer" not in text
    assert replayed.returncode == 0, replayed.stdout[-2000:]
    assert "1 passed" in replayed.stdout
    output = changed.stdout + changed.stderr
    assert changed.returncode != 0
    assert "the recording tests/recordings/agents.yaml has no answer for GET " in output
    assert "fields=name" in output and "invoke test --record" in output
    no_token(recorded.stdout, recorded.stderr, replayed.stdout, output)
    # invoke api-access --refresh: the live discovery's names (the stand-in's) for this workspace
    assert refreshed.returncode == 0, refreshed.stderr
    assert "names from the discovery of http://127.0.0.1:" in refreshed.stdout
    saved = json.loads((workspace / ".devkit" / "ixon-api-names.json").read_text("utf-8"))
    assert "AgentList" in saved["names"]
    no_token(refreshed.stdout, refreshed.stderr)


ECHO_FUNCTION = """
from ixoncdkingress.function.context import FunctionContext


@FunctionContext.expose
def agents(context):
    return context.api_client.get("AgentList")
"""

ECHO_TEST = """
import warnings

import pytest


@pytest.mark.ixon_recording("echoed")
def test_echoed(client):
    answer = client.call("echo.agents")
    warnings.warn(f"IXON answered {answer}")  # printed outside the test's report
    assert answer == {}
"""


def token_forms(text: str, token: str = TOKEN, run: int = 8) -> list[str]:
    """Every run of `run` characters of `token` that `text` holds, in any case."""
    lowered = text.lower()
    return [
        token[i : i + run]
        for i in range(len(token) - run + 1)
        if token[i : i + run].lower() in lowered
    ]


@pytest.mark.slow
def test_a_recording_and_its_report_hold_no_form_of_the_token(workspace: Path) -> None:
    (workspace / "functions" / "echo.py").write_text(ECHO_FUNCTION, encoding="utf-8")
    (workspace / "tests" / "test_echoed.py").write_text(ECHO_TEST, encoding="utf-8")
    (workspace / ".accesstoken").write_text(TOKEN + "\n", encoding="utf-8")
    (workspace / ".accesstoken").chmod(0o600)
    echoed = f"token {TOKEN.lower()} is not {TOKEN.upper()} (starts {TOKEN[:20]})"

    with standin.ApiStandIn(token=TOKEN) as ixon:  # an API that echoes the token it was sent
        ixon.answer("AgentList", status=403, error=echoed)
        (workspace / ".env").write_text(
            f"IXON_API_BASE_URL={ixon.base_url}\nIXON_API_COMPANY_ID={CALLER_COMPANY}\n",
            encoding="utf-8",
        )
        recorded = invoke(workspace, "test", "--record", "-k", "echoed", check=False)
        # IXON_RECORD=1 with pytest itself, as invoke docs ixon-api allows
        direct = subprocess.run(
            [str(SHARED_VENV / "bin" / "python"), "-m", "pytest", "-k", "echoed"],
            cwd=workspace,
            env=workspace_env(IXON_RECORD="1"),
            capture_output=True,
            text=True,
        )

    for run in (recorded, direct):
        output = run.stdout + run.stderr
        assert run.returncode == 1, output[-3000:]
        assert "test_echoed" in output and "token ********" in output  # the answer, masked
    # invoke test --record masks all that pytest prints; pytest alone the tests' reports
    assert token_forms(recorded.stdout + recorded.stderr) == []
    assert "warnings summary" in direct.stdout
    assert token_forms(direct.stdout.split("warnings summary")[0]) == []
    text = (workspace / "tests" / "recordings" / "echoed.yaml").read_text(encoding="utf-8")
    assert token_forms(text) == []
    assert "is not ********" in text
