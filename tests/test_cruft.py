"""Workspaces made with cruft stay linked to the template and take its later versions.

The template's working tree is copied into a real git repository in a temporary folder with
two commits: the copy as it is, then a later change. Workspaces are made from either commit
with `cruft create`, checked with `cruft check` and brought up to date with `cruft update`,
all run as a user runs them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TEMPLATE

#: Folders of the template's working tree that are not the template.
#: Whole template copies in git, cruft and its git runs: the end-to-end tier.
pytestmark = pytest.mark.e2e

NOT_TEMPLATE = {".git", ".bake", ".ci", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache"}
LATER_LINE = "- **A later template version**: this line came with `cruft update`."
LATER_FILE = "NOTICE.md"
IDENTITY = ["-c", "user.name=Template Test", "-c", "user.email=test@localhost"]


def git(cwd: Path, *arguments: str) -> str:
    result = subprocess.run(
        ["git", *IDENTITY, *arguments], cwd=cwd, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def cruft(cwd: Path, *arguments: object, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "cruft", *map(str, arguments)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"cruft {arguments} failed:\n{result.stdout}{result.stderr}")
    return result


def template_files() -> list[Path]:
    """The template's files as git sees them (tracked and new), relative to TEMPLATE."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=TEMPLATE,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\0")
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: walk it
        listed = [str(path.relative_to(TEMPLATE)) for path in TEMPLATE.rglob("*")]
    files = {Path(name) for name in listed if name}
    return sorted(
        path
        for path in files
        if not NOT_TEMPLATE.intersection(path.parts) and (TEMPLATE / path).is_file()
    )


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A git copy of the template: commit `older` as it is, then `newer` with a change."""
    repo = tmp_path_factory.mktemp("template") / "ixon-template"
    for relative in template_files():
        target = repo / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(TEMPLATE / relative, target)
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "The template as it is")
    older = git(repo, "rev-parse", "HEAD")
    workspace = repo / "{{cookiecutter.function_slug}}"
    readme = workspace / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + LATER_LINE + "\n", encoding="utf-8")
    (workspace / LATER_FILE).write_text("Made for {{ cookiecutter.function_name }}.\n")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "A later template version")
    return {"path": repo, "older": older, "newer": git(repo, "rev-parse", "HEAD")}


def create(template_repo: dict[str, object], output: Path, *options: str) -> Path:
    output.mkdir()
    context = json.dumps({"function_name": "Pump Monitor", "ci": "gitlab"})
    cruft(
        output, "create", "--no-input", "--extra-context", context, *options, template_repo["path"]
    )
    return output / "pump-monitor"


def test_a_fresh_workspace_passes_cruft_check(template_repo, tmp_path):
    project = create(template_repo, tmp_path / "fresh")

    result = cruft(project, "check")

    assert "up to date" in result.stdout
    origin = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    assert origin["commit"] == template_repo["newer"]
    assert origin["template"] == str(template_repo["path"])
    answers = origin["context"]["cookiecutter"]
    assert (answers["function_name"], answers["ci"]) == ("Pump Monitor", "gitlab")
    assert (project / ".gitlab-ci.yml").is_file() and not (project / ".github").exists()


def test_cruft_alone_writes_the_origin_and_no_git_repository_is_made(template_repo, tmp_path):
    """The hook leaves both to cruft, which writes .cruft.json after it, and to the user, whom
    the next steps tell how to make the git repository that bump, deploy and cruft need."""
    (tmp_path / "fresh").mkdir()
    made = cruft(tmp_path / "fresh", "create", "--no-input", template_repo["path"])
    project = tmp_path / "fresh" / "my-cloud-function"

    assert not (project / ".git").exists()
    assert "  git init && git add --all && git commit -m " in made.stdout
    origin = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    assert origin["context"]["cookiecutter"]["_commit"] == template_repo["newer"]


def test_an_older_workspace_fails_cruft_check_then_updates(template_repo, tmp_path):
    project = create(template_repo, tmp_path / "older", "--checkout", template_repo["older"])
    assert LATER_LINE not in (project / "README.md").read_text(encoding="utf-8")
    git(project, "init", "--quiet")
    example = project / "functions" / "example.py"
    example.write_text(example.read_text(encoding="utf-8") + "\n# my own change\n")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "My workspace")

    stale = cruft(project, "check", check=False)
    assert stale.returncode != 0
    assert "out of date" in stale.stdout

    differences = cruft(project, "diff")
    updated = cruft(project, "update", "-y")

    # The template rendered for the comparison is no workspace to be told about.
    for said in (differences, updated):
        assert "is ready" not in said.stdout and "git init" not in said.stdout, said.stdout
    assert "+# my own change" not in differences.stdout and "-# my own change" in differences.stdout
    assert LATER_LINE in (project / "README.md").read_text(encoding="utf-8")
    assert (project / LATER_FILE).read_text() == "Made for Pump Monitor.\n"
    assert example.read_text(encoding="utf-8").endswith("# my own change\n")
    origin = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    assert origin["commit"] == template_repo["newer"]
    assert "up to date" in cruft(project, "check").stdout


def test_a_plain_cookiecutter_bake_from_a_local_clone_passes_cruft_check(template_repo):
    """The hook records a nearby local template relative to the workspace, never absolute."""
    output = Path(template_repo["path"]).parent / "plain"  # baked beside the clone
    output.mkdir()
    subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", str(template_repo["path"])],
        cwd=output,
        check=True,
        capture_output=True,
    )
    project = output / "my-cloud-function"

    origin = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    assert origin["template"] == "../../ixon-template"
    assert str(output) not in json.dumps(origin)
    assert "up to date" in cruft(project, "check").stdout


def test_the_readme_bake_from_inside_the_clone_records_it_for_cruft(template_repo):
    """`cookiecutter --no-input . -o ..` run in the clone, as the README's first line does."""
    clone = Path(template_repo["path"])
    # A shell exports PWD; the hook runs inside the new workspace and needs it to resolve "."
    env = {**os.environ, "PWD": str(clone)}
    result = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", ".", "-o", "..",
         "function_name=Readme Demo"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    project = clone.parent / "readme-demo"

    origin = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    assert origin["template"] == "../ixon-template"
    assert origin["commit"] == template_repo["newer"]
    assert "cd ../readme-demo" in result.stdout
    assert "up to date" in cruft(project, "check").stdout


