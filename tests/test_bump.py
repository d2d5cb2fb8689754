"""`invoke bump` and `invoke version` in baked workspaces that are real git repositories.

Every bump runs the workspace's own task in a subprocess, as a user would; git runs for real
in temporary repositories, with an identity from the environment and no global git settings.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from ixon_standin import StandIn, point_workspace_at

from conftest import SHARED_VENV, bake, invoke, workspace_env, workspace_module

#: Every bump runs the workspace's task in a subprocess and git for real: the end-to-end tier.
pytestmark = pytest.mark.e2e

TODAY = date.today().isoformat()
IDENTITY = {
    "GIT_AUTHOR_NAME": "Ada Tester",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Tester",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
}


@pytest.fixture(autouse=True)
def git_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Git without this machine's settings (signing, hooks, identity), identity from env."""
    config = tmp_path / "gitconfig"
    config.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name, value in IDENTITY.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A freshly baked workspace with git_init=yes: one commit, a clean tree."""
    project = bake(tmp_path / "out", git_init="yes")
    assert git(project, "status", "--porcelain") == ""
    return project


def git(project: Path, *arguments: str) -> str:
    result = subprocess.run(
        ["git", *arguments], cwd=project, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def commit_all(project: Path, message: str = "work") -> None:
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", message)


def files(project: Path) -> dict[str, bytes]:
    """Every file of the workspace outside .git, with its bytes."""
    return {
        path.relative_to(project).as_posix(): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(project).parts
    }


def refused(result: subprocess.CompletedProcess[str]) -> str:
    """The one ERROR line of a refused task (which must exit non-zero, without a traceback)."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ERROR: ")
    return lines[0]


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout.strip().splitlines()[-1]


def released_files(project: Path) -> set[str]:
    return set(git(project, "show", "--name-only", "--format=", "HEAD").splitlines())


def write_manifest(project: Path, relative: str, text: str) -> Path:
    path = project / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- bumping ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "expected"),
    [("patch", "0.1.1"), ("minor", "0.2.0"), ("major", "1.0.0"), ("0.3.7", "0.3.7")],
)
def test_bump_changes_every_file_commits_and_tags(repo, part, expected):
    start = git(repo, "rev-parse", "HEAD")

    invoke(repo, "bump", part)

    assert (repo / "VERSION").read_text() == f"{expected}\n"
    assert f'__version__ = "{expected}"' in (repo / "functions/_version.py").read_text()
    assert f"## [{expected}] - {TODAY}" in (repo / "CHANGELOG.md").read_text()
    assert git(repo, "rev-parse", "HEAD~1") == start
    assert git(repo, "log", "-1", "--format=%s") == f"Release {expected}"
    assert released_files(repo) == {"VERSION", "functions/_version.py", "CHANGELOG.md"}
    assert git(repo, "cat-file", "-t", f"v{expected}") == "tag"  # annotated, not lightweight
    assert git(repo, "rev-parse", f"v{expected}^{{commit}}") == git(repo, "rev-parse", "HEAD")
    assert git(repo, "status", "--porcelain") == ""
    assert last_line(invoke(repo, "version")) == expected


def test_version_prints_the_version_alone_on_the_last_line(default_workspace):
    result = invoke(default_workspace, "version")

    assert last_line(result) == (default_workspace / "VERSION").read_text().strip()
    assert last_line(result) == "0.1.0"


def test_bumps_follow_each_other(repo):
    for part, expected in [("patch", "0.1.1"), ("patch", "0.1.2"), ("minor", "0.2.0")]:
        invoke(repo, "bump", part)
        assert last_line(invoke(repo, "version")) == expected

    assert git(repo, "tag", "--list").split() == ["v0.1.1", "v0.1.2", "v0.2.0"]


