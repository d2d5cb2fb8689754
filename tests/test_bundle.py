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


def _link(relative: str, target: Callable[[Path], Path], *patterns: str) -> Callable[[Path], None]:
    """A symbolic link at `relative` to `target(project)` (with `bundle_include` patterns)."""

    def change(project: Path) -> None:
        if patterns:
            _include(*patterns)(project)
        (project / relative).symlink_to(target(project))

    return change


def _planted(relative: str, text: str = "SECRET=kept-off-the-upload\n") -> Callable[[Path], Path]:
    """A file at `relative` in the workspace (what a link then points at, relatively)."""

    def plant(project: Path) -> Path:
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(text)
        return Path("..") / relative

    return plant


def _outside_python_file(project: Path) -> Path:
    outside = project.parent / "elsewhere.py"
    outside.write_text('"""Not part of the workspace."""\n')
    return outside


def _outside_requirements(project: Path) -> Path:
    outside = project.parent / "requirements.txt"
    outside.write_bytes((project / "requirements.txt").read_bytes())
    (project / "requirements.txt").unlink()
    return outside


def _non_utf8_file_name(project: Path) -> None:
    folder = os.fsencode(project / "functions")
    with open(folder + b"/caf\xe9.py", "w") as file:
        file.write("x = 1\n")


def _requirements_bytes(data: Callable[[str], bytes]) -> Callable[[Path], None]:
    def change(project: Path) -> None:
        path = project / "requirements.txt"
        path.write_bytes(data(path.read_text()))

    return change


def _pin_with_marker(marker: str) -> Callable[[Path], None]:
    def change(project: Path) -> None:
        path = project / "requirements.txt"
        path.write_text(re.sub(r"(?m)^(ixoncdkingress==\S+)", rf"\1 ; {marker}", path.read_text()))

    return change


