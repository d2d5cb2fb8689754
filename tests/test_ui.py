"""UI Components in the workspace: bake, setup, serve in a real browser, bundle, deploy.

Node packages are installed once per session by a workspace's real `invoke setup` (`npm ci`
from the template's lock file) into `.bake/node-cache/node_modules`, then linked into every
baked workspace, as the Python environment is shared through IXON_VENV. A change of the lock
file makes the next session install afresh.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from ixon_standin import StandIn, point_workspace_at
from support import CHROMIUM, DevTools, free_port, processes_in, serve_and_call, stop_group
from test_hooks import GOOD, load_hook

from conftest import (
    TEMPLATE,
    UI_COMPONENT,
    bake,
    invoke,
    link_node_modules,
    workspace_env,
    workspace_module,
)

COMPONENT = UI_COMPONENT
PAGE_TEMPLATE = "PcT0000000A1"
TOKEN = "Zq7SecretTokenXy42Wv9Pq3Lm8Nb5Rt"
COMPANY = "1234-5678-9012-3456-7890"
TEMPLATE_ID = "AbCdEf123456"

pre_gen = load_hook("pre_gen_project")


# -- fixtures -----------------------------------------------------------------------------------


def ui_workspace(folder: Path, **answers: str) -> Path:
    answers.setdefault("ui_component", COMPONENT)
    answers.setdefault("ui_component_template_id", PAGE_TEMPLATE)
    project = bake(folder, **answers)
    link_node_modules(project)
    return project


@pytest.fixture
def workspace_ui(tmp_path: Path, node_modules: Path) -> Path:
    """A freshly baked workspace with the status-panel UI Component, packages linked."""
    return ui_workspace(tmp_path)


def one_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return errors[0]


def path_without_node(tmp_path: Path, fake_node: str | None = None) -> str:
    """A PATH with git (and, if given, a fake `node` printing that version) but no Node."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    (bin_dir / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    if fake_node:
        for program in ("node", "npm"):
            script = bin_dir / program
            script.write_text(f"#!/bin/sh\necho {fake_node}\n")
            script.chmod(0o755)
    return str(bin_dir)


# -- baking -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"ui_component": "Status_Panel"}, "ui_component"),
        ({"ui_component": "9lives"}, "ui_component"),
        ({"ui_component": "dist"}, "ui_component"),
        ({"ui_component": "panel", "ui_component_template_id": "short"}, "ui_component_template"),
        ({"ui_component_template_id": PAGE_TEMPLATE}, "ui_component_template_id"),
    ],
)
def test_pre_generation_refuses_bad_ui_answers(answers: dict[str, str], field: str) -> None:
    problems = pre_gen.check({**GOOD, **answers})
    assert len(problems) == 1 and problems[0].startswith(field), problems


def test_pre_generation_takes_good_ui_answers() -> None:
    good = {**GOOD, "ui_component": "status-panel", "ui_component_template_id": PAGE_TEMPLATE}
    assert pre_gen.check(good) == []
    assert pre_gen.check({**GOOD, "ui_component": "x2"}) == []


def test_bake_with_a_component_writes_both_halves(tmp_path: Path) -> None:
    project = ui_workspace(tmp_path, function_slug="both-halves")
    component = project / "components" / COMPONENT
    manifest = json.loads((component / "manifest.json").read_text())
    assert manifest["version"] == "1" and manifest["main"] == f"app-{COMPONENT}.min.js"
    source = (component / f"{COMPONENT}.svelte").read_text()
    for call in ("example.greet", "notes.add", "notes.recent", "createBackendComponentClient"):
        assert call in source
    config = json.loads((project / "cdk.config.json").read_text())
    assert config["prefix"] == "app" and list(config["components"]) == [COMPONENT]
    package = json.loads((project / "package.json").read_text())
    pinned = package["devDependencies"]
    assert {pinned[f"@ixon-cdk/{name}"] for name in ("core", "runner", "simulator")} == {"1.2.0"}
    lock = json.loads((project / "package-lock.json").read_text())
    assert lock["name"] == "both-halves" and "resolved" not in json.dumps(lock)
    settings = json.loads((project / "workspace.json").read_text())
    assert settings["ui_components"] == {COMPONENT: {"template_id": PAGE_TEMPLATE}}
    assert not list(project.rglob("__pycache__"))


