"""The workspace accepts what IXON Cloud accepts, end to end: its own states are not failures.

One module-scoped workspace without examples and with a UI Component stands for a UI-only app
with no tests yet (what `invoke adopt` of a UI-only repository gives): tests, doctor, bundle and
a dry-run deploy without a token. Beside it: `apiApplication` in the configuration values (the
runtime's own lookups), and `invoke serve` when the UI half cannot be installed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from support import free_port, serve_and_call
from test_ui import COMPANY, COMPONENT, PAGE_TEMPLATE

from conftest import bake, invoke, link_node_modules, workspace_env


@pytest.fixture(scope="module")
def ui_only(tmp_path_factory: pytest.TempPathFactory, node_modules: Path) -> Path:
    """No example functions, one UI Component: a workspace without a Cloud Function."""
    project = bake(
        tmp_path_factory.mktemp("ui-only"),
        examples="no",
        ui_component=COMPONENT,
        ui_component_template_id=PAGE_TEMPLATE,
    )
    link_node_modules(project)
    return project


def test_no_tests_and_no_cloud_function_are_states_not_failures(ui_only: Path) -> None:
    tested = invoke(ui_only, "test")
    doctor = invoke(ui_only, "doctor", check=False)

    assert "No tests yet" in tested.stdout
    lines = doctor.stdout.splitlines()
    tests = next(line for line in lines if "Tests" in line)
    assert "no tests yet" in tests and "failed" not in tests, doctor.stdout
    template = next(line for line in lines if "Cloud Function template ID" in line)
    assert "not needed" in template, doctor.stdout
    blocking = [line for line in doctor.stderr.splitlines() if line.startswith("ERROR: ")]
    assert all("Tests" not in line and "template ID" not in line for line in blocking), blocking


def test_a_ui_only_dry_run_shows_the_whole_plan_without_a_token(ui_only: Path) -> None:
    # Baked without functions, the component calls a placeholder name that nothing serves.
    result = invoke(
        ui_only, "deploy", "--dry-run", "--ignore-component-calls", IXON_API_COMPANY_ID=COMPANY
    )

    out = result.stdout + result.stderr
    assert "WARNING: --ignore-component-calls" in result.stderr
    assert "deploying the UI Components alone" in result.stdout
    assert "no function is exposed" not in out
    # pytest found no test: a warning, not "`pytest -q` failed, so nothing was deployed".
    assert "there are no tests" in result.stderr
    assert "Dry run: nothing was sent." in result.stdout
    assert f"page-component-templates/{PAGE_TEMPLATE}/version-upload" in result.stdout
    (missing,) = [line for line in result.stdout.splitlines() if line.startswith("MISSING")]
    assert "no access token" in missing and ".accesstoken" in missing

    bundled = invoke(ui_only, "bundle")
    assert "building the UI Components alone" in bundled.stdout
    assert (ui_only / "dist" / f"ui-{COMPONENT}-1.zip").is_file()


def test_api_application_lookups_of_the_runtime_work_and_are_not_counted(
    workspace: Path,
) -> None:
    # IXON's documentation puts apiApplication in the configuration values; ixoncdkingress
    # then fetches MyUser, MyCompany, Agent and Asset itself on every call.
    values = workspace / "context_values.yaml"
    values.write_text(values.read_text() + "\napiApplication: AbCdEf123456\n")

    result = invoke(workspace, "test", "-k", "example or agents", check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "TypeError" not in result.stdout
    # The app's own call (AgentList) is recorded for `invoke api-access`; the runtime's are not.
    seen = set(
        json.dumps(json.loads((workspace / ".devkit" / "api-calls.json").read_text())).split('"')
    )
    assert "AgentList" in seen
    assert not {"MyUser", "MyCompany", "Agent", "Asset"} & seen


def test_serve_with_an_uninstallable_ui_half_serves_the_functions(
    tmp_path: Path, shared_venv: Path
) -> None:
    project = bake(tmp_path, ui_component=COMPONENT)
    # A dependency the lock file lacks: npm ci itself refuses (out of sync), no network needed.
    package = json.loads((project / "package.json").read_text())
    package.setdefault("dependencies", {})["left-pad"] = "1.3.0"
    (project / "package.json").write_text(json.dumps(package, indent=2))
    port, ui_port = free_port(), free_port()
    answer, out, err = serve_and_call(
        [sys.executable, "-m", "invoke", "serve", "--port", str(port), "--ui-port", str(ui_port)],
        project,
        workspace_env(),
        port,
        "example.greet",
        {"name": "Ada"},
    )
    assert answer == "Hello, Ada!", out + err
    warning = next(line for line in err.splitlines() if line.startswith("WARNING: the UI half"))
    assert "npm ci failed" in warning and "invoke serve --functions-only" in warning
