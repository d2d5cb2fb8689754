"""`invoke bundle` in baked workspaces: what goes in, reproducibility, and every refusal."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import bake, invoke, workspace_module

ARCHIVE = "dist/my-cloud-function-0.1.0.zip"
TOKEN = "Tk3nS3cr3tV4lu3Xy7Qw9Er1Ty5Ui2Op"


def bundle(project: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return invoke(project, "bundle", **env)


def printed_sha256(result: subprocess.CompletedProcess[str]) -> str:
    match = re.search(r"sha256 ([0-9a-f]{64})", result.stdout)
    assert match, result.stdout
    return match.group(1)


def python_files(project: Path) -> set[str]:
    return {f"functions/{path.name}" for path in (project / "functions").glob("*.py")}


def entries(project: Path) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(project / ARCHIVE) as archive:
        return archive.infolist()


def test_two_bundles_of_the_same_sources_are_byte_identical(workspace: Path) -> None:
    first = bundle(workspace)
    first_bytes = (workspace / ARCHIVE).read_bytes()
    # What must not matter: timestamps, permissions, leftovers of the first build.
    for path in (workspace / "functions").glob("*.py"):
        os.utime(path, (1_900_000_000, 1_900_000_000))
    (workspace / "functions" / "helpers.py").chmod(0o600)
    second = bundle(workspace)

    assert printed_sha256(first) == printed_sha256(second)
    assert (workspace / ARCHIVE).read_bytes() == first_bytes
    assert hashlib.sha256(first_bytes).hexdigest() == printed_sha256(first)
    assert f"{len(first_bytes):,} bytes" in first.stdout


def test_a_copy_in_another_folder_builds_the_same_archive(workspace: Path) -> None:
    # A CI checkout or a teammate's clone lies in a folder of another name.
    first = printed_sha256(bundle(workspace))
    copy = workspace.parent / "checkout-elsewhere"
    shutil.copytree(workspace, copy, ignore=shutil.ignore_patterns("dist"))

    result = bundle(copy)

    assert printed_sha256(result) == first
    assert (copy / ARCHIVE).read_bytes() == (workspace / ARCHIVE).read_bytes()


def test_a_change_in_the_sources_changes_the_archive(workspace: Path) -> None:
    before = printed_sha256(bundle(workspace))
    helpers = workspace / "functions" / "helpers.py"
    helpers.write_text(helpers.read_text() + "\n# changed\n")
    assert printed_sha256(bundle(workspace)) != before


def test_the_archive_holds_requirements_and_the_functions_python_files_only(
    workspace: Path,
) -> None:
    expected = {"requirements.txt", *python_files(workspace)}
    functions = workspace / "functions"
    for relative in (
        "test_greet.py",
        "greet_test.py",
        "conftest.py",
        "tests/test_more.py",
        "__pycache__/example.cpython-312.pyc",
        ".hidden.py",
        ".cache/data.py",
        "data.json",
        "templates/page.html",
        "venv/lib.py",
        "README.md",
    ):
        path = functions / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")
    (functions / "venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (workspace / ".env").write_text("IXON_API_TEMPLATE_ID=RHQa2MEa0Dxg\n")

    result = bundle(workspace)

    infos = entries(workspace)
    assert {info.filename for info in infos} == expected
    assert [info.filename for info in infos] == sorted(expected)
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.external_attr >> 16 == 0o100644
        # Deflate output differs between zlib builds (zlib-ng): stored is the same everywhere.
        assert info.compress_type == zipfile.ZIP_STORED
    for name in expected:
        assert name in result.stdout
    assert "Left out 3 data file(s)" in result.stdout
    with zipfile.ZipFile(workspace / ARCHIVE) as archive:
        assert archive.read("requirements.txt") == (workspace / "requirements.txt").read_bytes()
        assert b'__version__ = "0.1.0"' in archive.read("functions/_version.py")
        assert archive.comment == b"my-cloud-function 0.1.0"


def test_bundle_include_adds_data_files_but_never_hidden_ones(workspace: Path) -> None:
    settings = json.loads((workspace / "workspace.json").read_text())
    settings["bundle_include"] = ["*.json", "templates/*.html"]
    (workspace / "workspace.json").write_text(json.dumps(settings))
    functions = workspace / "functions"
    (functions / "templates").mkdir()
    (functions / "templates" / "page.html").write_text("<p>hi</p>")
    (functions / "limits.json").write_text("{}")
    (functions / "notes.yaml").write_text("a: 1")
    (functions / ".secret.json").write_text("{}")

    bundle(workspace)

    names = {info.filename for info in entries(workspace)}
    assert names == {
        "requirements.txt",
        *python_files(workspace),
        "functions/limits.json",
        "functions/templates/page.html",
    }


def _write(relative: str, text: str) -> Callable[[Path], None]:
    def change(project: Path) -> None:
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    return change


def _append(relative: str, text: str) -> Callable[[Path], None]:
    def change(project: Path) -> None:
        path = project / relative
        path.write_text(path.read_text() + text)

    return change


def _remove_exposed_modules(project: Path) -> None:
    for path in (project / "functions").glob("*.py"):
        if "@FunctionContext.expose" in path.read_text():
            path.unlink()


def _include(*patterns: str) -> Callable[[Path], None]:
    def change(project: Path) -> None:
        settings = json.loads((project / "workspace.json").read_text())
        settings["bundle_include"] = list(patterns)
        (project / "workspace.json").write_text(json.dumps(settings))

    return change


def _key_file_included(project: Path) -> None:
    _include("certs/*")(project)
    _write("functions/certs/server.pem", "x")(project)


def _token_file_and_data_file(project: Path) -> None:
    (project / ".accesstoken").write_text(TOKEN + "\n")
    _include("*.json")(project)
    (project / "functions" / "settings.json").write_text(f'{{\n  "token": "{TOKEN}"\n}}\n')


REFUSALS = {
    "missing requirements": (
        lambda project: (project / "requirements.txt").unlink(),
        "requirements.txt is missing",
    ),
    "unpinned requirement": (
        _append("requirements.txt", "requests>=2.31\n"),
        'requirements.txt:3 "requests>=2.31" is not pinned',
    ),
    "url requirement": (
        _append("requirements.txt", "tool @ https://example.com/tool.zip\n"),
        "requirements.txt:3",
    ),
    "included requirements file": (
        _append("requirements.txt", "-r other.txt\n"),
        'requirements.txt:3 "-r other.txt"',
    ),
    "no ixoncdkingress": (
        _write("requirements.txt", "requests==2.31.0\n"),
        "requirements.txt does not list ixoncdkingress",
    ),
    "syntax error": (
        _write("functions/broken.py", "def ok():\n    return (1,\n"),
        "functions/broken.py:2 has a syntax error",
    ),
    "nothing exposed": (_remove_exposed_modules, "no function is exposed"),
    "key file": (_key_file_included, "functions/certs/server.pem looks like a secret"),
    "private key text": (
        _write(
            "functions/keys.py", '"""Keys."""\n\nKEY = """-----BEGIN RSA PRIVATE KEY-----\n"""\n'
        ),
        "functions/keys.py:3 looks like a secret",
    ),
    "token in code": (
        _write("functions/settings.py", f'"""Settings."""\n\nACCESS_TOKEN = "{TOKEN}"\n'),
        "functions/settings.py:3 looks like a secret",
    ),
    "the access token in a data file": (
        _token_file_and_data_file,
        "functions/settings.json:2 looks like a secret",
    ),
    "version mismatch": (
        _write("VERSION", "0.2.0\n"),
        'functions/_version.py:3 says __version__ = "0.1.0" but VERSION says 0.2.0: run '
        "`invoke bump`",
    ),
    "bad version": (_write("VERSION", "1.0\n"), 'VERSION:1 "1.0" is not a version'),
    "include pattern leaving functions": (
        _include("../*.txt"),
        'bundle_include pattern "../*.txt" leaves functions/',
    ),
}


#: The refusals also run end to end through `invoke bundle`: the wiring (one ERROR line, exit
#: code, nothing in dist/), and the syntax check that asks the workspace's Python 3.12.
THROUGH_INVOKE = ["syntax error", "token in code", "missing requirements"]


@pytest.mark.parametrize(
    "case", [pytest.param(case, id=case) for case in REFUSALS if case != "syntax error"]
)
def test_bundle_refuses_with_the_file_and_line_in_process(tmp_path: Path, case: str) -> None:
    project = bake(tmp_path)
    change, expected = REFUSALS[case]
    change(project)
    bundling = workspace_module("devkit.host.bundle", project)

    with pytest.raises(bundling.BundleError) as refused:
        bundling.build(project)

    assert expected in str(refused.value)
    assert TOKEN not in str(refused.value)
    dist = project / "dist"
    assert not dist.exists() or not any(dist.iterdir()), "nothing is written when refused"


@pytest.mark.parametrize("case", THROUGH_INVOKE)
def test_bundle_refuses_with_the_file_and_line(workspace: Path, case: str) -> None:
    change, expected = REFUSALS[case]
    change(workspace)

    result = invoke(workspace, "bundle", check=False)

    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 1, result.stderr
    assert expected in errors[0]
    assert TOKEN not in result.stdout + result.stderr
    dist = workspace / "dist"
    assert not dist.exists() or not any(dist.iterdir()), "nothing is written when refused"
