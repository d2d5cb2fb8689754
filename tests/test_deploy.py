"""`invoke deploy` for real, against a stand-in for IXON's API on a loopback port.

Each test bakes a workspace, points its `.env` at the stand-in and runs the workspace's own
`invoke deploy` in a subprocess. Most skip the tests and lint (`--skip-checks`) to stay fast;
one runs the whole path. Every run is checked for the access token in its output.
"""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from ixon_standin import StandIn, point_workspace_at

from conftest import bake, invoke, workspace_env

#: A recognisable 32-character token: it must never show up in any output.
TOKEN = "Zq7SecretTokenXy42Wv9Pq3Lm8Nb5Rt"
COMPANY = "1234-5678-9012-3456-7890"
TEMPLATE = "AbCdEf123456"


@pytest.fixture
def api() -> Iterator[StandIn]:
    with StandIn(company_id=COMPANY, template_id=TEMPLATE, token=TOKEN) as standin:
        yield standin


@pytest.fixture
def project(workspace: Path, api: StandIn) -> Path:
    """A baked workspace whose `.env` points at the stand-in."""
    point_workspace_at(workspace, api)
    return workspace


def deploy(
    project: Path, *arguments: str, token: str | None = TOKEN, timeout: float = 600, **env: str
) -> subprocess.CompletedProcess[str]:
    """`invoke deploy ARGUMENTS`, the token in IXON_API_ACCESS_TOKEN unless None; the baked
    workspace's examples are what these tests deploy, so with --keep-examples."""
    if token is not None:
        env["IXON_API_ACCESS_TOKEN"] = token
    result = invoke(
        project, "deploy", "--keep-examples", *arguments, check=False, timeout=timeout, **env
    )
    output = result.stdout + result.stderr
    assert TOKEN not in output, "the access token leaked into the output"
    assert "Traceback" not in output
    return result


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def failed(result: subprocess.CompletedProcess[str]) -> str:
    """The one ERROR line of a failed deploy, which must exit non-zero."""
    assert result.returncode != 0, result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def records(project: Path) -> list[dict]:
    return json.loads((project / "deployments.json").read_text())["deployments"]


def received(api: StandIn) -> zipfile.ZipFile:
    assert len(api.uploads) == 1
    return zipfile.ZipFile(io.BytesIO(api.uploads[0]))


# -- success ---------------------------------------------------------------------------------


def test_deploy_runs_the_checks_uploads_the_bundle_and_records_it(
    project: Path, api: StandIn
) -> None:
    result = deploy(project)
    out = succeeded(result)

    assert "WARNING" not in result.stderr
    assert "Running the tests and lint" in out
    assert "passed" in out  # pytest ran
    archive = received(api)
    functions = {f"functions/{path.name}" for path in (project / "functions").glob("*.py")}
    assert set(archive.namelist()) == {"requirements.txt", *functions}
    assert b'__version__ = "0.1.0"' in archive.read("functions/_version.py")
    assert api.uploads[0] == (project / "dist" / "my-cloud-function-0.1.0.zip").read_bytes()
    upload = next(request for request in api.requests if request.method == "POST")
    assert upload.path == f"/api/backend-component-templates/{TEMPLATE}/version-upload"
    assert upload.headers["Api-Version"] == "2"
    assert upload.headers["Api-Application"] == "9J9IZzeT4xN4"
    assert upload.headers["Api-Company"] == COMPANY
    assert upload.headers["Content-Type"] == "application/zip"
    assert f"Deployed my-cloud-function 0.1.0 to template {TEMPLATE}" in out
    [entry] = records(project)
    assert entry["version"] == "0.1.0"
    assert entry["template_id"] == TEMPLATE
    assert entry["company_id"] == COMPANY
    assert entry["time"].endswith("Z")
    assert entry["commit"] is None
    assert entry["dirty"] is False
    assert entry["sha256"] in out or entry["sha256"][:12] in out


def test_tools_that_are_not_ready_draw_a_warning_before_the_upload(
    project: Path, api: StandIn
) -> None:
    (project / "functions" / "gauges.py").write_text(
        "from ixoncdkingress.function.context import FunctionContext\n\n\n"
        "@FunctionContext.expose(is_agentic=True)\n"
        "def read_gauge(context: FunctionContext, gauge: str) -> float:\n"
        "    return 0.0\n"
    )

    result = deploy(project, "--dry-run")

    succeeded(result)
    assert "WARNING: tool gauges.read_gauge is not ready for IXON's AI agent" in result.stderr
    assert api.requests == []


