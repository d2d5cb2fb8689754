"""The IXON API client, the deploy settings and the deploy plan, in process (the fast tier).

The client talks real HTTP to the stand-in (`ixon_standin.py`) on loopback, or to a stub
session where a server could not misbehave precisely enough; `sleep` is injected, so retries
cost nothing and their waits are checked. Nothing here bakes a workspace or starts invoke: the
workspace's own modules are imported from the template folder.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ixon_standin import StandIn

from conftest import PACKAGE_SOURCE, workspace_module

# One import, so that every class below comes from the same modules.
deploy = workspace_module("ixon_devkit.ship.deploy")
ixon_api = deploy.ixon_api
MAX_ANSWER = workspace_module("ixon_devkit.cloud.api_transport").MAX_ANSWER
settings = deploy.settings
deploy_record = deploy.deployments

TOKEN = "Zq7SecretTokenXy42Wv9Pq3Lm8Nb5Rt"
COMPANY = "1234-5678-9012-3456-7890"
TEMPLATE = "AbCdEf123456"


def make_settings(base_url: str, **numbers: float) -> Any:
    """Checked-looking settings for the client, fast timeouts unless `numbers` says otherwise."""

    def setting(name: str, value: str) -> Any:
        return settings.Setting(name, value, "the test")

    values = {
        "connect_timeout": 2.0,
        "read_timeout": 5.0,
        "retries": 2,
        "retry_backoff": 0.01,
        "max_retry_after": 120.0,
        "deadline": 10.0,
        **numbers,
    }
    values["retries"] = int(values["retries"])
    return settings.DeploySettings(
        company_id=setting(settings.COMPANY_ID, COMPANY),
        template_id=setting(settings.TEMPLATE_ID, TEMPLATE),
        base_url=setting(settings.BASE_URL, base_url),
        application_id=setting(settings.APPLICATION_ID, settings.DEFAULT_APPLICATION_ID),
        api_version=setting(settings.API_VERSION, "2"),
        token=settings.Token(TOKEN, "the test"),
        **values,
    )


class Recorder:
    """What the client printed and how long it slept, instead of printing and sleeping."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.sleeps: list[float] = []

    def echo(self, line: str) -> None:
        self.lines.append(line)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def api() -> Iterator[StandIn]:
    with StandIn(company_id=COMPANY, template_id=TEMPLATE, token=TOKEN) as standin:
        yield standin


@pytest.fixture
def out() -> Recorder:
    return Recorder()


def client_for(api: StandIn, out: Recorder, **numbers: float) -> Any:
    return ixon_api.Client(
        make_settings(api.base_url, **numbers), echo=out.echo, sleep=out.sleep, verbose=True
    )


def deploy_once(client: Any) -> Any:
    """Discovery, then the upload of a small zip: what a deploy sends."""
    url = client.discover_upload_url()
    return client.upload(url, b"PK\x05\x06" + bytes(18))


def no_token_in(*texts: str) -> None:
    for text in texts:
        assert TOKEN.lower() not in text.lower()
        assert TOKEN[:8].lower() not in text.lower()


# -- the happy path and the generic request ------------------------------------------------------


def test_discovery_then_upload_sends_the_headers_ixon_requires(api: StandIn, out: Recorder) -> None:
    with client_for(api, out) as client:
        result = deploy_once(client)

    assert result.status == 200
    assert result.company_to_be_provisioned is False
    discovery, upload = api.requests
    # Like IXON's own upload script: discovery carries IXON's headers and the token too.
    assert discovery.headers["Api-Version"] == "2"
    assert discovery.headers["Api-Application"] == upload.headers["Api-Application"]
    assert discovery.headers["Api-Company"] == COMPANY
    assert discovery.headers["Authorization"] == f"Bearer {TOKEN}"
    assert upload.headers["Authorization"] == f"Bearer {TOKEN}"
    assert upload.headers["Api-Company"] == COMPANY
    assert upload.headers["Content-Type"] == "application/zip"
    assert len(api.uploads) == 1
    assert ">   Authorization: Bearer ********" in out.text
    no_token_in(out.text)