def test_the_readme_bake_without_pwd_still_records_the_template(template_repo):
    """cmd.exe and PowerShell set no PWD: the hook must find the template all the same."""
    clone = Path(template_repo["path"])
    env = {key: value for key, value in os.environ.items() if key != "PWD"}
    subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", ".", "-o", "..",
         "function_name=No Pwd Demo"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    project = clone.parent / "no-pwd-demo"

    origin = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    assert origin["template"] == "../ixon-template"
    assert origin["commit"] == template_repo["newer"]
    assert "up to date" in cruft(project, "check").stdout


def test_a_bake_from_a_file_url_and_then_by_bare_name_records_the_url(template_repo, tmp_path):
    """cookiecutter clones a file:// URL into its cache; a bare name later finds that clone.
    Both record the URL (cruft clones it), never the cache folder."""
    config = tmp_path / "cookiecutterrc.yaml"
    config.write_text(
        f"cookiecutters_dir: {tmp_path / 'cache'}\nreplay_dir: {tmp_path / 'replay'}\n"
    )
    url = Path(template_repo["path"]).as_uri()
    baked = {}
    # cookiecutter needs `git+` to know a file:// URL is a git repository (it clones without it).
    for given, name in ((f"git+{url}", "From Url"), ("ixon-template", "By Name")):
        output = tmp_path / name.replace(" ", "-")
        output.mkdir()
        subprocess.run(
            [sys.executable, "-m", "cookiecutter", "--no-input", "--config-file", str(config),
             given, f"function_name={name}"],
            cwd=output,
            capture_output=True,
            text=True,
            check=True,
        )  # fmt: skip
        baked[given] = output / name.lower().replace(" ", "-")

    for project in baked.values():
        origin = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
        assert origin["template"] == url
        assert origin["commit"] == template_repo["newer"]
        assert "up to date" in cruft(project, "check").stdout