def test_failing_tests_stop_the_deploy_before_anything_is_sent(project: Path, api: StandIn) -> None:
    (project / "tests" / "test_broken.py").write_text("def test_broken():\n    assert False\n")

    line = failed(deploy(project))

    assert "`pytest -q` failed, so nothing was deployed" in line
    assert api.requests == []
    assert records(project) == []


def test_skipping_the_checks_says_so_loudly(project: Path, api: StandIn) -> None:
    result = deploy(project, "--skip-checks")

    succeeded(result)
    assert "--skip-checks: NOT running the tests and lint" in result.stderr
    assert len(api.uploads) == 1


def test_the_company_and_template_come_from_the_baked_answers(
    tmp_path: Path, shared_venv: Path, api: StandIn
) -> None:
    project = bake(tmp_path, company_id=COMPANY, template_id=TEMPLATE)
    (project / ".env").write_text(
        f"IXON_API_BASE_URL={api.base_url}\nIXON_API_RETRY_BACKOFF=0.01\n"
    )

    succeeded(deploy(project, "--skip-checks"))

    assert len(api.uploads) == 1
    assert records(project)[0]["template_id"] == TEMPLATE


def test_the_environment_wins_over_dotenv(project: Path, api: StandIn) -> None:
    point_workspace_at(project, api, IXON_API_TEMPLATE_ID="Wrong0000000")

    succeeded(deploy(project, "--skip-checks", IXON_API_TEMPLATE_ID=TEMPLATE))

    assert len(api.uploads) == 1


def test_the_token_can_come_from_the_token_file(project: Path, api: StandIn) -> None:
    token_file = project / ".accesstoken"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)

    result = deploy(project, "--skip-checks", token=None)

    succeeded(result)
    assert "WARNING" not in result.stderr.replace("WARNING: --skip-checks", "")
    assert len(api.uploads) == 1
    assert TOKEN.encode() not in api.uploads[0]


def test_a_token_file_others_can_read_draws_a_warning(project: Path, api: StandIn) -> None:
    token_file = project / ".accesstoken"
    token_file.write_text(TOKEN)
    token_file.chmod(0o644)

    result = deploy(project, "--skip-checks", token=None)

    succeeded(result)
    assert ".accesstoken can be read by other users" in result.stderr
    assert "chmod 600 .accesstoken" in result.stderr


def test_a_first_upload_says_the_company_is_being_prepared(project: Path, api: StandIn) -> None:
    api.provisioning = True

    out = succeeded(deploy(project, "--skip-checks"))

    assert "two business days" in out
    assert len(api.uploads) == 1


# -- dry run and verbose ---------------------------------------------------------------------


def test_a_dry_run_sends_nothing_and_shows_what_would_go_where(project: Path, api: StandIn) -> None:
    out = succeeded(deploy(project, "--skip-checks", "--dry-run"))

    assert api.requests == []
    assert records(project) == []
    assert "Dry run: nothing was sent" in out
    assert f"GET  {api.base_url}" in out
    assert f"{{publicId}} = {TEMPLATE}" in out
    assert f"Api-Company: {COMPANY}" in out
    assert "Authorization: Bearer ********" in out
    assert "access token = ******** (the environment variable IXON_API_ACCESS_TOKEN)" in out


def test_verbose_output_shows_requests_with_the_token_masked(project: Path, api: StandIn) -> None:
    api.fail("upload", 503, times=1)

    out = succeeded(deploy(project, "--skip-checks", "--verbose"))

    assert f"> POST http://127.0.0.1:{api.port}/api/backend-component-templates/" in out
    assert ">   Authorization: Bearer ********" in out
    assert "< 503 Service Unavailable" in out
    assert "< 200 OK" in out


def test_an_answer_that_repeats_the_token_is_masked(project: Path, api: StandIn) -> None:
    api.fail("upload", 401, body="echo")

    line = failed(deploy(project, "--skip-checks", "--verbose"))

    assert "401" in line
    assert "Bearer ********" in line  # the stand-in echoed the header; we masked it


# -- failures --------------------------------------------------------------------------------

