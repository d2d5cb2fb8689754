"""Day two, end to end: a baked workspace deploys to the stand-in of IXON's API, then sees and
drives the deployed Cloud Function with `invoke status`, `invoke call --remote`, `invoke deploy
--smoke`, `invoke logs` and `invoke config pull|push`, over real HTTP.

The stand-in (`tests/ixon_standin_cloud.py`) runs the uploaded archive's functions for real, in
the shared workspace environment, with the company's configuration values as their config.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from ixon_standin import StandIn, point_workspace_at
from test_deploy import failed as one_error
from test_deploy import succeeded as ok

from conftest import bake, invoke

TOKEN = "Rm7SecretTokenQw42Zx9Pq3Lm8Nb5Yt"
COMPANY = "1234-5678-9012-3456-7890"
TEMPLATE = "AbCdEf654321"


@pytest.fixture(scope="module")
def api(shared_venv: Path) -> Iterator[StandIn]:
    with StandIn(company_id=COMPANY, template_id=TEMPLATE, token=TOKEN) as standin:
        standin.cloud.python = shared_venv / "bin" / "python"
        standin.cloud.access_token_scope = "MyUser, MyCompany"
        yield standin


@pytest.fixture(scope="module")
def deployed(
    tmp_path_factory: pytest.TempPathFactory, api: StandIn
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A baked workspace deployed once to the stand-in, with a smoke call."""
    project = bake(tmp_path_factory.mktemp("remote"))
    point_workspace_at(project, api)
    result = run(
        project,
        "deploy",
        "--keep-examples",
        "--skip-checks",
        "--smoke",
        "example.greet",
        "--smoke-arg",
        "name=Ada",
    )
    return project, result


@pytest.fixture
def project(deployed: tuple[Path, subprocess.CompletedProcess[str]], api: StandIn) -> Path:
    """The deployed workspace, its company's configuration as the stand-in began it."""
    api.cloud.config = {
        "values": '{"greeting": "Hello"}',
        "enabled": True,
        "allowDraft": True,
        "pinnedVersion": None,
    }
    api.cloud.confidentiality = "public"
    api.cloud.sent_values.clear()
    api.faults.clear()
    return deployed[0]


def run(project: Path, *arguments: str, **env: str) -> subprocess.CompletedProcess[str]:
    env.setdefault("IXON_API_ACCESS_TOKEN", TOKEN)
    result = invoke(project, *arguments, check=False, **env)
    output = result.stdout + result.stderr
    assert TOKEN not in output, "the access token leaked into the output"
    assert "Traceback" not in output, output
    return result


def test_deploy_smoke_reports_the_deployed_functions_answer(
    deployed: tuple[Path, subprocess.CompletedProcess[str]], api: StandIn
) -> None:
    out = ok(deployed[1])
    summary = out[out.index("Deploy summary") :]
    assert 'smoke call example.greet answered "Hello, Ada!"' in summary
    [smoke] = [c for c in api.cloud.calls if c["arguments"] == {"name": "Ada"}][:1]
    assert smoke == {
        "template": {"publicId": TEMPLATE},
        "name": "example.greet",
        "arguments": {"name": "Ada"},
    }


def test_a_smoke_call_of_a_name_not_served_is_refused_before_the_upload(
    project: Path, api: StandIn
) -> None:
    uploads = len(api.uploads)
    result = run(project, "deploy", "--force", "--skip-checks", "--smoke", "example.gret")

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "ERROR: --smoke example.gret: no function of functions/ serves that name: did you mean "
        "example.greet? (`invoke component-calls` lists what is served); nothing was uploaded"
    )
    assert len(api.uploads) == uploads


def test_status_shows_ixons_number_and_what_ixon_has_not_granted(project: Path) -> None:
    out = ok(run(project, "status"))

    assert "number 1: 0.1.0 (deployments.json)" in out
    assert "VERSION 0.1.0 is IXON's number 1 (draft, configured for the company)" in out
    assert "company configuration (public): enabled, drafts allowed" in out
    assert "API access granted (accessTokenScope): MyCompany, MyUser" in out
    # The baked examples call AgentList, which api_access lists and IXON has not granted.
    assert "NOT granted by IXON: AgentList (in api_access and called by the code)" in out


def test_doctor_online_reads_the_deployed_function_as_status_does(project: Path) -> None:
    out = run(project, "doctor", "--online").stdout

    assert "Deployed (online): VERSION 0.1.0 is IXON's number 1" in out
    assert "API access (online): IXON has not granted AgentList (accessTokenScope)" in out


def test_a_remote_call_prints_the_deployed_functions_answer(project: Path, api: StandIn) -> None:
    before = len(api.cloud.calls)
    result = run(project, "call", "--remote", "example.greet", "--arg", "name=Grace")

    assert ok(result) == '"Hello, Grace!"\n'
    assert api.cloud.calls[before:] == [
        {
            "template": {"publicId": TEMPLATE},
            "name": "example.greet",
            "arguments": {"name": "Grace"},
        }
    ]


def test_a_remote_call_of_a_missing_function_fails_as_a_local_one_does(project: Path) -> None:
    line = one_error(run(project, "call", "--remote", "example.nothing"))
    assert "Not found, function" in line


def test_a_failed_remote_call_is_not_sent_again(project: Path, api: StandIn) -> None:
    api.fail("function-call", status=500)
    before = api.count("POST")
    line = one_error(run(project, "call", "--remote", "example.greet"))

    assert "500 Internal Server Error" in line
    assert api.count("POST") == before + 1


