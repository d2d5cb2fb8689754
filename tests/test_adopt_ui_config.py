"""IXON's older UI layout: the component SDK's configuration in `config.json` (issue 31).

`@ixon-cdk/core` (its `config/config.service.js`, 1.2.0 and 1.24.0) reads `cdk.config.json`,
else `config.json`; apps of that layout also carry their components' own jest tests. The app
`tests/apps/ui_older_layout` stands for them.
"""

from __future__ import annotations

import json
import shutil

import pytest
from adopt_support import APPS, adopt_into, snapshot

from conftest import TEMPLATE, bake, invoke, link_node_modules

OLDER = APPS / "ui_older_layout"


def test_an_app_with_config_json_is_adopted_as_the_sdk_reads_it(fresh):
    project, adopting = fresh

    result, said = adopt_into(project, adopting, OLDER)

    assert result.layout.ui == OLDER.resolve()
    config = json.loads((project / "cdk.config.json").read_text(encoding="utf-8"))
    assert list(config["components"]) == ["level-gauge"]
    assert (project / "components" / "level-gauge" / "percent.test.js").is_file()
    settings = json.loads((project / "workspace.json").read_text(encoding="utf-8"))
    assert settings["ui_components"]["level-gauge"]["template_id"] == "LevelGauge01"
    assert "config.json (the SDK's configuration under its older name" in said
    assert "not brought in" not in said or "config.json" not in said.split("not brought in")[1]


def test_the_components_jest_tests_come_with_their_config_and_are_named_as_not_run(fresh):
    project, adopting = fresh

    _, said = adopt_into(project, adopting, OLDER)

    assert (project / "jest.config.js").read_bytes() == (OLDER / "jest.config.js").read_bytes()
    left = said.split("Left to do:")[1]
    assert "components/level-gauge/percent.test.js" in left
    assert "`invoke test` and CI run only the Python tests" in left and "npx jest" in left


def test_a_config_json_that_is_no_component_configuration_is_no_ui(fresh, tmp_path):
    project, adopting = fresh
    app = tmp_path / "node-app"
    app.mkdir()
    (app / "package.json").write_text('{"name": "x"}', encoding="utf-8")
    (app / "config.json").write_text('{"port": 8080}', encoding="utf-8")

    with pytest.raises(adopting.AdoptError) as refused:
        adopting.adopt(project, app, adopting.Options(remove_examples=True))

    assert "cdk.config.json, or config.json, with package.json" in str(refused.value)


def test_the_older_layout_bundles_and_dry_runs_a_deploy(tmp_path, shared_venv, node_modules):
    app = tmp_path / OLDER.name
    shutil.copytree(OLDER, app)
    ui_template = TEMPLATE / "devkit" / "src" / "ixon_devkit" / "ui" / "ui_template"
    for name in ("package.json", "package-lock.json"):  # the SDK set that installs here
        shutil.copy(ui_template / name, app / name)
    project = bake(tmp_path / "ws")
    invoke(project, "adopt", str(app), "--remove-examples")
    link_node_modules(project)
    before = snapshot(project / "components")

    deployed = invoke(project, "deploy", "--dry-run", check=False)

    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert "page-component-templates/LevelGauge01/version-upload" in deployed.stdout
    assert snapshot(project / "components") == before