FAILURES = {
    "401": (
        "upload",
        401,
        "json",
        None,
        "401 Unauthorized (Invalid access token): the access token is wrong or has expired",
    ),
    "403": (
        "upload",
        403,
        "json",
        None,
        "403 Forbidden (Access denied: missing permission): deploying needs the Platform "
        "administrator role",
    ),
    "404": (
        "upload",
        404,
        "json",
        None,
        f"404 Not Found (Not found (property publicId)): check IXON_API_TEMPLATE_ID {TEMPLATE}",
    ),
    "400": (
        "upload",
        400,
        "json",
        None,
        "400 Bad Request (Bad request)",
    ),
    "429 too long": (
        "upload",
        429,
        "json",
        "900",
        "(429 Too Many Requests on the upload) (Too many requests): wait 900 s",
    ),
    "5xx gives up": (
        "upload",
        503,
        "json",
        None,
        "503 Service Unavailable (Internal server error): IXON has a problem",
    ),
    "5xx html discovery": (
        "discovery",
        500,
        "html",
        None,
        "IXON failed to handle the discovery: 500 Internal Server Error (an HTML page)",
    ),
    "html discovery": (
        "discovery",
        200,
        "html",
        None,
        "answered 200 with an HTML page, not IXON's JSON: check IXON_API_BASE_URL",
    ),
    "text discovery": (
        "discovery",
        200,
        "text",
        None,
        "answered 200 with something that is not JSON (text/plain)",
    ),
    "empty upload answer": (
        "upload",
        200,
        "empty",
        None,
        "answered 200 with an empty answer, not IXON's JSON: the upload may or may not",
    ),
    "error in a 2xx": (
        "upload",
        200,
        "json",
        None,
        'answered 200 without "status": "success" (Bad request)',
    ),
}


@pytest.mark.parametrize("case", FAILURES, ids=list(FAILURES))
def test_each_failure_is_one_line_and_a_non_zero_exit(
    project: Path, api: StandIn, case: str
) -> None:
    endpoint, status, body, retry_after, expected = FAILURES[case]
    api.fail(endpoint, status, body=body, retry_after=retry_after, times=None)

    line = failed(deploy(project, "--skip-checks"))

    assert expected in line
    assert records(project) == []


def test_server_errors_are_retried_a_bounded_number_of_times(project: Path, api: StandIn) -> None:
    api.fail("upload", 502, times=None)

    result = deploy(project, "--skip-checks", IXON_API_RETRIES="2")

    assert "(gave up after 3 tries)" in failed(result)
    assert "upload: 502 Bad Gateway; retry 1 of 2 in 0.01 s" in result.stdout
    assert "upload: 502 Bad Gateway; retry 2 of 2 in 0.02 s" in result.stdout
    assert api.count("POST") == 3


def test_retries_that_recover_end_in_success(project: Path, api: StandIn) -> None:
    api.fail("discovery", 500, body="html", times=1)
    api.fail("upload", 503, times=1)
    api.fail("upload", 429, retry_after="0", times=1)

    result = deploy(project, "--skip-checks")

    out = succeeded(result)
    assert "discovery: 500 Internal Server Error; retry 1 of 3" in out
    assert "upload: 503 Service Unavailable; retry 1 of 3" in out
    assert "upload: 429 Too Many Requests (Retry-After: 0); retry 2 of 3 in 0 s" in out
    assert len(api.uploads) == 1
    assert len(records(project)) == 1


def test_a_slow_discovery_times_out_and_is_retried(project: Path, api: StandIn) -> None:
    api.fail("discovery", 200, delay=1.5, times=None)

    result = deploy(project, "--skip-checks", IXON_API_READ_TIMEOUT="0.2", IXON_API_RETRIES="1")

    line = failed(result)
    assert "did not answer within 0.2 s" in line
    assert "(gave up after 2 tries)" in line
    assert "no answer from" in result.stdout  # the retry was announced
    assert records(project) == []


def test_an_upload_without_an_answer_in_time_is_not_sent_again(project: Path, api: StandIn) -> None:
    api.fail("upload", 200, delay=1.5, times=None)

    result = deploy(project, "--skip-checks", IXON_API_READ_TIMEOUT="0.2", IXON_API_RETRIES="2")

    line = failed(result)
    assert result.returncode == 3  # not "failed": uncertain
    assert "did not answer within 0.2 s" in line
    assert "IXON may or may not have taken it, so it was not sent again" in line
    assert "check in IXON Studio" in line
    assert api.count("POST") == 1
    assert "deployments.json keeps the upload as pending until you settle it" in line
    [entry] = records(project)
    assert entry["pending"] is True and entry["version"] == "0.1.0"