def test_a_moved_workspace_keeps_working_and_the_readme_says_how_to_relink_cruft(
    template_repo, tmp_path
):
    output = Path(template_repo["path"]).parent / "to-move"
    output.mkdir()
    subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", str(template_repo["path"]),
         "function_name=Moved Demo"],
        cwd=output,
        check=True,
        capture_output=True,
    )  # fmt: skip
    moved = tmp_path / "somewhere" / "else" / "moved-demo"
    moved.parent.mkdir(parents=True)
    shutil.move(output / "moved-demo", moved)

    # What the README promises keeps working: the tasks that read only the workspace.
    version = subprocess.run(
        [sys.executable, "-m", "invoke", "version"], cwd=moved, capture_output=True, text=True
    )
    assert version.returncode == 0 and version.stdout.strip() == "0.1.0", version.stderr
    # The relative template path no longer holds: cruft check fails, as the README says...
    assert cruft(moved, "check", check=False).returncode != 0
    readme = (moved / "README.md").read_text(encoding="utf-8")
    assert "**Moving the workspace**" in readme
    assert "`file:///path/to/clone`" in readme
    # ...and the README's remedy (the template's URL) links it again, wherever it goes.
    origin_path = moved / ".cruft.json"
    origin = json.loads(origin_path.read_text(encoding="utf-8"))
    origin["template"] = Path(template_repo["path"]).as_uri()
    origin_path.write_text(json.dumps(origin, indent=2) + "\n", encoding="utf-8")
    assert "up to date" in cruft(moved, "check").stdout


#: The template's first release: its `tasks.py` was the template's, with every task in it.
FIRST_RELEASE = "ae1b876"
USER_TASK = '''

@task
def hello(c, who="world"):
    """Say hello (a task of my own)."""
    print(f"hello {who}")
'''


@pytest.fixture(scope="module")
def release_repo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A git repository of the template: its first release, then the template as it is now."""
    repo = tmp_path_factory.mktemp("releases") / "ixon-template"
    repo.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", FIRST_RELEASE], cwd=TEMPLATE, capture_output=True
    )
    if archive.returncode != 0:
        pytest.fail(f"the template's git history ({FIRST_RELEASE}) is needed: {archive.stderr!r}")
    subprocess.run(["tar", "-x"], cwd=repo, input=archive.stdout, check=True)
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "The first release")
    first = git(repo, "rev-parse", "HEAD")
    git(repo, "rm", "-r", "--quiet", ".")
    for relative in template_files():
        target = repo / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(TEMPLATE / relative, target)
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "The template as it is")
    return {"path": repo, "first": first, "now": git(repo, "rev-parse", "HEAD")}


def run(project: Path, *command: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("IXON_")}
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)


def test_a_first_release_workspace_with_a_task_of_its_own_upgrades_after_cruft_update(
    release_repo, tmp_path
):
    made = tmp_path / "made"
    made.mkdir()
    cruft(made, "create", "--no-input", "--checkout", release_repo["first"], release_repo["path"])
    project = made / "my-cloud-function"
    tasks = project / "tasks.py"
    tasks.write_text(tasks.read_text(encoding="utf-8") + USER_TASK, encoding="utf-8")
    mine = tasks.read_text(encoding="utf-8")
    git(project, "init", "--quiet")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "My workspace with a task of my own")

    cruft(project, "update", "-y", "--checkout", release_repo["now"])

    assert (project / "tasks.py.rej").is_file()  # cruft could not merge the two tasks.py
    for command in (["--list"], ["version"], ["hello"]):
        stopped = run(project, sys.executable, "-m", "invoke", *command)
        output = (stopped.stdout + stopped.stderr).strip()
        assert stopped.returncode == 1, output
        assert len(output.splitlines()) == 1, output
        assert output.startswith("ERROR: tasks.py is from a template release before 2.0.0")
        assert (
            "`python3 -m ixon_devkit.workspace.upgrade`" in output
            and "Upgrading to 2.0.0" in output
        )

    upgraded = run(project, sys.executable, "-m", "ixon_devkit.workspace.upgrade")

    assert upgraded.returncode == 0, upgraded.stderr
    assert "Moved your task `hello` into the new tasks.py" in upgraded.stdout
    assert (project / "tasks.py.before-2.0").read_text(encoding="utf-8") == mine
    assert not (project / "tasks.py.rej").exists()
    listed = run(project, sys.executable, "-m", "invoke", "--list")
    assert listed.returncode == 0, listed.stderr
    names = {line.split()[0] for line in listed.stdout.splitlines()[1:] if line.strip()}
    assert {"hello", "setup", "test", "serve", "deploy", "adopt", "doctor"} <= names
    said = run(project, sys.executable, "-m", "invoke", "hello", "--who", "team")
    assert (said.returncode, said.stdout) == (0, "hello team\n")
    assert run(project, sys.executable, "-m", "invoke", "version").stdout.strip() == "0.1.0"