def test_workspace_without_a_component_needs_no_node(tmp_path: Path, shared_venv: Path) -> None:
    project = bake(tmp_path / "plain")
    for name in ("package.json", "package-lock.json", "cdk.config.json", "components"):
        assert not (project / name).exists(), name
    assert "ui_components" not in json.loads((project / "workspace.json").read_text())
    no_node = path_without_node(tmp_path)
    for task in (
        ("setup",),
        ("bundle",),
        ("deploy", "--dry-run", "--skip-checks", "--keep-examples"),
    ):
        env = {"PATH": no_node}
        if task[0] == "deploy":
            env |= {
                "IXON_API_COMPANY_ID": COMPANY,
                "IXON_API_TEMPLATE_ID": TEMPLATE_ID,
                "IXON_API_ACCESS_TOKEN": TOKEN,
            }
        result = invoke(project, *task, **env)
        assert "node" not in (result.stdout + result.stderr).lower(), task


@pytest.mark.parametrize("fake", [None, "v16.20.2"], ids=["missing", "too-old"])
def test_setup_without_a_usable_node_says_so_in_one_line(
    tmp_path: Path, shared_venv: Path, fake: str | None
) -> None:
    project = bake(tmp_path / "ws", ui_component=COMPONENT)  # no node_modules linked
    result = invoke(project, "setup", check=False, PATH=path_without_node(tmp_path, fake))
    line = one_error(result)
    assert "Node.js 18" in line and "--functions-only" in line
    if fake:
        assert "16.20.2" in line


def test_setup_is_quick_when_nothing_changed(workspace_ui: Path) -> None:
    started = time.monotonic()
    result = invoke(workspace_ui, "setup")
    assert "Node packages up to date" in result.stdout
    assert time.monotonic() - started < 30


def test_new_component_later_gives_a_full_stack_workspace(
    tmp_path: Path, node_modules: Path
) -> None:
    project = bake(tmp_path)
    bad = invoke(project, "new-component", "Bad_Name", check=False)
    assert "component name" in one_error(bad)
    assert not (project / "package.json").exists()
    invoke(project, "new-component", "gauge", "--template-id", "PcT0000000B2")
    assert (project / "components" / "gauge" / "gauge.svelte").is_file()
    assert json.loads((project / "workspace.json").read_text())["ui_components"] == {
        "gauge": {"template_id": "PcT0000000B2"}
    }
    again = invoke(project, "new-component", "gauge", check=False)
    assert "already exists" in one_error(again)
    link_node_modules(project)
    assert "up to date" in invoke(project, "setup").stdout
    invoke(project, "test")
    invoke(project, "lint")
    built = invoke(project, "bundle").stdout
    assert "UI bundle dist/ui-gauge-1.zip" in built


# -- bundle -------------------------------------------------------------------------------------


def ui_zip(project: Path) -> bytes:
    return (project / "dist" / f"ui-{COMPONENT}-1.zip").read_bytes()


def test_bundle_builds_both_halves_reproducibly(workspace_ui: Path, tmp_path: Path) -> None:
    invoke(workspace_ui, "bundle")
    first = {path.name: path.read_bytes() for path in (workspace_ui / "dist").glob("*.zip")}
    assert set(first) == {"my-cloud-function-0.1.0.zip", f"ui-{COMPONENT}-1.zip"}
    invoke(workspace_ui, "bundle")
    again = {path.name: path.read_bytes() for path in (workspace_ui / "dist").glob("*.zip")}
    assert again == first
    # A clone elsewhere builds the same bytes.
    elsewhere = ui_workspace(tmp_path / "other place")
    invoke(elsewhere, "bundle", "--ui-only")
    assert ui_zip(elsewhere) == first[f"ui-{COMPONENT}-1.zip"]
    with zipfile.ZipFile(io.BytesIO(first[f"ui-{COMPONENT}-1.zip"])) as archive:
        names = archive.namelist()
        script = archive.read(f"{COMPONENT}/app-{COMPONENT}.min.js").decode()
    assert f"{COMPONENT}/manifest.json" in names and f"{COMPONENT}/icon.svg" in names
    assert 'customElements.define("app-status-panel"' in script


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"version": 1}, '"version"'),
        ({"version": "1.0"}, '"version"'),
        ({"main": "other.js"}, '"main"'),
        ({"inputs": None}, '"inputs"'),
    ],
)
def test_bundle_refuses_a_bad_manifest(
    workspace_ui: Path, change: dict[str, object], expected: str
) -> None:
    path = workspace_ui / "components" / COMPONENT / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest.update(change)
    path.write_text(json.dumps(manifest))
    line = one_error(invoke(workspace_ui, "bundle", "--ui-only", check=False))
    assert expected in line and "manifest.json" in line