def test_an_answer_that_drips_ends_at_the_deadline(project: Path, api: StandIn) -> None:
    # One byte every 0.1 s: the whole discovery document would take about 25 s to arrive.
    api.fail("discovery", 200, drip=0.1, times=None)
    started = time.monotonic()

    result = deploy(
        project, "--skip-checks", IXON_API_DEADLINE="1", IXON_API_RETRIES="0", timeout=60
    )

    line = failed(result)
    assert "did not finish answering within the 1 s deadline (IXON_API_DEADLINE)" in line
    assert time.monotonic() - started < 15  # invoke and the bundle included


def test_the_token_never_goes_to_another_origin(project: Path, api: StandIn) -> None:
    with StandIn(company_id=COMPANY, template_id=TEMPLATE, token=TOKEN) as elsewhere:
        other = f"http://127.0.0.1:{elsewhere.port}"
        api.upload_origin = other

        line = failed(deploy(project, "--skip-checks"))

        assert elsewhere.requests == []
    assert f"another origin ({other})" in line
    assert api.count("POST") == 0
    assert records(project) == []


def test_a_404_on_discovery_is_not_blamed_on_the_template(project: Path, api: StandIn) -> None:
    api.fail("discovery", 404, times=None)

    line = failed(deploy(project, "--skip-checks"))

    assert "discovery names no template" in line
    assert "IXON_API_BASE_URL" in line
    assert "IXON_API_TEMPLATE_ID" not in line


