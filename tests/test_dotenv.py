"""`.env` read alike everywhere: the host's standard-library reader
(`ixon_devkit.workspace.settings`)
gives python-dotenv's results on the same files, and the runtime reads with python-dotenv
itself (`ixon_devkit.workspace.dotenv_file`). In-process, against the real python-dotenv."""

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