def test_bundle_reports_a_broken_component(workspace_ui: Path) -> None:
    source = workspace_ui / "components" / COMPONENT / f"{COMPONENT}.svelte"
    source.write_text(source.read_text() + "\n<div>{#if}</div>\n")
    line = one_error(invoke(workspace_ui, "bundle", "--ui-only", check=False))
    assert "could not build UI Component status-panel" in line


# -- deploy -------------------------------------------------------------------------------------


@pytest.fixture
def api() -> Iterator[StandIn]:
    with StandIn(company_id=COMPANY, template_id=TEMPLATE_ID, token=TOKEN) as standin:
        yield standin


@pytest.fixture
def project(workspace_ui: Path, api: StandIn) -> Path:
    point_workspace_at(workspace_ui, api)
    return workspace_ui


def deploy(project: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    result = invoke(
        project,
        "deploy",
        "--skip-checks",
        "--keep-examples",  # the baked examples are what these tests deploy
        *arguments,
        check=False,
        IXON_API_ACCESS_TOKEN=TOKEN,
    )
    output = result.stdout + result.stderr
    assert TOKEN not in output, "the access token leaked into the output"
    assert "Traceback" not in output
    return result


def test_deploy_publish_uploads_both_halves_and_publishes(project: Path, api: StandIn) -> None:
    # With its checks: the tests it runs are recorded, so doctor asks for no other run.
    result = invoke(project, "deploy", "--keep-examples", "--publish", IXON_API_ACCESS_TOKEN=TOKEN)
    assert TOKEN not in result.stdout + result.stderr
    assert len(api.uploads) == 1
    (version_id, version), *others = api.ui_versions.items()
    assert not others
    assert version["template"] == PAGE_TEMPLATE and version["number"] == "1"
    assert version["published"] is True
    assert version["archive"] == ui_zip(project)
    ui_upload = next(r for r in api.requests if "page-component-templates" in r.path)
    assert ui_upload.headers["Authorization"] == f"Bearer {TOKEN}"
    assert ui_upload.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert f"version ID {version_id}" in result.stdout and "Published" in result.stdout
    recorded = json.loads((project / "deployments.json").read_text())["deployments"]
    assert [(r["version"], r["template_id"], r["component"]) for r in recorded] == [
        ("0.1.0", TEMPLATE_ID, None),
        ("1", PAGE_TEMPLATE, COMPONENT),
    ]
    assert recorded[1]["published"] is True
    # The last lines: one summary of both targets, then the next steps with the grants.
    lines = result.stdout.rstrip().splitlines()
    summary = lines[lines.index(f"Deploy summary (company {COMPANY}):") :]
    assert summary[1].startswith(
        f"  deployed Cloud Function my-cloud-function 0.1.0 to template {TEMPLATE_ID}: "
        f"sha256 {recorded[0]['sha256']}"
    )
    assert summary[2] == (
        f"  deployed UI Component {COMPONENT} 1 to template {PAGE_TEMPLATE}: sha256 "
        f"{recorded[1]['sha256']}, version ID {version_id}, published"
    )
    assert any("API Access: AgentList" in line for line in summary)
    assert summary[-1].startswith("  - its logs:")
    # Doctor tells the function's deploy from the component's, and the tests ran after all.
    doctor = invoke(project, "doctor", check=False, IXON_API_ACCESS_TOKEN=TOKEN).stdout
    assert (
        f"done     Deploy and provisioning: the Cloud Function 0.1.0 deployed to template "
        f"{TEMPLATE_ID}" in doctor
    )
    assert f"done     UI Component {COMPONENT} deploy: version 1 deployed to template" in doctor
    assert "done     Tests: passed at the last run" in doctor and "by `invoke deploy`" in doctor
    assert (
        f"missing  UI Component {COMPONENT} version: UI Component {COMPONENT} version 1" in doctor
    )
    # The same UI version again is refused before anything is sent.
    sent = len(api.requests)
    line = one_error(deploy(project, "--ui-only"))
    assert "version 1 was already deployed" in line and "invoke bump" in line
    assert len(api.requests) == sent


def test_deploy_options_pick_the_halves(project: Path, api: StandIn) -> None:
    assert deploy(project, "--functions-only").returncode == 0
    assert len(api.uploads) == 1 and not api.ui_versions
    assert deploy(project, "--component", COMPONENT).returncode == 0
    assert len(api.uploads) == 1 and len(api.ui_versions) == 1
    assert not next(iter(api.ui_versions.values()))["published"]
    line = one_error(deploy(project, "--component", "nope"))
    assert "no UI Component named nope" in line


def test_template_id_from_the_environment_and_missing(project: Path, api: StandIn) -> None:
    api.page_templates.add("PcTFromEnv01")
    result = invoke(
        project,
        "deploy",
        "--skip-checks",
        "--ui-only",
        check=False,
        IXON_API_ACCESS_TOKEN=TOKEN,
        IXON_UI_TEMPLATE_ID_STATUS_PANEL="PcTFromEnv01",
    )
    assert result.returncode == 0, result.stderr
    assert next(iter(api.ui_versions.values()))["template"] == "PcTFromEnv01"
    settings = json.loads((project / "workspace.json").read_text())
    settings["ui_components"][COMPONENT]["template_id"] = ""
    (project / "workspace.json").write_text(json.dumps(settings))
    line = one_error(deploy(project, "--ui-only"))
    assert "has no page-component-template ID" in line
    assert "IXON_UI_TEMPLATE_ID_STATUS_PANEL" in line


FAULTS = {
    "upload-5xx": ("ui-upload", {"status": 503, "times": None}, "503"),
    "upload-401": ("ui-upload", {"status": 401}, "401"),
    "upload-html": ("ui-upload", {"status": 502, "body": "html", "times": None}, "HTML"),
    "upload-echoes-token": ("ui-upload", {"status": 400, "body": "echo"}, "400"),
    "upload-timeout": ("ui-upload", {"delay": 7.0, "times": None}, "time"),
    "publish-403": ("publish", {"status": 403}, "publish"),
    "publish-5xx": ("publish", {"status": 500, "times": None}, "publish"),
}


@pytest.mark.parametrize("case", FAULTS, ids=list(FAULTS))
def test_ui_faults_end_in_one_line(project: Path, api: StandIn, case: str) -> None:
    endpoint, fault, expected = FAULTS[case]
    api.fail(endpoint, **fault)
    point_workspace_at(project, api, IXON_API_RETRIES="1", IXON_API_READ_TIMEOUT="1")
    # One case deploys the function first: the summary says what went out before the error.
    both = case == "publish-403"
    result = deploy(project, *([] if both else ["--ui-only"]), "--publish")
    line = one_error(result)
    assert expected.lower() in line.lower(), line
    assert "********" in line or TOKEN not in line
    if both:
        summary = result.stdout[result.stdout.index("Deploy summary") :]
        assert f"deployed Cloud Function my-cloud-function 0.1.0 to template {TEMPLATE_ID}" in (
            summary
        )
        assert re.search(  # uploaded before its publishing failed
            rf"deployed UI Component {COMPONENT} \S+ to template {PAGE_TEMPLATE}: sha256 "
            r"[0-9a-f]{64}, version ID \w+, NOT published: publishing it failed \(see the ERROR",
            summary,
        ), summary
        assert "stopped before the end: the ERROR line below says why" in summary
        recorded = json.loads((project / "deployments.json").read_text())["deployments"]
        assert [(r["component"], r.get("published")) for r in recorded] == [
            (None, None),
            (COMPONENT, False),
        ]


# -- serve in a real browser --------------------------------------------------------------------


@contextlib.contextmanager
def serving_both(project: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, int, Path]]:
    function_port, ui_port = free_port(), free_port()
    log_path = project.parent / "serve-both.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "invoke",
                "serve",
                "--docdb",
                "memory",
                "--port",
                str(function_port),
                "--ui-port",
                str(ui_port),
            ],
            cwd=project,
            env=workspace_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process, function_port, ui_port, log_path
    finally:
        # Ctrl-C first: invoke serve stops its servers (each in its own process group).
        stop_group(process, timeout=30)