# -- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wanted", "reason"),
    [
        ("banana", "not a version"),
        ("1.2", "not a version"),
        ("v1.0.0", "not a version"),
        ("01.2.3", "not a version"),
        ("0.0.9", "not greater than the current version 0.1.0"),
        ("0.1.0", "not greater than the current version 0.1.0"),
        ("--help", "invoke --help bump"),  # invoke passes an option in the part's place
    ],
)
def test_a_bad_or_lower_version_is_refused_and_nothing_changes(repo, wanted, reason):
    before, head = files(repo), git(repo, "rev-parse", "HEAD")

    line = refused(invoke(repo, "bump", wanted, check=False))

    assert reason in line
    assert files(repo) == before
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "tag", "--list") == ""


def test_a_dirty_tree_is_refused_unless_allowed(repo):
    example = repo / "functions/example.py"
    example.write_text(example.read_text() + "# work in progress\n")
    before = files(repo)

    line = refused(invoke(repo, "bump", "patch", check=False))

    assert "functions/example.py" in line
    assert "--allow-dirty" in line
    assert files(repo) == before

    invoke(repo, "bump", "patch", "--allow-dirty")

    assert (repo / "VERSION").read_text() == "0.1.1\n"
    assert "functions/example.py" not in released_files(repo)
    assert git(repo, "status", "--porcelain") == "M functions/example.py"


def test_an_existing_tag_is_refused(repo):
    git(repo, "tag", "v0.1.1")
    before = files(repo)

    line = refused(invoke(repo, "bump", "patch", check=False))

    assert "v0.1.1 already exists" in line
    assert files(repo) == before


def test_without_a_git_identity_it_says_how_to_set_one(repo, monkeypatch):
    for name in IDENTITY:
        monkeypatch.delenv(name)
    git(repo, "config", "user.useConfigOnly", "true")  # no guessing from the host name
    before = files(repo)

    line = refused(invoke(repo, "bump", "patch", check=False))

    assert "git config --global user.email" in line
    assert "GIT_AUTHOR_NAME" in line
    assert files(repo) == before

    invoke(repo, "bump", "patch", "--no-commit")
    assert (repo / "VERSION").read_text() == "0.1.1\n"


def test_a_refused_commit_puts_every_file_back(repo):
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'the hook says no' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = files(repo)

    line = refused(invoke(repo, "bump", "patch", check=False))

    assert "the hook says no" in line
    assert files(repo) == before
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "tag", "--list") == ""


def test_a_broken_manifest_refuses_before_any_file_is_written(repo):
    write_manifest(repo, "components/gauge/manifest.json", '{"version": "3",}\n')
    commit_all(repo)
    before = files(repo)

    line = refused(invoke(repo, "bump", "patch", check=False))

    assert "components/gauge/manifest.json is not valid JSON" in line
    assert files(repo) == before  # VERSION comes first, and is untouched too


# -- dry run, options ------------------------------------------------------------------------


def test_dry_run_shows_each_change_and_leaves_every_file_untouched(repo):
    write_manifest(repo, "components/gauge/manifest.json", '{"version": "3"}\n')
    commit_all(repo)
    (repo / "deployments.json").write_text("{}\n")
    before, head = files(repo), git(repo, "rev-parse", "HEAD")

    result = invoke(repo, "bump", "minor", "--dry-run")

    assert files(repo) == before
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "tag", "--list") == ""
    listing = result.stdout
    for expected in (
        "VERSION",
        "-0.1.0",
        "+0.2.0",
        "functions/_version.py",
        '+__version__ = "0.2.0"',
        "CHANGELOG.md",
        f"+## [0.2.0] - {TODAY}",
        "components/gauge/manifest.json",
        '-{"version": "3"}',
        '+{"version": "4"}',
        "nothing was changed",
        "with deployments.json",
    ):
        assert expected in listing


def test_no_tag_commits_without_a_tag_and_no_commit_only_changes_files(repo):
    invoke(repo, "bump", "patch", "--no-tag")

    assert git(repo, "log", "-1", "--format=%s") == "Release 0.1.1"
    assert git(repo, "tag", "--list") == ""

    head = git(repo, "rev-parse", "HEAD")
    invoke(repo, "bump", "minor", "--no-commit")

    assert (repo / "VERSION").read_text() == "0.2.0\n"
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "tag", "--list") == ""
    assert "M VERSION" in git(repo, "status", "--porcelain")


