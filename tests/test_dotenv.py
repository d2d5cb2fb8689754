"""`.env` as the workspace reads it (`ixon_devkit.workspace.settings.read_dotenv`, python-dotenv
with the errors the workspace promises): the values are python-dotenv's own on the same files,
and a line python-dotenv would skip, or leave without a value, is one error line."""

from __future__ import annotations

from pathlib import Path

import dotenv
import pytest

from conftest import workspace_module

settings = workspace_module("ixon_devkit.workspace.settings")

FILES = {
    "expansion": 'A=1\nB=${A}x\nC="${B}-${MISSING:-fallback}"\nD=${E:-e}\nE=\nF=${E:-unused}\n',
    "environment": "HOME_TOO=${DOTENV_TEST_HOME}/sub\nOWN=${DOTENV_TEST_HOME:-no}\n",
    "multi-line": 'M="line one\nline two"\nN=\'single\nquoted\'\nO="a\\nb" # escaped\n',
    "export and comments": (
        "# a comment\n\nexport A=one # trailing\nexport  B = two\nC=three#not a comment\n"
        "D='it\\'s'\n"
    ),
    "windows line ends": 'A=1\r\nB="${A}\r\n2"\r\nC=x\r\n',
}


@pytest.mark.parametrize("text", FILES.values(), ids=FILES.keys())
def test_the_host_reads_dotenv_as_python_dotenv_does(tmp_path: Path, text, monkeypatch):
    monkeypatch.setenv("DOTENV_TEST_HOME", "/home/ada")
    path = tmp_path / ".env"
    path.write_bytes(text.encode())

    ours = settings.read_dotenv(path)

    assert ours == dict(dotenv.dotenv_values(path))
    assert ours  # every file has values


def test_expansions_and_multi_line_values_as_read(tmp_path: Path):
    path = tmp_path / ".env"
    path.write_text(FILES["expansion"] + FILES["multi-line"])

    values = settings.read_dotenv(path, environ={})

    assert values["B"] == "1x" and values["C"] == "1x-fallback" and values["F"] == ""
    assert values["M"] == "line one\nline two" and values["O"] == "a\nb"


def test_a_line_python_dotenv_would_skip_is_one_error(tmp_path: Path):
    path = tmp_path / ".env"
    path.write_text('A=1\nB="never closed\nC=3\n')

    with pytest.raises(settings.SettingsError, match=r"\.env:2 \(B\) has a quoted value"):
        settings.read_dotenv(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("A=1\n\n  junk line\n", r"^\.env:3 is not a KEY=value line", id="junk"),
        pytest.param("A=1\nNAME_ONLY\n", r"^\.env:2 is not a KEY=value line", id="no equals"),
        pytest.param("A.B=1\n", r"^\.env:1 is not a KEY=value line", id="not a variable name"),
        pytest.param("A=1\n\nB='x' junk\n", r"^\.env:3 \(B\) has a quoted value", id="junk after"),
    ],
)
def test_a_line_without_a_usable_value_names_its_line(tmp_path: Path, text, expected):
    path = tmp_path / ".env"
    path.write_text(text)

    with pytest.raises(settings.SettingsError, match=expected):
        settings.read_dotenv(path)


def test_the_environment_fills_in_what_the_file_does_not_set(tmp_path: Path):
    path = tmp_path / ".env"
    path.write_text("A=${OUTER}-${A_TOO:-none}\nOUTER=file\nB=${OUTER}\n")

    values = settings.read_dotenv(path, environ={"OUTER": "env", "A_TOO": "set"})

    assert values == {"A": "env-set", "OUTER": "file", "B": "file"}


def test_an_adopted_apps_dotenv_is_read_by_python_dotenv_without_expanding(
    tmp_path: Path, monkeypatch
):
    source = workspace_module("ixon_devkit.adopt.source")
    model = workspace_module("ixon_devkit.adopt.model")
    monkeypatch.setenv("DOTENV_TEST_HOME", "/home/ada")
    path = tmp_path / ".env"
    path.write_text(
        'A=\'x\' # a comment\nB=${DOTENV_TEST_HOME}/sub\nexport C="q\\"uoted"\n'
        'junk line\nD="never closed\nE=5 # five\n'
    )

    values = source.env(model.Plan(tmp_path), path)

    assert values == {"A": "x", "B": "${DOTENV_TEST_HOME}/sub", "C": 'q"uoted', "E": "5"}
