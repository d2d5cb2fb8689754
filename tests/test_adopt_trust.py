"""An adopted app is untrusted input, second pass (issue 30: items 1, 5, 7 and 10).

Each test builds the hostile app it needs in a temporary folder, adopts it in process into a
copy of one baked workspace, and checks what was refused and that nothing was written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from adopt_support import adopt_into, snapshot, write


def ui_app(folder: Path, component_root: object, **more: str) -> Path:
    """A UI-only app whose cdk.config.json sets `newComponentRoot`, with files an attacker
    would plant in a workspace (its own package index for uv, pytest and Python hooks)."""
    config = {"newComponentRoot": component_root, "components": {"tile": {}}}
    return write(
        folder,
        {
            "cdk.config.json": json.dumps(config),
            "package.json": '{"name": "tile"}',
            "components/tile/manifest.json": '{"version": "1"}',
            "uv.toml": 'index-url = "https://packages.invalid/simple"\n',
            "conftest.py": "import os\n",
            "sitecustomize.py": "import os\n",
            "invoke.yaml": "run: {echo: true}\n",
            **more,
        },
    )


@pytest.mark.parametrize(
    "component_root",
    [".", "./", "../../x", "components/../..", "/etc", "functions", "tests/ui", ".hidden", 7],
)
def test_new_component_root_outside_a_plain_folder_of_the_app_is_refused(
    fresh, tmp_path, component_root
):
    project, adopting = fresh
    app = ui_app(tmp_path / "app", component_root)
    before = snapshot(project)

    with pytest.raises(adopting.AdoptError) as refused:
        adopting.adopt(project, app, adopting.Options(remove_examples=True))

    message = str(refused.value)
    assert "newComponentRoot" in message and json.dumps(component_root) in message
    assert "\n" not in message and "nothing was written" in message
    assert snapshot(project) == before


def test_new_component_root_through_a_link_is_refused(fresh, tmp_path):
    project, adopting = fresh
    outside = write(tmp_path / "outside", {"tile/manifest.json": "{}"})
    app = ui_app(tmp_path / "app", "ui/components")
    (app / "ui").symlink_to(outside, target_is_directory=True)

    with pytest.raises(adopting.AdoptError) as refused:
        adopting.adopt(project, app, adopting.Options(remove_examples=True))

    assert "goes through a symbolic link" in str(refused.value)


def test_a_plain_component_root_is_taken_and_nothing_is_planted(fresh, tmp_path):
    project, adopting = fresh
    app = ui_app(tmp_path / "app", "src/components")
    write(app, {"src/components/tile/manifest.json": '{"version": "1"}'})

    result, _ = adopt_into(project, adopting, app)

    assert (project / "src" / "components" / "tile" / "manifest.json").is_file()
    for planted in ("uv.toml", "conftest.py", "sitecustomize.py", "invoke.yaml"):
        assert not (project / planted).exists(), planted
    assert all(not path.startswith(("uv.toml", "conftest", "site")) for path in result.writes)


def test_the_sdks_api_base_url_is_named_not_carried(fresh, tmp_path):
    project, adopting = fresh
    app = ui_app(tmp_path / "app", "components")
    config = json.loads((app / "cdk.config.json").read_text())
    (app / "cdk.config.json").write_text(
        json.dumps({**config, "apiBaseUrl": "https://evil.invalid"})
    )

    _, said = adopt_into(project, adopting, app)

    assert "apiBaseUrl" not in (project / "cdk.config.json").read_text()
    assert 'sets apiBaseUrl "https://evil.invalid": not carried' in said


# --- example settings, terminal escapes, hard links ---------------------------------------------


def function_app(folder: Path, **more: str) -> Path:
    return write(
        folder,
        {
            "requirements.txt": "ixoncdkingress==1.0.0\n",
            "functions/__init__.py": "",
            "functions/alarm.py": "VALUE = 1\n",
            **more,
        },
    )


def test_example_settings_become_empty_placeholders_not_live_values(fresh, tmp_path):
    import yaml

    project, adopting = fresh
    example = {
        "values": {
            "webhookUrl": "https://hooks.example.net/T000/B000/abc",
            "smtpHost": "smtp.example.net",
            "alarmTo": "operator@example.net",
            "smtpPort": 587,
            "useTls": True,
        }
    }
    app = function_app(tmp_path / "app", **{"context_config.example.json": json.dumps(example)})

    _, said = adopt_into(project, adopting, app)

    values = yaml.safe_load((project / "context_values.yaml").read_text(encoding="utf-8"))
    assert values == {
        "webhookUrl": "",
        "smtpHost": "",
        "alarmTo": "",
        "smtpPort": 587,
        "useTls": True,
    }
    text = (project / "context_values.yaml").read_text(encoding="utf-8")
    assert "example.net" not in text
    assert "fill in webhookUrl, smtpHost, alarmTo, smtpPort, useTls" in said


def test_control_characters_of_the_apps_values_are_escaped_and_not_carried(fresh, tmp_path):
    project, adopting = fresh
    escape = "\x1b[2K\x1b[1A\x9bdone"  # erase the line, go up: rewrite adopt's own lines
    app = function_app(
        tmp_path / "app",
        **{
            ".env": f"IXON_API_COMPANY_ID=1111-2222-3333-4444-5555{escape}\n"
            f"IXON_API_VERSION=2{escape}\nIXON_API_BASE_URL=https://evil.invalid/{escape}\n"
        },
    )

    _, said = adopt_into(project, adopting, app)

    assert "\x1b" not in said and "\x9b" not in said
    assert "IXON_API_COMPANY_ID to 1111-2222-3333-4444-5555\\x1b[2K\\x1b[1A\\x9bdone" in said
    settings = json.loads((project / "workspace.json").read_text(encoding="utf-8"))
    assert settings["company_id"] == ""
    env = project / ".env"
    assert not env.exists() or "\x1b" not in env.read_text(encoding="utf-8")


def test_hard_links_are_not_brought_in(fresh, tmp_path):
    project, adopting = fresh
    secret = tmp_path / "outside" / "id_rsa"
    secret.parent.mkdir()
    secret.write_text("PRIVATE KEY\n", encoding="utf-8")
    app = function_app(tmp_path / "app")
    os.link(secret, app / "functions" / "key.py")

    result, said = adopt_into(project, adopting, app)

    assert not (project / "functions" / "key.py").exists()
    assert "functions/key.py" not in result.writes
    assert "functions/key.py: a hard link (one of 2 names of one file" in said
    assert (project / "functions" / "alarm.py").is_file()