def test_the_generic_request_returns_any_answer_for_the_caller_to_judge(
    api: StandIn, out: Recorder
) -> None:
    with client_for(api, out) as client:
        answer = client.request("GET", api.base_url + "nothing-here", what="lookup")
        document = client.get_json(api.base_url, what="the discovery")

    assert answer.status == 404
    assert not answer.ok
    assert document["type"] == "Discovery"
    assert api.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


# -- the token goes to the configured origin only --------------------------------------------


@pytest.mark.parametrize(
    "where",
    [
        pytest.param("other-port", id="another port of the same host"),
        pytest.param("http://localhost:{port}", id="another host name"),
        pytest.param("https://127.0.0.1:{port}", id="another scheme"),
    ],
)
def test_an_upload_link_on_another_origin_is_refused_before_anything_is_sent(
    api: StandIn, out: Recorder, where: str
) -> None:
    with StandIn(company_id=COMPANY, template_id=TEMPLATE, token=TOKEN) as elsewhere:
        api.upload_origin = (
            f"http://127.0.0.1:{elsewhere.port}"
            if where == "other-port"
            else where.format(port=api.port)
        )
        with client_for(api, out) as client, pytest.raises(ixon_api.ApiError) as caught:
            deploy_once(client)

        line = str(caught.value)
        assert "BackendComponentTemplateVersionUpload address" in line
        assert "the access token is not sent there" in line
        assert elsewhere.requests == []
    assert api.count("POST") == 0


def test_the_generic_request_refuses_the_token_to_another_origin(
    api: StandIn, out: Recorder
) -> None:
    with client_for(api, out) as client, pytest.raises(ixon_api.ApiError) as caught:
        client.request("GET", f"http://localhost:{api.port}/api/")

    assert "another origin (http://localhost:" in str(caught.value)
    assert api.requests == []


# -- retries: only what is safe to repeat -------------------------------------------------------


def test_server_errors_are_retried_with_backoff_and_announced(api: StandIn, out: Recorder) -> None:
    api.fail("upload", 502, times=2)

    with client_for(api, out) as client:
        deploy_once(client)

    assert out.sleeps == [0.01, 0.02]
    assert "upload: 502 Bad Gateway; retry 1 of 2 in 0.01 s" in out.text
    assert api.count("POST") == 3
    assert len(api.uploads) == 1


@pytest.mark.parametrize(
    ("retry_after", "sleeps"),
    [
        pytest.param("3", [3.0], id="seconds"),
        pytest.param(None, [0.01], id="no header: the backoff"),
    ],
)
def test_a_429_waits_as_long_as_it_says(
    api: StandIn, out: Recorder, retry_after: str | None, sleeps: list[float]
) -> None:
    api.fail("upload", 429, retry_after=retry_after)

    with client_for(api, out) as client:
        deploy_once(client)

    assert out.sleeps == sleeps


def test_a_429_asking_for_too_long_is_not_waited_for(api: StandIn, out: Recorder) -> None:
    api.fail("upload", 429, retry_after="900", times=None)

    with client_for(api, out) as client, pytest.raises(ixon_api.ApiError) as caught:
        deploy_once(client)

    assert "wait 900 s and deploy again" in str(caught.value)
    assert out.sleeps == []


def test_a_slow_discovery_is_retried(api: StandIn, out: Recorder) -> None:
    api.fail("discovery", 200, delay=1.0, times=1)

    with client_for(api, out, read_timeout=0.2) as client:
        deploy_once(client)

    assert "discovery: no answer from 127.0.0.1" in out.text
    assert api.count("GET") == 2
    assert len(api.uploads) == 1


def test_an_upload_sent_without_an_answer_in_time_is_not_sent_again(
    api: StandIn, out: Recorder
) -> None:
    api.fail("upload", 200, delay=1.0, times=None)

    client = client_for(api, out, read_timeout=0.2)
    with client, pytest.raises(ixon_api.UncertainRequestError) as caught:
        deploy_once(client)

    line = str(caught.value)
    assert "did not answer within 0.2 s" in line
    assert "IXON may or may not have taken it, so it was not sent again" in line
    assert "check in IXON Studio" in line
    assert caught.value.exit_code == 3
    assert api.count("POST") == 1
    assert out.sleeps == []