def wait_for_line(process: subprocess.Popen[bytes], log_path: Path, text: str) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for line in log_path.read_text(errors="replace").splitlines():
            if text in line:
                return line
        assert process.poll() is None, log_path.read_text()
        time.sleep(0.1)
    raise AssertionError(f"no {text!r} in\n{log_path.read_text()}")


class Browser(DevTools):
    """DevTools that sends the simulator's calls for localhost:8020 to the test's port.

    The simulator calls http://localhost:8020/ (its default); another test run or a user's
    invoke serve may hold that port, so the test serves on a free one and rewrites the
    address inside the browser (Fetch domain), which the page cannot see.
    """

    function_port = 8020
    _fetch_ids = 1_000_000  # apart from send()'s ids, so their answers are not taken for its

    def _receive(self) -> dict:
        while True:
            message = super()._receive()
            if message.get("method") != "Fetch.requestPaused":
                return message
            paused = message["params"]
            url = paused["request"]["url"].replace(":8020/", f":{self.function_port}/")
            self._fetch_ids += 1
            command = {
                "id": self._fetch_ids,
                "method": "Fetch.continueRequest",
                "params": {"requestId": paused["requestId"], "url": url},
                "sessionId": message.get("sessionId", self.session),
            }
            os.write(self._write, json.dumps(command).encode() + b"\0")

    def open(self, url: str) -> None:
        """Open `url` in a new page whose calls of localhost:8020 go to `function_port`."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.send("Fetch.enable", patterns=[{"urlPattern": "http://localhost:8020/*"}])
        self.send("Page.navigate", url=url)


SHADOW = "document.querySelector('app-status-panel')?.shadowRoot"


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_serve_shows_the_function_answers_in_the_simulator(
    workspace_ui: Path, tmp_path: Path
) -> None:
    # The simulator's calls get call_context.yaml's company, so `invoke call` sees its notes.
    settings = json.loads((workspace_ui / "workspace.json").read_text())
    (workspace_ui / "workspace.json").write_text(json.dumps({**settings, "same_caller": True}))
    with serving_both(workspace_ui) as (process, function_port, ui_port, log_path):
        line = wait_for_line(process, log_path, "Simulator running at:")
        url = line.split("Simulator running at:")[1].strip()
        assert url.startswith(f"http://localhost:{ui_port}/")
        wait_for_line(process, log_path, "functions | ")
        browser = Browser(tmp_path / "profile")
        browser.function_port = function_port
        try:
            browser.open(url)
            greeting = browser.wait_for(
                f"{SHADOW}?.querySelector('.greeting')?.textContent.includes('Hello')"
                f" && {SHADOW}.querySelector('.greeting').textContent",
                timeout=90,
            )
            assert greeting == "Hello, IXON!"
            browser.evaluate(f"{SHADOW}.querySelector('input').focus()")
            browser.send("Input.insertText", text="written in the browser")
            browser.evaluate(f"{SHADOW}.querySelector('button').click()")
            notes = browser.wait_for(
                f"Array.from({SHADOW}.querySelectorAll('li')).map(e => e.textContent).join('|')"
            )
            assert notes == "written in the browser"
            seen = invoke(workspace_ui, "call", "notes.recent", "--port", str(function_port))
            assert [note["text"] for note in json.loads(seen.stdout)] == ["written in the browser"]
            # The function fails (HTTP 500): the component says so within seconds, no hang.
            example = workspace_ui / "functions" / "example.py"
            example.write_text(
                example.read_text() + "\n\n@FunctionContext.expose\n"
                "def greet(context: FunctionContext, name: str = 'world') -> str:\n"
                "    raise RuntimeError('no greeting today')\n"
            )
            browser.send("Page.reload")
            browser.wait_for(f"{SHADOW}?.querySelector('.greeting')?.textContent === '…'")
            rendered = time.monotonic()
            shown = browser.wait_for(f"{SHADOW}?.querySelector('.error')?.textContent", 10)
            assert time.monotonic() - rendered < 5, shown
            assert "example.greet has not answered within 3 s" in shown
            assert "raised RuntimeError" in log_path.read_text() or "no greeting today" in (
                log_path.read_text()
            )
        finally:
            browser.close()
        log = log_path.read_text()
        assert '"OPTIONS / HTTP/1.1" 204' in log and '"POST / HTTP/1.1" 200' in log
        assert "Refused" not in log, "serve trusts the simulator it starts"
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal reaches the group
        assert process.wait(timeout=30) == 0
    # Whatever serve started ran in the workspace (the builders, the simulator) or names it.
    assert processes_in(workspace_ui.resolve()) == [], "outlived invoke serve"


def test_serve_refuses_a_busy_simulator_port(workspace_ui: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = invoke(
            workspace_ui,
            "serve",
            *("--ui-port", str(port), "--port", str(free_port())),
            check=False,
            timeout=60,
        )
    line = one_error(result)
    assert f"port {port}" in line and "--ui-port" in line


def test_hook_and_workspace_agree_on_component_names() -> None:
    """The pre-generation hook keeps its own copy of the name rules (it runs before the
    workspace exists); the tooling's ixon_devkit/ui/components.py is the other copy."""
    source = TEMPLATE / "devkit" / "src" / "ixon_devkit" / "ui" / "components.py"
    text = source.read_text()
    assert f're.compile(r"{pre_gen.UI_COMPONENT.pattern}")' in text
    assert f"MAX_NAME = {pre_gen.MAX_UI_COMPONENT}" in text
    taken = sorted(pre_gen.UI_COMPONENT_TAKEN)
    assert all(f'"{name}"' in text.split("TAKEN = ")[1].split("\n")[0] for name in taken)