def test_concurrent_deploys_leave_every_entry_and_upload_a_version_once(
    project: Path, api: StandIn
) -> None:
    api.fail("upload", 503, times=1)  # the first upload is retried: the deploys overlap
    commands = [
        subprocess.Popen(
            [sys.executable, "-m", "invoke", "deploy", "--skip-checks", "--keep-examples", *flags],
            cwd=project,
            env=workspace_env(IXON_API_ACCESS_TOKEN=TOKEN, IXON_API_RETRY_BACKOFF="0.3"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for flags in ([], [], ["--force"], ["--force"])
    ]
    results = [command.communicate(timeout=300) for command in commands]
    codes = [command.returncode for command in commands]

    for out, err in results:
        assert TOKEN not in out + err
        assert "Traceback" not in out + err
    # Run one after the other, a forced deploy always uploads, and an unforced one only while
    # no deploy of 0.1.0 is recorded; at once, the same must hold (on main both unforced ones
    # uploaded, and entries went missing).
    assert codes[2:] == [0, 0], results[2:]
    assert codes[:2].count(0) <= 1, results[:2]
    for (_out, err), code in zip(results, codes, strict=True):
        if code != 0:
            assert "version 0.1.0 was already deployed" in err
    assert len(api.uploads) == codes.count(0) == len(records(project))


def test_no_server_at_all_is_a_connection_failure(project: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = deploy(
        project,
        "--skip-checks",
        IXON_API_BASE_URL=f"http://127.0.0.1:{port}/api/",
        IXON_API_RETRIES="1",
    )

    line = failed(result)
    assert f"could not reach 127.0.0.1:{port}" in line
    assert "retry 1 of 1" in result.stdout


def test_a_discovery_without_the_upload_link_is_explained(project: Path, api: StandIn) -> None:
    api.upload_link = False

    line = failed(deploy(project, "--skip-checks"))

    assert "has no BackendComponentTemplateVersionUpload link" in line
    assert api.count("POST") == 0


# -- settings, checked before any request -----------------------------------------------------

SETTINGS = {
    "no company": (
        {"IXON_API_COMPANY_ID": ""},
        "IXON_API_COMPANY_ID is not set",
    ),
    "bad company": (
        {"IXON_API_COMPANY_ID": "1234"},
        'IXON_API_COMPANY_ID "1234" (from .env) is not valid: expected five groups of four digits',
    ),
    "bad template": (
        {"IXON_API_TEMPLATE_ID": "abc"},
        'IXON_API_TEMPLATE_ID "abc" (from .env) is not valid: expected 12 letters or digits',
    ),
    "bad application": (
        {"IXON_API_APPLICATION_ID": "x"},
        "IXON_API_APPLICATION_ID",
    ),
    "other API version": (
        {"IXON_API_VERSION": "3"},
        'IXON_API_VERSION "3" (from .env) is not valid',
    ),
    "plain http elsewhere": (
        {"IXON_API_BASE_URL": "http://example.com/api/"},
        "IXON_API_BASE_URL",
    ),
    "not a number": (
        {"IXON_API_RETRIES": "many"},
        'IXON_API_RETRIES "many" is not valid: expected a whole number',
    ),
    # The token pasted into the wrong setting is still never repeated (deploy() checks).
    "token as the company": (
        {"IXON_API_COMPANY_ID": TOKEN},
        'IXON_API_COMPANY_ID "********" (from .env) is not valid',
    ),
    "credentials in the URL": (
        {"IXON_API_BASE_URL": f"https://ada:{TOKEN}@portal.ixon.cloud/api/"},
        'IXON_API_BASE_URL "https://***@portal.ixon.cloud/api/" (from .env) is not valid',
    ),
}


@pytest.mark.parametrize("case", SETTINGS, ids=list(SETTINGS))
def test_a_bad_setting_stops_the_deploy_before_any_request(
    project: Path, api: StandIn, case: str
) -> None:
    overrides, expected = SETTINGS[case]
    point_workspace_at(project, api, **overrides)

    line = failed(deploy(project, "--skip-checks"))

    assert expected in line
    assert api.requests == []


def test_no_token_at_all_says_where_to_put_one(project: Path, api: StandIn) -> None:
    line = failed(deploy(project, "--skip-checks", token=None))

    assert "no access token: IXON_API_ACCESS_TOKEN is not set and .accesstoken is missing" in line
    assert api.requests == []


def test_a_malformed_token_is_refused_without_showing_it(project: Path, api: StandIn) -> None:
    line = failed(deploy(project, "--skip-checks", token=f"{TOKEN} oops"))

    assert "the access token in the environment variable IXON_API_ACCESS_TOKEN is malformed" in line
    assert api.requests == []


# -- one version, one deploy (issue 5's rules) ------------------------------------------------


def test_a_version_is_deployed_once_unless_forced(project: Path, api: StandIn) -> None:
    succeeded(deploy(project, "--skip-checks"))

    line = failed(deploy(project, "--skip-checks"))
    assert f"version 0.1.0 was already deployed to template {TEMPLATE}" in line
    assert "run `invoke bump` first" in line
    assert len(api.uploads) == 1

    forced = deploy(project, "--skip-checks", "--force")
    succeeded(forced)
    assert "WARNING: --force: uploading version 0.1.0 again" in forced.stderr
    assert len(api.uploads) == 2
    assert [entry["version"] for entry in records(project)] == ["0.1.0", "0.1.0"]


def test_another_template_may_get_the_same_version(project: Path, api: StandIn) -> None:
    succeeded(deploy(project, "--skip-checks"))
    other = StandIn(company_id=COMPANY, template_id="Other0000000", token=TOKEN)
    with other:
        point_workspace_at(project, other)
        succeeded(deploy(project, "--skip-checks"))
    assert len(other.uploads) == 1


def test_git_state_is_recorded_and_a_dirty_untagged_tree_warned_about(
    tmp_path: Path, shared_venv: Path, api: StandIn
) -> None:
    project = bake(tmp_path, git_init="yes")
    point_workspace_at(project, api)
    helpers = project / "functions" / "helpers.py"
    helpers.write_text(helpers.read_text() + "\n# uncommitted\n")

    result = deploy(project, "--skip-checks")

    succeeded(result)
    assert "WARNING: the git tree has uncommitted changes" in result.stderr
    assert "WARNING: tag v0.1.0 does not point at HEAD" in result.stderr
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.strip()
    [entry] = records(project)
    assert entry["commit"] == head
    assert entry["dirty"] is True


def test_deploy_prints_the_bundles_warnings_before_it_uploads(project: Path, api: StandIn) -> None:
    settings = json.loads((project / "workspace.json").read_text())
    settings["bundle_include"] = ["*.json"]
    (project / "workspace.json").write_text(json.dumps(settings))
    (project / "functions" / "device.json").write_text(
        '{"key": "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"}\n'
    )

    out = succeeded(deploy(project, "--skip-checks"))

    warning = "WARNING: functions/device.json:1 looks like it holds a 32-character token"
    assert warning in out
    assert out.index(warning) < out.index("Deployed my-cloud-function 0.1.0")
    assert "functions/device.json" in received(api).namelist()