def test_a_gateway_timeout_on_an_upload_is_uncertain_too(api: StandIn, out: Recorder) -> None:
    api.fail("upload", 504, times=None)

    with client_for(api, out) as client, pytest.raises(ixon_api.UncertainRequestError) as caught:
        deploy_once(client)

    assert "504 Gateway Timeout, which does not tell whether IXON took it" in str(caught.value)
    assert api.count("POST") == 1


def test_an_upload_that_could_not_connect_is_tried_again(out: Recorder) -> None:
    # Nothing listens on the upload's port: nothing was sent, so another try is safe.
    with StandIn(company_id=COMPANY, template_id=TEMPLATE, token=TOKEN) as api:
        base = api.base_url
        client = client_for(api, out)
    with client, pytest.raises(ixon_api.ApiError) as caught:
        client.upload(base + "backend-component-templates/x/version-upload", b"PK")

    assert "could not reach 127.0.0.1" in str(caught.value)
    assert "(gave up after 3 tries)" in str(caught.value)
    assert out.sleeps == [0.01, 0.02]


# -- the total deadline ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "error"),
    [
        pytest.param("discovery", "ApiError", id="discovery, retried then given up"),
        pytest.param("upload", "UncertainRequestError", id="upload, not sent again"),
    ],
)
def test_an_answer_that_drips_is_cut_off_at_the_deadline(
    api: StandIn, out: Recorder, endpoint: str, error: str
) -> None:
    api.fail(endpoint, 200, drip=0.05, times=None)
    started = time.monotonic()

    client = client_for(api, out, read_timeout=5, deadline=0.5, retries=1)
    with client, pytest.raises(getattr(ixon_api, error)) as caught:
        deploy_once(client)

    took = time.monotonic() - started
    assert "within the 0.5 s deadline (IXON_API_DEADLINE)" in str(caught.value)
    assert took < 3, f"took {took:.1f} s: the deadline did not hold"


# -- explaining answers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "status", "expected", "unexpected"),
    [
        pytest.param(
            "discovery",
            401,
            "the access token is wrong or has expired",
            "discovery names no template",
            id="401 on discovery: the token (discovery carries it)",
        ),
        pytest.param(
            "discovery",
            404,
            "is not the address of IXON's API v2",
            "IXON_API_TEMPLATE_ID",
            id="404 on discovery: not the template",
        ),
        pytest.param(
            "upload",
            401,
            "the access token is wrong or has expired",
            "discovery names no template",
            id="401 on upload: the token",
        ),
        pytest.param(
            "upload",
            404,
            f"check IXON_API_TEMPLATE_ID {TEMPLATE}",
            "discovery names no template",
            id="404 on upload: the template",
        ),
    ],
)
def test_each_refusal_is_explained_for_where_it_happened(
    api: StandIn, out: Recorder, endpoint: str, status: int, expected: str, unexpected: str
) -> None:
    api.fail(endpoint, status, times=None)

    with client_for(api, out) as client, pytest.raises(ixon_api.ApiError) as caught:
        deploy_once(client)

    assert expected in str(caught.value)
    assert unexpected not in str(caught.value)


def test_a_403_names_the_role_or_permission_ixon_asks_for_what_was_deployed(
    api: StandIn, out: Recorder
) -> None:
    ui_deploy = workspace_module("ixon_devkit.ui.ui_deploy")
    api.fail("upload", 403, times=None)
    api.fail("ui-upload", 403, times=None)

    with client_for(api, out) as client:
        with pytest.raises(ixon_api.ApiError) as function_upload:
            deploy_once(client)
        with pytest.raises(ui_deploy.ixon_api.ApiError) as ui_upload:
            ui_deploy.upload(client, api.base_url, "PcT0000000A1", b"PK\x05\x06" + bytes(18))

    function_line, ui_line = str(function_upload.value), str(ui_upload.value)
    assert "deploying needs the Platform administrator role (IXON's process" in function_line
    assert "Develop apps" not in function_line
    assert 'deploying needs a role with the "Develop apps" permission (IXON\'s documentation' in (
        ui_line
    )
    assert "Platform administrator" not in ui_line
    no_token_in(function_line, ui_line)


# -- a stub session: answers no honest server gives -------------------------------------------