# -- in process: devkit's standard-library modules ----------------------------------------------


def test_node_versions_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    node = workspace_module("ixon_devkit.ui.node")
    monkeypatch.setenv("PATH", path_without_node(tmp_path, "v20.11.1"))
    found = node.find()
    assert found.node_version == (20, 11, 1) and found.npm_version == (20, 11, 1)
    monkeypatch.setenv("PATH", path_without_node(tmp_path / "old", "v16.0.0"))
    with pytest.raises(node.NodeError, match=r"Node.js 18.0 or newer, found 16.0.0"):
        node.find()


def test_node_fingerprint_ignores_the_workspace_name(tmp_path: Path) -> None:
    node = workspace_module("ixon_devkit.ui.node")
    components = workspace_module("ixon_devkit.ui.components")
    fingerprints = []
    for slug in ("one", "two"):
        root = tmp_path / slug
        root.mkdir()
        components.add(root, "panel", slug=slug)
        fingerprints.append(node.fingerprint(root))
    assert fingerprints[0] == fingerprints[1]
    package = json.loads((tmp_path / "two" / "package.json").read_text())
    package["devDependencies"]["left-pad"] = "1.3.0"
    (tmp_path / "two" / "package.json").write_text(json.dumps(package))
    assert node.fingerprint(tmp_path / "two") != fingerprints[0]