def test_a_workspace_without_git_still_bumps(tmp_path):
    project = bake(tmp_path / "out", git_init="no")

    result = invoke(project, "bump", "minor")

    assert (project / "VERSION").read_text() == "0.2.0\n"
    assert '__version__ = "0.2.0"' in (project / "functions/_version.py").read_text()
    assert "not a git repository" in result.stdout
    assert not (project / ".git").exists()


# -- changelog, manifests, deploy record ----------------------------------------------------


def test_the_unreleased_notes_move_under_the_new_version(repo):
    """The baked changelog follows Keep a Changelog: bracketed headings, notes by category."""
    changelog = repo / "CHANGELOG.md"
    header = changelog.read_text().split("## [Unreleased]")[0]
    assert "[Keep a Changelog](https://keepachangelog.com/en/1.1.0/)" in header
    changelog.write_text(
        f"{header}## [Unreleased]\n\n### Added\n\n- about.version.\n\n### Fixed\n\n"
        "- The greeting.\n\n## [0.1.0] - 2020-01-01\n\n### Added\n\n- First.\n"
    )
    # Notes written just before a bump need no commit of their own: the release takes them.

    invoke(repo, "bump", "patch")

    assert changelog.read_text() == (
        f"{header}## [Unreleased]\n\n"
        f"## [0.1.1] - {TODAY}\n\n### Added\n\n- about.version.\n\n### Fixed\n\n"
        "- The greeting.\n\n## [0.1.0] - 2020-01-01\n\n### Added\n\n- First.\n"
    )
    assert git(repo, "status", "--porcelain") == ""


def test_ui_component_manifest_versions_go_up_by_one(repo):
    gauge = (
        "{\n"
        '    "name": "gauge",\n'
        '    "version": "3",\n'
        '    "dependencies": {"version": "9"},\n'
        '    "main": "index.js"\n'
        "}\n"
    )
    write_manifest(repo, "components/gauge/manifest.json", gauge)
    write_manifest(repo, "components/charts/line/manifest.json", '{"version":"12","a":[1]}')
    web = write_manifest(repo, "public/manifest.json", '{"name": "app", "version": "1.0.0"}\n')
    vendored = write_manifest(repo, "node_modules/pkg/manifest.json", '{"version": "5"}\n')
    built = write_manifest(repo, "components/gauge/dist/manifest.json", '{"version": "3"}\n')
    commit_all(repo)
    untouched = {path: path.read_bytes() for path in (web, vendored, built)}

    invoke(repo, "bump", "patch")

    assert (repo / "components/gauge/manifest.json").read_text() == gauge.replace(
        '"version": "3"', '"version": "4"'
    )
    line = repo / "components/charts/line/manifest.json"
    assert line.read_text() == '{"version":"13","a":[1]}'
    assert json.loads(line.read_text())["version"] == "13"
    assert {path: path.read_bytes() for path in untouched} == untouched
    assert {
        "components/gauge/manifest.json",
        "components/charts/line/manifest.json",
    } <= released_files(repo)


def test_a_deploy_record_does_not_block_the_next_bump_and_is_committed(repo):
    record = repo / "deployments.json"
    invoke(repo, "bump", "patch")
    record.write_text(json.dumps({"deployments": [{"version": "0.1.1"}]}) + "\n")  # new file

    result = invoke(repo, "bump", "patch")

    assert "with deployments.json" in result.stdout
    assert "deployments.json" in released_files(repo)
    assert git(repo, "status", "--porcelain") == ""

    record.write_text(
        json.dumps({"deployments": [{"version": "0.1.1"}, {"version": "0.1.2"}]}) + "\n"
    )
    invoke(repo, "bump", "minor")

    assert "deployments.json" in released_files(repo)
    assert git(repo, "status", "--porcelain") == ""
    assert last_line(invoke(repo, "version")) == "0.2.0"