class StubResponse:
    def __init__(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.status_code = status
        self.reason = "OK" if status == 200 else "Unauthorized"
        self.headers = {"Content-Type": "application/json", **(headers or {})}
        self._body = io.BytesIO(body)
        self.read = 0

    def iter_content(self, size: int) -> Iterator[bytes]:
        while chunk := self._body.read(size):
            self.read += len(chunk)
            yield chunk

    def close(self) -> None:
        pass


class StubSession:
    def __init__(self, *responses: StubResponse) -> None:
        self.responses = list(responses)
        self.calls: list[dict[str, Any]] = []

    def request(self, method: str, url: str, **keywords: Any) -> StubResponse:
        self.calls.append({"method": method, "url": url, **keywords})
        return self.responses.pop(0)

    def close(self) -> None:
        pass


def stub_client(session: StubSession, out: Recorder) -> Any:
    return ixon_api.Client(
        make_settings("https://portal.example/api/"),
        echo=out.echo,
        sleep=out.sleep,
        verbose=True,
        session=session,
    )


def test_answers_are_read_up_to_the_cap_and_redirects_never_followed(out: Recorder) -> None:
    huge = StubResponse(200, b"x" * (MAX_ANSWER * 3))
    session = StubSession(huge)

    answer = stub_client(session, out).request("GET", "https://portal.example/api/")

    assert len(answer.body) == MAX_ANSWER
    assert huge.read < MAX_ANSWER * 2
    assert session.calls[0]["allow_redirects"] is False
    connect, read = session.calls[0]["timeout"]
    assert (connect, read) == (2.0, 5.0)


@pytest.mark.parametrize(
    "echoed",
    [
        pytest.param(TOKEN, id="as it is"),
        pytest.param(TOKEN.lower(), id="lower case"),
        pytest.param(TOKEN.upper(), id="upper case"),
        pytest.param(TOKEN[:20].lower(), id="its first 20 characters, lower case"),
        pytest.param(TOKEN[5:13], id="any 8 characters of it"),
    ],
)
def test_a_token_echoed_by_the_server_is_masked_in_every_form(out: Recorder, echoed: str) -> None:
    body = json.dumps({"status": "error", "data": [{"message": f"Invalid token {echoed}"}]})
    session = StubSession(StubResponse(401, body.encode()))

    with pytest.raises(ixon_api.ApiError) as caught:
        stub_client(session, out).upload("https://portal.example/api/up", b"PK")

    assert "Invalid token ********" in str(caught.value)
    no_token_in(str(caught.value), out.text)


# -- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        pytest.param(f"a {TOKEN} b", "a ******** b", id="whole"),
        pytest.param(f"a{TOKEN.swapcase()}b", "a********b", id="other case"),
        pytest.param(f"x {TOKEN[3:11]} y", "x ******** y", id="eight characters"),
        pytest.param(f"x {TOKEN[3:10]} y", f"x {TOKEN[3:10]} y", id="seven are left alone"),
        pytest.param(f"{TOKEN[:12]}-{TOKEN[20:]}", "********-********", id="two runs"),
    ],
)
def test_the_token_masks_every_run_of_eight_of_its_characters(text: str, masked: str) -> None:
    masking = workspace_module("ixon_devkit.workspace.masking")
    assert masking.mask(text, settings.Token(TOKEN, "test").reveal()) == masked


def test_one_masker_masks_several_secrets_and_a_short_one_whole() -> None:
    masking = workspace_module("ixon_devkit.workspace.masking")
    password, otp = "correct horse battery", "492817"
    text = f"user:{otp}:{password.upper()} then {TOKEN[4:16].lower()} and 49281 alone"

    masked = masking.mask(text, TOKEN, password, otp, "")

    assert masked == "user:********:******** then ******** and 49281 alone"
    assert masking.holds(text, TOKEN) and not masking.holds(masked, TOKEN, password, otp)
    assert masking.mask(text) == text and not masking.holds(text, "")


DOTENV = [
    pytest.param('X="v"  # comment\n', "v", id="double quotes, then a comment"),
    pytest.param("X='v w' # comment\n", "v w", id="single quotes, then a comment"),
    pytest.param("X=v # comment\n", "v", id="unquoted, then a comment"),
    pytest.param("X=v#not-a-comment\n", "v#not-a-comment", id="a hash inside a value"),
    pytest.param('X="a # b"\n', "a # b", id="a hash inside quotes"),
    pytest.param('export X="a\\"b"\n', 'a"b', id="export and an escaped quote"),
    pytest.param("X = v \n", "v", id="spaces around"),
]