@pytest.mark.parametrize(
    ("name", "template_id", "expected"),
    [
        ("Panel", "", "component name"),
        ("node-modules", "", "taken"),
        ("panel", "abc", "template ID"),
    ],
)
def test_new_component_refusals_write_nothing(
    tmp_path: Path, name: str, template_id: str, expected: str
) -> None:
    components = workspace_module("ixon_devkit.ui.components")
    with pytest.raises(components.ComponentError, match=expected):
        components.add(tmp_path, name, template_id)
    assert list(tmp_path.iterdir()) == []


def test_together_prefixes_output_and_stops_all_when_one_ends(tmp_path: Path) -> None:
    together = workspace_module("ixon_devkit.serve.together")
    out = io.StringIO()
    sleeper = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"]
    quitter = [sys.executable, "-c", "print('bye'); raise SystemExit(3)"]
    servers = [
        together.Server("long", sleeper, tmp_path),
        together.Server("q", quitter, tmp_path),
    ]
    started = time.monotonic()
    assert together.Together(servers, out=out).run() == 3
    assert time.monotonic() - started < 15
    lines = out.getvalue().splitlines()
    assert "q    | bye" in lines and "q    | stopped (exit 3): stopping the rest" in lines
    assert all(server.process.poll() is not None for server in servers)


def test_bump_raises_the_component_manifest_only(tmp_path: Path) -> None:
    versioning = workspace_module("ixon_devkit.ship.versioning")
    project = ui_workspace(tmp_path)
    assert versioning.manifests(project) == [f"components/{COMPONENT}/manifest.json"]


def test_serve_without_node_serves_the_functions_and_names_functions_only(
    workspace_ui: Path, tmp_path: Path
) -> None:
    port = free_port()
    answer, out, err = serve_and_call(
        [sys.executable, "-m", "invoke", "serve", "--port", str(port)],
        workspace_ui,
        workspace_env(PATH=path_without_node(tmp_path)),
        port,
        "example.greet",
        {"name": "Ada"},
    )
    assert answer == "Hello, Ada!", out + err
    line = next(line for line in err.splitlines() if line.startswith("WARNING: the UI half"))
    assert "Node.js" in line and "invoke serve --functions-only" in line


def test_ui_only_needs_no_function_template_id(project: Path, api: StandIn) -> None:
    point_workspace_at(project, api, IXON_API_TEMPLATE_ID="")
    result = deploy(project, "--ui-only")
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(api.ui_versions) == 1 and not api.uploads
    assert "IXON_API_TEMPLATE_ID is not set" in one_error(deploy(project, "--functions-only"))