# -- with invoke deploy ----------------------------------------------------------------------

TOKEN = "T0kenT0kenT0kenT0kenT0kenT0ken12"


def version_in_bundle(archive: bytes, project: Path, folder: Path) -> str:
    """What `about.version` answers when ixoncdkingress runs the uploaded bundle."""
    zipfile.ZipFile(io.BytesIO(archive)).extractall(folder)
    script = (
        "import sys; from pathlib import Path; from ixon_devkit.testing import run as testing; "
        "print(testing.FunctionClient(Path(sys.argv[1]), {}).call('about.version'))"
    )
    python = SHARED_VENV / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    result = subprocess.run(
        [str(python), "-c", script, str(folder)],
        cwd=folder,  # the bundle's `functions`, the workspace's `devkit`
        env={**os.environ, "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@pytest.mark.slow
def test_bump_deploy_bump_deploy_needs_no_flags(repo, shared_venv, tmp_path):
    with StandIn(
        company_id="7966-5700-7008-0957-0300", template_id="RHQa2MEa0Dxg", token=TOKEN
    ) as api:
        point_workspace_at(repo, api)

        invoke(repo, "bump", "patch")
        invoke(repo, "deploy", "--keep-examples", IXON_API_ACCESS_TOKEN=TOKEN)
        again = invoke(repo, "deploy", "--keep-examples", check=False, IXON_API_ACCESS_TOKEN=TOKEN)
        invoke(repo, "bump", "minor")  # the deploy record changed: no --allow-dirty needed
        invoke(repo, "deploy", "--keep-examples", IXON_API_ACCESS_TOKEN=TOKEN)

    assert "invoke bump" in refused(again)
    assert len(api.uploads) == 2
    assert version_in_bundle(api.uploads[0], repo, tmp_path / "first") == "0.1.1"
    assert version_in_bundle(api.uploads[1], repo, tmp_path / "second") == "0.2.0"
    assert "deployments.json" in released_files(repo)  # the 0.1.1 deploy, released with 0.2.0


# -- the module itself -----------------------------------------------------------------------


version = workspace_module("ixon_devkit.ship.versioning")


def test_versions_compare_by_number():
    assert version.Version.parse("1.10.0") > version.Version.parse("1.9.9")
    assert version.Version.parse("2.0.0") > version.Version.parse("1.99.99")
    assert str(version.Version.parse(" 1.2.3\n")) == "1.2.3"


def test_a_changelog_without_unreleased_gets_both_sections_and_keeps_crlf():
    text = "# Changelog\r\n\r\n## 0.1.0 - 2020-01-01\r\n\r\n- First.\r\n"

    result = version.changelog_text(text, version.Version(0, 2, 0), date(2024, 5, 6))

    assert result == (
        "# Changelog\r\n\r\n## Unreleased\r\n\r\n## 0.2.0 - 2024-05-06\r\n\r\n"
        "- No notable changes.\r\n\r\n## 0.1.0 - 2020-01-01\r\n\r\n- First.\r\n"
    )


def slow_hook(project: Path) -> Path:
    """A pre-commit hook that says it started, then takes its time (like a slow linter)."""
    started = project.parent / "hook-started"
    hook = project / ".git" / "hooks" / "pre-commit"
    hook.write_text(f'#!/bin/sh\ntouch "{started}"\nsleep 30\n')
    hook.chmod(0o755)
    return started


def interrupted_bump(
    repo: Path, started: Path, signum: int, *, whole_group: bool, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `invoke bump patch` as a terminal's foreground job; once `started` exists, send
    `signum` to its whole group (Ctrl-C) or to invoke alone (`kill`); what it ended with."""
    process = subprocess.Popen(
        [sys.executable, "-m", "invoke", "bump", "patch"],
        cwd=repo,
        env=env or workspace_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group, as a terminal's foreground job
    )
    try:
        for _ in range(300):
            if started.exists() or process.poll() is not None:
                break
            time.sleep(0.05)
        assert started.exists(), "the moment to interrupt never came"
        if whole_group:
            os.killpg(process.pid, signum)
        else:
            os.kill(process.pid, signum)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 9)
            process.wait()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.mark.parametrize(
    ("signum", "whole_group"),
    [(2, True), (15, False)],  # Ctrl-C in a terminal (the whole group); SIGTERM to invoke
    ids=["ctrl-c", "sigterm"],
)
def test_a_signal_during_the_release_commit_puts_everything_back(repo, signum, whole_group):
    started = slow_hook(repo)
    before = files(repo)
    head = git(repo, "rev-parse", "HEAD")
    result = interrupted_bump(repo, started, signum, whole_group=whole_group)
    line = refused(result)
    assert "before Release 0.1.1 was committed: every file was put back" in line
    assert result.returncode == 128 + signum
    assert files(repo) == before
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "tag", "--list") == ""
    assert not (repo / ".git" / "index.lock").exists()

    (repo / ".git" / "hooks" / "pre-commit").unlink()
    invoke(repo, "bump", "patch")
    assert git(repo, "tag", "--list") == "v0.1.1"


def slow_head_git(bin_dir: Path, at_call: int) -> Path:
    """A `git` earlier on PATH that, on its `at_call`-th reading of HEAD (`rev-parse --verify
    --quiet HEAD^{commit}`, what bump asks before and after its commit), says so and sleeps
    before running the real git: the moment to press Ctrl-C."""
    real = subprocess.run(["which", "git"], capture_output=True, text=True, check=True)
    bin_dir.mkdir(parents=True, exist_ok=True)
    count, started = bin_dir / "head-reads", bin_dir / "slow-head-started"
    wrapper = bin_dir / "git"
    wrapper.write_text(
        "#!/bin/sh\n"
        'if [ "$1 $2 $3 $4" = "rev-parse --verify --quiet HEAD^{commit}" ]; then\n'
        f'  echo x >> "{count}"\n'
        f'  if [ "$(wc -l < "{count}")" -eq {at_call} ]; then touch "{started}"; sleep 3; fi\n'
        "fi\n"
        f'exec "{real.stdout.strip()}" "$@"\n'
    )
    wrapper.chmod(0o755)
    return started


@pytest.mark.parametrize(
    ("at_call", "finished"),
    [(1, False), (2, True)],
    ids=["reading-head-before-the-commit", "reading-head-after-the-commit"],
)
def test_ctrl_c_while_git_reads_head_ends_fully_old_or_fully_new(repo, tmp_path, at_call, finished):
    started = slow_head_git(tmp_path / "bin", at_call)
    before = files(repo)
    head = git(repo, "rev-parse", "HEAD")
    env = workspace_env(PATH=f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    result = interrupted_bump(repo, started, 2, whole_group=True, env=env)  # Ctrl-C
    out, err = result.stdout, result.stderr

    assert "Traceback" not in out + err
    assert git(repo, "status", "--porcelain") == ""
    assert not (repo / ".git" / "index.lock").exists()
    if finished:  # the commit was made: the release is finished, tag included
        assert result.returncode == 0, err
        assert 'Committed "Release 0.1.1" and tagged v0.1.1' in out
        assert "Ctrl-C came after the release was committed" in out
        assert git(repo, "rev-parse", "HEAD") != head
        assert git(repo, "rev-parse", "v0.1.1^{commit}") == git(repo, "rev-parse", "HEAD")
        assert (repo / "VERSION").read_text().strip() == "0.1.1"
    else:  # nothing was committed: everything as it was, and it says so
        assert "every file was put back" in refused(result)
        assert result.returncode == 130
        assert files(repo) == before
        assert git(repo, "rev-parse", "HEAD") == head
        assert git(repo, "tag", "--list") == ""