@pytest.mark.parametrize(("content", "value"), DOTENV)
def test_dotenv_values_are_read_as_python_dotenv_reads_them(
    tmp_path: Path, content: str, value: str
) -> None:
    (tmp_path / ".env").write_text(content, encoding="utf-8")

    assert settings.read_dotenv(tmp_path / ".env") == {"X": value}


@pytest.mark.parametrize(
    "encoding",
    [
        pytest.param("utf-16", id="UTF-16 with a BOM (PowerShell 5)"),
        pytest.param("utf-8-sig", id="UTF-8 with a BOM"),
    ],
)
def test_a_dotenv_written_by_windows_tools_is_read(tmp_path: Path, encoding: str) -> None:
    (tmp_path / ".env").write_bytes("X=1\r\nY='2'\r\n".encode(encoding))

    assert settings.read_dotenv(tmp_path / ".env") == {"X": "1", "Y": "2"}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"X=\xff\xfe\xfa\n", ".env is neither UTF-8 nor UTF-16", id="not UTF-8"),
        pytest.param(b'X="open\n', ".env:1 (X) has a quoted value without", id="open quote"),
        pytest.param(b'X="v" junk\n', ".env:1 (X) has a quoted value without", id="junk after"),
    ],
)
def test_a_dotenv_that_cannot_be_read_is_one_line(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    (tmp_path / ".env").write_bytes(content)

    with pytest.raises(settings.SettingsError) as caught:
        settings.read_dotenv(tmp_path / ".env")

    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_deadline_is_a_checked_setting(tmp_path: Path) -> None:
    environ = {
        settings.COMPANY_ID: COMPANY,
        settings.TEMPLATE_ID: TEMPLATE,
        settings.ACCESS_TOKEN: TOKEN,
    }
    assert settings.load(tmp_path, environ).deadline == 300.0
    assert settings.load(tmp_path, {**environ, settings.DEADLINE: "5"}).deadline == 5.0
    with pytest.raises(settings.SettingsError, match="IXON_API_DEADLINE"):
        settings.load(tmp_path, {**environ, settings.DEADLINE: "0"})


# -- the deploy: a plan, then its execution ------------------------------------------------------


def small_workspace(root: Path, api: StandIn, version: str = "0.1.0") -> Path:
    """The least a workspace needs to be deployed (no venv, no invoke)."""
    (root / "functions").mkdir(parents=True)
    (root / "VERSION").write_text(version + "\n")
    (root / "functions" / "__init__.py").write_text("")
    (root / "functions" / "_version.py").write_text(f'__version__ = "{version}"\n')
    (root / "functions" / "hello.py").write_text(
        "from ixoncdkingress.function.context import FunctionContext\n\n\n"
        "@FunctionContext.expose\n"
        "def hi(context):\n"
        "    return 'hi'\n"
    )
    (root / "requirements.txt").write_text("ixoncdkingress==1.0.0\n")
    (root / "workspace.json").write_text(json.dumps({"function_slug": "small"}))
    (root / ".env").write_text(
        f"IXON_API_BASE_URL={api.base_url}\nIXON_API_COMPANY_ID={COMPANY}\n"
        f"IXON_API_TEMPLATE_ID={TEMPLATE}\nIXON_API_RETRY_BACKOFF=0.01\n"
    )
    (root / ".accesstoken").write_text(TOKEN)
    (root / ".accesstoken").chmod(0o600)
    return root


def test_the_plan_says_what_would_be_sent_where_and_sends_nothing(
    tmp_path: Path, api: StandIn, out: Recorder
) -> None:
    root = small_workspace(tmp_path, api)
    config = deploy.load_settings(root, out.echo)

    plan = deploy.make_plan(
        root,
        deploy.Options(skip_checks=True),
        config,
        run_checks=None,
        echo=out.echo,
        warn=out.echo,
    )

    text = "\n".join(plan.describe())
    assert f"GET  {api.base_url}" in text
    assert f"{{publicId}} = {TEMPLATE}" in text
    assert f"only to http://127.0.0.1:{api.port}" in text
    assert f"upload version 0.1.0 to template {TEMPLATE} (not deployed there before)" in text
    assert "access token = ******** (.accesstoken)" in text
    assert plan.bundle.path.is_file()
    assert plan.version == "0.1.0"
    assert api.requests == []
    no_token_in(text, out.text)


def test_two_deploys_of_one_version_at_once_upload_it_once(tmp_path: Path, api: StandIn) -> None:
    root = small_workspace(tmp_path, api)
    outcomes: list[str] = []

    def one() -> None:
        out = Recorder()
        try:
            deploy.deploy(
                root,
                deploy.Options(skip_checks=True),
                run_checks=lambda: None,
                echo=out.echo,
                warn=out.echo,
                client=lambda config: ixon_api.Client(config, echo=out.echo, sleep=out.sleep),
            )
            outcomes.append("deployed")
        except deploy.DeployError as error:
            outcomes.append(str(error))

    slow = threading.Event()
    original = api.take_fault

    def slow_upload(endpoint: str) -> Any:
        if endpoint == "upload":
            slow.wait(0.5)  # both deploys are in flight before the first upload is answered
        return original(endpoint)

    api.take_fault = slow_upload  # type: ignore[method-assign]
    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes)[0] == "deployed"
    assert "version 0.1.0 was already deployed" in sorted(outcomes)[1]
    assert len(api.uploads) == 1
    assert len(deploy_record.load(root)) == 1