def test_logs_filter_by_level_newest_last(project: Path, api: StandIn) -> None:
    ok(run(project, "call", "--remote", "example.greet", "--arg", "name=Ada"))
    api.cloud.log("INFO", f"headers: Authorization: Bearer {TOKEN}", "example.leaky")
    api.cloud.log("ERROR", "Pump 7 did not answer", "example.pump")
    api.cloud.logs.append(["a shape logs cannot read"])

    errors = ok(run(project, "logs", "--level", "error")).splitlines()
    assert "ERROR    example.pump: Pump 7 did not answer" in errors[-2]
    assert not any("INFO" in line for line in errors)
    everything = run(project, "logs")
    lines = ok(everything).splitlines()
    assert any("INFO     example.greet: Function example.greet called" in line for line in lines)
    # The token a function logged is masked (run() fails the test on the token in any output).
    assert any("example.leaky: headers: Authorization: Bearer ********" in line for line in lines)
    assert lines[-1] == '? ["a shape logs cannot read"]'
    assert "1 entry (marked ?) not in a form `invoke logs` reads" in everything.stderr
    assert ok(run(project, "logs", "--grep", "pump 7")).count("\n") == 1


def test_config_pull_then_push_sends_exactly_the_edited_values(project: Path, api: StandIn) -> None:
    api.cloud.config["values"] = json.dumps({"greeting": "Hello", "limit": "5", "site": "Delft"})
    ok(run(project, "config", "pull"))
    file = project / "company_config.yaml"
    text = file.read_text()
    assert "greeting: Hello\nlimit: '5'\nsite: Delft\n" in text
    file.write_text(text.replace("greeting: Hello", "greeting: Howdy"))

    refused = run(project, "config", "push")  # no terminal, no --yes: asks, so refuses
    assert "--yes" in one_error(refused)
    assert api.cloud.sent_values == []
    pushed = ok(run(project, "config", "push", "--yes"))

    assert '~ greeting: "Hello" -> "Howdy"' in pushed
    assert [json.loads(values) for values in api.cloud.sent_values] == [
        {"greeting": "Howdy", "limit": "5", "site": "Delft"}
    ]
    assert ok(run(project, "call", "--remote", "example.greet")) == '"Howdy, world!"\n'
    assert "Nothing to push" in ok(run(project, "config", "push", "--yes"))
    assert len(api.cloud.sent_values) == 1


def test_a_secret_configuration_never_goes_to_a_tracked_file(project: Path, api: StandIn) -> None:
    api.cloud.confidentiality = "secret"
    api.cloud.config["values"] = json.dumps({"password": "hunter2"})
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    gitignore = project / ".gitignore"
    original = gitignore.read_text()
    try:
        gitignore.write_text(original.replace(".devkit/\n", ""))
        refused = one_error(run(project, "config", "pull"))
        assert "secret" in refused and "git would keep .devkit/company_config.yaml" in refused
        gitignore.write_text(original)
        ok(run(project, "config", "pull"))
    finally:
        gitignore.write_text(original)
    secret = project / ".devkit" / "company_config.yaml"
    assert "password: hunter2" in secret.read_text()
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert not (project / "company_config.yaml").exists()
    secret.write_text(secret.read_text().replace("hunter2", "correct-horse"))
    pushed = ok(run(project, "config", "push", "--yes"))
    assert "~ password: (secret) -> (secret)" in pushed
    assert "hunter2" not in pushed and "correct-horse" not in pushed
    assert json.loads(api.cloud.sent_values[-1]) == {"password": "correct-horse"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


COMMANDS = {
    "status": ("status",),
    "call --remote": ("call", "--remote", "example.greet"),
    "logs": ("logs",),
    "config pull": ("config", "pull"),
    "config push": ("config", "push", "--yes"),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_ends_in_one_line_when_ixon_cannot_be_asked(
    project: Path, api: StandIn, command: str
) -> None:
    arguments = COMMANDS[command]
    (project / "company_config.yaml").write_text("greeting: Hello\n")
    wrong_token = one_error(run(project, *arguments, IXON_API_ACCESS_TOKEN="W" * 32))
    assert "401 Unauthorized" in wrong_token and "the access token is wrong" in wrong_token
    other = one_error(run(project, *arguments, IXON_API_COMPANY_ID="9999-9999-9999-9999-9999"))
    assert "404 Not Found" in other and "IXON_API_COMPANY_ID 9999-9999-9999-9999-9999" in other
    port = _free_port()
    unreachable = one_error(
        run(
            project,
            *arguments,
            IXON_API_BASE_URL=f"http://127.0.0.1:{port}/api/",
            IXON_API_RETRIES="0",
        )
    )
    assert f"could not reach 127.0.0.1:{port}" in unreachable
    # No company at all: the baked workspace.json has none, and .env names none now.
    point_workspace_at(project, api, IXON_API_COMPANY_ID="")
    before = len(api.requests)
    missing = one_error(run(project, *arguments))
    assert "IXON_API_COMPANY_ID is not set" in missing
    assert len(api.requests) == before, "a request went out without a company"


@pytest.fixture(autouse=True)
def _restore_env_file(project: Path, api: StandIn) -> Iterator[None]:
    yield
    point_workspace_at(project, api)
    for leftover in ("company_config.yaml",):
        path = project / leftover
        if path.exists():
            os.remove(path)
