"""Named deploy targets in `workspace.json`: `invoke deploy --target`, `invoke doctor` per target.

In-process: the workspace's own `ixon_devkit.ship.targets`, `settings` and `deploy_record` on
`workspace.json` files written here. End to end: a baked workspace with `test` and `production`
targets deploys one version to both through the workspace's IXON API stand-in, refuses a repeat
per target, and `invoke doctor` reports each.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import invoke, workspace_module

targets = workspace_module("ixon_devkit.ship.targets")
settings = workspace_module("ixon_devkit.workspace.settings")
deploy_record = workspace_module("ixon_devkit.ship.deploy_record")
standin = workspace_module("ixon_devkit.testing.api_standin")

TEST = {"company_id": "1111-2222-3333-4444-5555", "template_id": "TestTemplat1"}
PRODUCTION = {
    "company_id": "9999-8888-7777-6666-5555",
    "template_id": "ProdTemplat1",
    "ui_components": {"status-panel": {"template_id": "ProdUiTempl1"}},
}
TWO_TARGETS = {
    "company_id": "",
    "template_id": "",
    "ui_components": {"status-panel": {"template_id": "TestUiTempl1", "main_page": True}},
    "targets": {"test": TEST, "production": PRODUCTION},
    "default_target": "test",
}


def test_a_baked_workspace_has_one_implicit_target() -> None:
    baked = {"company_id": "7966-5700-7008-0957-0300", "template_id": "RHQa2MEa0Dxg"}

    [target] = targets.every(baked)

    assert (target.name, target.company_id, target.template_id) == ("", *baked.values())
    assert target.sources["company_id"] == "workspace.json company_id"
    with pytest.raises(targets.TargetError, match="no deploy target named production"):
        targets.choose(baked, "production")


def test_named_targets_with_a_default_and_values_from_the_top() -> None:
    assert [t.name for t in targets.every(TWO_TARGETS)] == ["test", "production"]
    production = targets.choose(TWO_TARGETS, "production")
    assert production.company_id == PRODUCTION["company_id"]
    assert production.sources["template_id"] == "workspace.json targets.production.template_id"
    view = targets.view(TWO_TARGETS, production)
    assert view["template_id"] == "ProdTemplat1"
    assert view["ui_components"] == {
        "status-panel": {"template_id": "ProdUiTempl1", "main_page": True}
    }
    # A key a target leaves out comes from the top of the file.
    test = targets.choose(
        {
            **TWO_TARGETS,
            "template_id": "TopTemplate1",
            "targets": {"test": {"company_id": TEST["company_id"]}, "production": PRODUCTION},
        }
    )
    assert (test.template_id, test.sources["template_id"]) == (
        "TopTemplate1",
        "workspace.json template_id",
    )
    assert (
        targets.view(TWO_TARGETS, targets.choose(TWO_TARGETS))["company_id"] == (TEST["company_id"])
    )


@pytest.mark.parametrize(
    ("workspace", "message"),
    [
        ({"targets": {"test": TEST, "prod": TEST}}, '"default_target" in workspace.json must name'),
        ({"targets": {"test": TEST}, "default_target": "live"}, "must name one of the targets"),
        ({"targets": {"Prod Site": TEST}}, 'target name "Prod Site" in workspace.json is not'),
        ({"targets": ["test"]}, '"targets" in workspace.json must map'),
        ({"targets": {"t": {"ui_components": ["a"]}}}, '"ui_components" of target t in'),
        (  # a misspelt component: a deploy would have left it out without a word
            {
                **TWO_TARGETS,
                "targets": {
                    "test": TEST,
                    "production": {
                        "ui_components": {"status-pannel": {"template_id": "ProdUiTempl1"}}
                    },
                },
            },
            'target production names UI Component status-pannel in its "ui_components", which '
            'workspace.json\'s "ui_components" does not have (it has: status-panel)',
        ),
    ],
)
def test_malformed_targets_are_one_clear_error(workspace: dict, message: str) -> None:
    with pytest.raises(targets.TargetError, match=re.escape(message)):
        targets.every(workspace)


def test_deploy_settings_come_from_the_target_and_the_environment_overrides(
    tmp_path: Path,
) -> None:
    (tmp_path / "workspace.json").write_text(json.dumps(TWO_TARGETS), encoding="utf-8")
    environ = {"IXON_API_ACCESS_TOKEN": standin.TEST_TOKEN}

    config = settings.load(tmp_path, environ, target="production")

    assert config.target == "production"
    assert config.company_id.value == PRODUCTION["company_id"]
    assert config.template_id.source == "workspace.json targets.production.template_id"
    assert config.describe()[0] == "target = production"
    assert settings.load(tmp_path, environ).template_id.value == TEST["template_id"]
    one_run = settings.load(tmp_path, {**environ, "IXON_API_TEMPLATE_ID": "OneRunTempl1"})
    assert (one_run.template_id.value, one_run.template_id.source) == (
        "OneRunTempl1",
        "environment",
    )
    with pytest.raises(settings.SettingsError, match="the targets are: test, production"):
        settings.load(tmp_path, environ, target="staging")
    # `invoke doctor --online --target production` asks IXON about production's company.
    online = workspace_module("ixon_devkit.doctor.doctor_online")
    asked = online.load_settings(tmp_path, environ, "production")
    assert (asked.company_id.value, asked.target) == (PRODUCTION["company_id"], "production")


def test_a_version_counts_as_deployed_per_template_and_company(tmp_path: Path) -> None:
    common = {"sha256": "0" * 64, "commit": None, "dirty": False}
    deploy_record.record(
        tmp_path,
        version="1.0.0",
        template_id="SameTemplat1",
        company_id=TEST["company_id"],
        target="test",
        **common,
    )

    assert deploy_record.was_deployed(tmp_path, "1.0.0", "SameTemplat1", TEST["company_id"])
    assert not deploy_record.was_deployed(
        tmp_path, "1.0.0", "SameTemplat1", PRODUCTION["company_id"]
    )
    assert deploy_record.load(tmp_path)[0]["target"] == "test"


@pytest.fixture
def api() -> Iterator[Any]:
    with standin.ApiStandIn() as running:
        for target in (TEST, PRODUCTION):
            running.answer(
                "BackendComponentTemplateVersionUpload",
                {"publicId": target["template_id"]},
                method="POST",
                data={"publicId": target["template_id"]},
            )
        yield running


def test_one_version_to_test_and_production_once_each_and_doctor_reports_both(
    workspace: Path, api: Any
) -> None:
    written = json.loads((workspace / "workspace.json").read_text(encoding="utf-8"))
    functions_only = {k: v for k, v in PRODUCTION.items() if k != "ui_components"}
    written.update(targets={"test": TEST, "production": functions_only}, default_target="test")
    (workspace / "workspace.json").write_text(json.dumps(written, indent=2), encoding="utf-8")
    (workspace / ".env").write_text(
        f"IXON_API_BASE_URL={api.base_url}\nIXON_API_RETRY_BACKOFF=0.01\n", encoding="utf-8"
    )

    def deploy(*arguments: str) -> Any:
        return invoke(
            workspace,
            "deploy",
            "--skip-checks",
            "--keep-examples",
            *arguments,
            check=False,
            IXON_API_ACCESS_TOKEN=standin.TEST_TOKEN,
        )

    to_test = deploy()  # the default target
    to_production = deploy("--target", "production")
    again = deploy("--target", "test")
    doctor = invoke(workspace, "doctor", check=False, IXON_API_ACCESS_TOKEN=standin.TEST_TOKEN)
    only = invoke(
        workspace,
        "doctor",
        "--target",
        "production",
        check=False,
        IXON_API_ACCESS_TOKEN=standin.TEST_TOKEN,
    )

    assert to_test.returncode == 0, to_test.stdout + to_test.stderr
    assert to_production.returncode == 0, to_production.stdout + to_production.stderr
    assert (
        f"to template ProdTemplat1 of company {PRODUCTION['company_id']} (target production)"
        in to_production.stdout
    )
    uploads = api.calls("BackendComponentTemplateVersionUpload")
    assert [(u.url_args["publicId"], u.headers["Api-Company"], u.status) for u in uploads] == [
        (TEST["template_id"], TEST["company_id"], 200),
        (PRODUCTION["template_id"], PRODUCTION["company_id"], 200),
    ]
    entries = json.loads((workspace / "deployments.json").read_text())["deployments"]
    assert [(e["version"], e["target"], e["template_id"]) for e in entries] == [
        ("0.1.0", "test", TEST["template_id"]),
        ("0.1.0", "production", PRODUCTION["template_id"]),
    ]
    assert again.returncode == 1
    assert again.stderr.splitlines()[-1].startswith(
        "ERROR: version 0.1.0 was already deployed to template TestTemplat1 (target test)"
    )
    assert len(api.calls("BackendComponentTemplateVersionUpload")) == 2
    lines = doctor.stdout.splitlines()
    assert any(line.startswith("done     Python environment") for line in lines)
    for name, target in (("test", TEST), ("production", PRODUCTION)):
        assert (
            f"done     [{name}] Company ID: {target['company_id']} (from workspace.json "
            f"targets.{name}.company_id)" in lines
        )
        assert any(
            line.startswith(
                f"missing  [{name}] Version: version 0.1.0 was already deployed to template "
                f"{target['template_id']} (target {name})"
            )
            for line in lines
        ), doctor.stdout
    assert sum(line.split()[1] == "Python" for line in lines if line.split()) == 1
    assert "manifest.json is missing" not in doctor.stdout  # production's UI template: unused
    assert "[test]" not in only.stdout
    assert f"done     Company ID: {PRODUCTION['company_id']}" in only.stdout


def test_ui_components_deploy_to_the_template_ids_of_the_target(tmp_path: Path) -> None:
    deploy = workspace_module("ixon_devkit.ship.deploy")
    components = workspace_module("ixon_devkit.ui.components")
    (tmp_path / "workspace.json").write_text(json.dumps(TWO_TARGETS), encoding="utf-8")
    components.add(tmp_path, "status-panel", "TestUiTempl1")

    [production] = deploy.ui_targets(tmp_path, deploy.Options(target="production"), print)
    [default] = deploy.ui_targets(tmp_path, deploy.Options(), print)

    assert (production.template_id.value, production.template_id.source) == (
        "ProdUiTempl1",
        "workspace.json targets",
    )
    # The test target names no UI template: the one of ui_components serves.
    assert default.template_id.value == "TestUiTempl1"