def test_concurrent_records_keep_every_entry(tmp_path: Path) -> None:
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from pathlib import Path\n"
        "from ixon_devkit.ship import deploy_record\n"
        "for n in range(15):\n"
        "    deploy_record.record(Path(sys.argv[2]), version=f'{sys.argv[3]}.{n}',\n"
        "        template_id='AbCdEf123456', company_id='x', sha256='0', commit=None,\n"
        "        dirty=False)\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-B", "-c", script, str(PACKAGE_SOURCE), str(tmp_path), f"{i}.0"]
        )
        for i in range(6)
    ]
    for process in processes:
        assert process.wait(60) == 0

    entries = deploy_record.load(tmp_path)
    assert len(entries) == 6 * 15
    assert len({entry["version"] for entry in entries}) == 6 * 15
    assert not list(tmp_path.glob("*.partial"))


def test_the_old_private_names_still_work_for_code_written_against_them(
    api: StandIn, out: Recorder
) -> None:
    with client_for(api, out) as client:
        url = client.discover_upload_url()
        headers = {**client._headers(authorized=True), "Content-Type": "application/zip"}
        answer = client._request("POST", url, headers, b"PK\x05\x06" + bytes(18), "upload")
        document = client._json(answer, "the upload", hint="-")

    assert document["status"] == "success"
    assert api.requests[-1].headers["Authorization"] == f"Bearer {TOKEN}"
    assert api.requests[-1].headers["Content-Type"] == "application/zip"


def test_a_redirect_is_explained_not_followed(out: Recorder) -> None:
    moved = StubResponse(301, b"", {"Location": "https://elsewhere.example/api/"})
    session = StubSession(moved)

    with pytest.raises(ixon_api.ApiError) as caught:
        stub_client(session, out).upload("https://portal.example/api/up", b"PK")

    assert "the API moved to https://elsewhere.example/api/" in str(caught.value)
    assert len(session.calls) == 1


def test_an_upload_taken_but_not_recorded_says_so(
    tmp_path: Path, api: StandIn, out: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = small_workspace(tmp_path, api)

    def full_disk(*_arguments: Any, **_options: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(deploy_record, "settle", full_disk)

    with pytest.raises(deploy.DeployError) as caught:
        deploy.deploy(
            root,
            deploy.Options(skip_checks=True),
            run_checks=lambda: None,
            echo=out.echo,
            warn=out.echo,
        )

    assert "IXON took the upload of 0.1.0 (HTTP 200), but settling it" in str(caught.value)
    assert 'delete the line "pending": true of its entry by hand' in str(caught.value)
    assert len(api.uploads) == 1
    # What was written before the upload still says it went out.
    [entry] = deploy_record.load(root)
    assert entry["pending"] is True and entry["version"] == "0.1.0"