REFUSALS = {
    "link to a system file": (
        _link("functions/accounts.txt", lambda _: Path("/etc/passwd"), "*.txt"),
        "functions/accounts.txt is a symbolic link (or lies in a linked folder) leading outside "
        "the workspace",
    ),
    "link to a python file outside": (
        _link("functions/borrowed.py", _outside_python_file),
        "functions/borrowed.py is a symbolic link",
    ),
    "dangling link": (
        _link("functions/gone.py", lambda project: project / "nowhere.py"),
        "functions/gone.py is a symbolic link to a file that does not exist",
    ),
    "link to .env": (
        _link("functions/settings.txt", _planted(".env"), "*.txt"),
        "functions/settings.txt is a symbolic link (or lies in a linked folder) to .env, "
        "a hidden path",
    ),
    "link to .git/config": (
        _link("functions/remote.txt", _planted(".git/config", "[remote]\n"), "*.txt"),
        "functions/remote.txt is a symbolic link (or lies in a linked folder) to .git/config, "
        "a hidden path",
    ),
    "python file linked into .devkit": (
        _link("functions/keys.py", _planted(".devkit/keys.py", "KEY = 1\n")),
        "functions/keys.py is a symbolic link (or lies in a linked folder) to .devkit/keys.py",
    ),
    "link to .env.local": (
        _link("functions/local.json", _planted(".env.local"), "*.json"),
        "to .env.local, a hidden path",
    ),
    "link to a key file by another name": (
        _link("functions/notes.txt", _planted("deploy/server.key"), "*.txt"),
        "to deploy/server.key, a file whose name looks like a secret",
    ),
    "linked requirements outside": (
        _link("requirements.txt", _outside_requirements),
        "requirements.txt is a symbolic link",
    ),
    "non-UTF-8 file name": (
        _non_utf8_file_name,
        "functions/caf\ufffd.py has a name that is not UTF-8",
    ),
    "UTF-16 requirements": (
        _requirements_bytes(lambda text: text.encode("utf-16")),
        "requirements.txt is UTF-16 text",
    ),
    "UTF-16 requirements without BOM": (
        _requirements_bytes(lambda text: text.encode("utf-16-le")),
        "requirements.txt is UTF-16 text",
    ),
    "BOM requirements": (
        _requirements_bytes(lambda text: text.encode("utf-8-sig")),
        "requirements.txt starts with a byte order mark",
    ),
    "latin-1 requirements": (
        _requirements_bytes(lambda text: text.encode() + "# caf\u00e9\n".encode("latin-1")),
        "requirements.txt:{next} is not UTF-8 text",
    ),
    "marker excluding the runtime python": (
        _pin_with_marker('python_version < "3.0"'),
        'its environment marker "python_version < \\"3.0\\"" excludes Python 3.12',
    ),
    "marker excluding the runtime python, in parentheses": (
        _pin_with_marker(
            '(python_version >= "3.13" or python_full_version < "3.12") and os_name == "posix"'
        ),
        "excludes Python 3.12",
    ),
    "unreadable marker": (
        _pin_with_marker("python_version <"),
        "its environment marker cannot be read",
    ),
    "missing requirements": (
        lambda project: (project / "requirements.txt").unlink(),
        "requirements.txt is missing",
    ),
    "unpinned requirement": (
        _append("requirements.txt", "requests>=2.31\n"),
        'requirements.txt:{next} "requests>=2.31" is not pinned',
    ),
    "url requirement": (
        _append("requirements.txt", "tool @ https://example.com/tool.zip\n"),
        "requirements.txt:{next}",
    ),
    "included requirements file": (
        _append("requirements.txt", "-r other.txt\n"),
        'requirements.txt:{next} "-r other.txt"',
    ),
    "old runtime pin": (
        _write(
            "requirements.txt", "requests==2.31.0\nIXONCDKingress == 0.0.9 ; os_name == 'posix'\n"
        ),
        "requirements.txt:2 pins ixoncdkingress==0.0.9, the old 0.0.x runtime",
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
THROUGH_INVOKE = ["syntax error", "token in code", "missing requirements", "link to .env"]


@pytest.mark.parametrize(
    "case", [pytest.param(case, id=case) for case in REFUSALS if case != "syntax error"]
)
def test_bundle_refuses_with_the_file_and_line_in_process(tmp_path: Path, case: str) -> None:
    project = bake(tmp_path)
    change, expected = REFUSALS[case]
    # {next}: the line after the baked lock's last, where an appended line lands.
    baked_lines = (project / "requirements.txt").read_text(encoding="utf-8").splitlines()
    expected = expected.replace("{next}", str(len(baked_lines) + 1))
    change(project)
    bundling = workspace_module("ixon_devkit.ship.bundle", project)

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


@pytest.mark.parametrize(
    "url",
    ["file:///opt/wheels/tool-1.0-py3-none-any.whl", "https://example.com/tool-1.0.tar.gz"],
)
def test_a_direct_reference_among_the_development_tools_is_no_stale_lock(
    tmp_path: Path, url: str
) -> None:
    """uv locks a declared `name @ url` as it is: the lock reader reads it, so the bundle does
    not take the lock for one that no longer fits its declaration."""
    project = bake(tmp_path)
    with (project / "requirements-dev.in").open("a") as declaration:
        declaration.write(f"tool @ {url}\n")
    with (project / "requirements-dev.txt").open("a") as locked:
        locked.write(
            f"tool @ {url} \\\n    --hash=sha256:{'e' * 64}\n    # via -r requirements-dev.in\n"
        )
    bundling = workspace_module("ixon_devkit.ship.bundle", project)

    bundling.build(project)

    assert any((project / "dist").glob("*.zip"))


@pytest.mark.parametrize(
    "marker",
    [
        'python_version >= "3.12"',
        'python_version == "3.12.*"',
        'sys_platform == "linux"',
        'python_version < "3.0" or platform_system == "Linux"',
    ],
)
def test_a_marker_that_can_hold_on_the_runtime_python_is_accepted(workspace: Path, marker) -> None:
    _pin_with_marker(marker)(workspace)

    result = bundle(workspace)

    with zipfile.ZipFile(workspace / ARCHIVE) as archive:
        assert marker in archive.read("requirements.txt").decode()
    assert "WARNING" not in result.stdout


def test_a_link_that_stays_inside_the_workspace_is_bundled_as_its_content(workspace: Path) -> None:
    shared = workspace / "shared"
    shared.mkdir()
    (shared / "common.py").write_text('"""Shared."""\n\nANSWER = 42\n')
    (workspace / "functions" / "common.py").symlink_to(Path("..") / "shared" / "common.py")

    bundle(workspace)

    with zipfile.ZipFile(workspace / ARCHIVE) as archive:
        assert archive.read("functions/common.py") == (shared / "common.py").read_bytes()


def test_a_non_utf8_name_of_a_file_left_out_is_shown_not_a_traceback(workspace: Path) -> None:
    folder = os.fsencode(workspace / "functions")
    with open(folder + b"/notes-\xff.txt", "w") as file:
        file.write("not bundled\n")

    result = bundle(workspace)

    assert "notes-\ufffd.txt" in result.stdout


#: A secret of a cloud service, spelled so that this file itself holds no such string.
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"


def test_token_like_strings_cloud_keys_and_large_data_files_draw_warnings(
    workspace: Path,
) -> None:
    _include("data/*")(workspace)
    data = workspace / "functions" / "data"
    data.mkdir()
    (data / "plain.json").write_text('{"id": "RHQa2MEa0Dxg", "hash": "not-a-token"}\n')
    (data / "device.json").write_text(f'{{\n  "name": "pump",\n  "key": "{TOKEN}"\n}}\n')
    (data / "aws.ini").write_text(f"[default]\nregion = eu\nid = {AWS_KEY}\n")
    (data / "db.txt").write_text("mongodb://app:hunter2@db.example:27017/app\n")
    (data / "model.bin").write_bytes(b"\0" * (12 * 1024 * 1024))

    result = bundle(workspace)

    warnings = [line for line in result.stdout.splitlines() if line.startswith("WARNING: ")]
    assert len(warnings) == 4, result.stdout
    assert any(
        "functions/data/device.json:3 looks like it holds a 32-character token" in w
        for w in warnings
    )
    assert any(
        "functions/data/aws.ini:3 looks like it holds an AWS access key" in w for w in warnings
    )
    assert any(
        "functions/data/db.txt:1 looks like it holds a connection string" in w for w in warnings
    )
    assert any("functions/data/model.bin is 12.0 MB" in w for w in warnings)
    assert not any("plain.json" in w for w in warnings)
    assert TOKEN not in result.stdout and AWS_KEY not in result.stdout
    # Warnings come before the summary line, and the archive is built all the same.
    assert result.stdout.rstrip().splitlines()[-1].startswith("Bundle dist/")
    assert "functions/data/device.json" in {info.filename for info in entries(workspace)}
