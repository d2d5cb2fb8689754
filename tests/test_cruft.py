"""Workspaces made with cruft stay linked to the template and take its later versions.

The template's working tree is copied into a real git repository in a temporary folder with
two commits: the copy as it is, then a later change. Workspaces are made from either commit
with `cruft create`, checked with `cruft check` and brought up to date with `cruft update`,
all run as a user runs them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import (
    TEMPLATE,
    check_snapshot_missed_nothing,
    invoke,
    snapshot_environment,
    workspace_env,
)

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


def git_copy(repo: Path) -> str:
    """Copy the template's working tree into a new git repository at `repo`, committed as it
    is; that commit."""
    for relative in template_files():
        target = repo / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(TEMPLATE / relative, target)
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "The template as it is")
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A git copy of the template: commit `older` as it is, then `newer` with a change."""
    repo = tmp_path_factory.mktemp("template") / "ixon-template"
    older = git_copy(repo)
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
    template_repo, tmp_path, shared_venv
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
    # (in the shared environment: a first task elsewhere sets up .venv, which is not the point)
    version = invoke(moved, "version")
    assert version.stdout.strip() == "0.1.0", version.stderr
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


#: The releases a workspace moves to the package layout from (the template's commits): 1.0.0,
#: whose `tasks.py` was the template's with every task in it; 2.0.0, with the thin `tasks.py`
#: and `devkit/` in the workspace; the last main before the package (locks, requirements*.in).
RELEASES = {"1.0.0": "ae1b876", "2.0.0": "a95fb13", "pre-package": "058c2bb"}
OLD_USER_TASK = '''

@task
def hello(c, who="world"):
    """Say hello (a task of my own)."""
    print(f"hello {who} from {ROOT.name}")  # ROOT: the old header's
'''
USER_TASK = '''@user_task
def hello(c, who="world"):
    """Say hello (a task of my own)."""
    print(f"hello {who} from {ROOT.name}")  # ROOT: the old header's


namespace.add_task(hello)

ns = namespace
'''
USER_FUNCTION = '''"""A function of my own."""

from ixoncdkingress.function.context import FunctionContext


@FunctionContext.expose
def pump_status(context: FunctionContext) -> dict[str, str]:
    return {"pump": "running"}
'''
USER_TEST = """from functions import pump


def test_my_pump_runs(function_context):
    assert pump.pump_status(function_context) == {"pump": "running"}
"""
#: Requirements of the user's that the locks already hold (through docker, through pip-audit),
#: so that locking again resolves nothing new: one for IXON Cloud, one for development.
USER_REQUIREMENT = "requests==2.31.0"
USER_DEV_REQUIREMENT = "rich==15.0.0"


@pytest.fixture(scope="module")
def release_repo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A git repository of the template: each old release, then the template as it is now."""
    repo = tmp_path_factory.mktemp("releases") / "ixon-template"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    made: dict[str, object] = {"path": repo}
    for release, commit in RELEASES.items():
        archive = subprocess.run(
            ["git", "archive", "--format=tar", commit], cwd=TEMPLATE, capture_output=True
        )
        if archive.returncode != 0:
            pytest.fail(f"the template's git history ({commit}) is needed: {archive.stderr!r}")
        if release != "1.0.0":
            git(repo, "rm", "-r", "--quiet", ".")
        subprocess.run(["tar", "-x"], cwd=repo, input=archive.stdout, check=True)
        git(repo, "add", "--all")
        git(repo, "commit", "--quiet", "-m", f"Release {release}")
        made[release] = git(repo, "rev-parse", "HEAD")
    git(repo, "rm", "-r", "--quiet", ".")
    for relative in template_files():
        target = repo / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(TEMPLATE / relative, target)
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "The template as it is")
    made["now"] = git(repo, "rev-parse", "HEAD")
    return made


#: A change of the user's to the first line of tasks.py, which the template changes too.
OWN_HEADER = '"""The pump monitor\'s tasks: `invoke --list` lists them.'


def old_workspace(
    release_repo: dict[str, object],
    release: str,
    output: Path,
    *,
    header: bool = False,
    start: bool = True,
) -> Path:
    """A workspace made with `cruft create` at `release`, with a task, a function, its test and
    a requirement of the user's (and, with `header`, a change to tasks.py's first line),
    committed."""
    output.mkdir()
    cruft(output, "create", "--no-input", "--checkout", release_repo[release], release_repo["path"])
    project = output / "my-cloud-function"
    git(project, "init", "--quiet")
    if start:
        # committed as made first, as the next steps say: git then has the template's version
        # of each file, and cruft update merges three ways (conflict markers); without it
        # cruft applies what it can and leaves the rest as .rej files
        git(project, "add", "--all")
        git(project, "commit", "--quiet", "-m", "Start")
    tasks = project / "tasks.py"
    text = tasks.read_text(encoding="utf-8")
    if header:
        text = OWN_HEADER + text[text.index("\n") :]
    if "ns = namespace\n" in text:  # the thin tasks.py of 2.0.0 on
        tasks.write_text(text.replace("ns = namespace\n", USER_TASK), encoding="utf-8")
    else:
        tasks.write_text(text + OLD_USER_TASK, encoding="utf-8")
    (project / "functions" / "pump.py").write_text(USER_FUNCTION, encoding="utf-8")
    (project / "tests" / "test_pump.py").write_text(USER_TEST, encoding="utf-8")
    locks = not (project / "requirements.in").is_file()  # before the locks: written by hand
    for name, requirement in (
        ("requirements", USER_REQUIREMENT),
        ("requirements-dev", USER_DEV_REQUIREMENT),
    ):
        with (project / f"{name}.{'txt' if locks else 'in'}").open("a", encoding="utf-8") as handle:
            handle.write(f"{requirement}\n")
    if not locks:  # locked as that release's README says
        invoke(project, "lock", **snapshot_environment())
        check_snapshot_missed_nothing()
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "Work of my own")
    return project


@pytest.mark.parametrize(
    ("release", "header", "start"),
    [
        ("1.0.0", False, True),
        ("1.0.0", False, False),
        ("2.0.0", False, True),
        ("pre-package", False, True),
        ("pre-package", True, True),
    ],
    ids=["1.0.0", "1.0.0-rejected", "2.0.0", "pre-package", "pre-package-own-header"],
)
def test_a_workspace_of_an_old_release_moves_to_the_package_with_cruft_update_and_upgrade(
    release_repo, release, header, start, tmp_path, shared_venv
):
    project = old_workspace(release_repo, release, tmp_path / "made", header=header, start=start)
    assert (project / "devkit").is_dir()

    cruft(project, "update", "-y", "--checkout", release_repo["now"])
    tried = invoke(project, "upgrade", check=False)

    if release == "1.0.0" or header:
        # cruft could not merge the two tasks.py: the old one stays beside tasks.py.rej (it
        # imports devkit, which is gone), or it has conflict markers (no Python)
        old = (project / "tasks.py").read_text(encoding="utf-8")
        assert (project / "tasks.py.rej").is_file() if not start else "<<<<<<<" in old
        assert tried.returncode != 0
        assert "No module named 'devkit'" in tried.stderr or "SyntaxError" in tried.stderr
        upgraded = subprocess.run(
            [sys.executable, "-m", "bootstrap", "upgrade"],
            cwd=project,
            env=workspace_env(**snapshot_environment()),
            capture_output=True,
            text=True,
            timeout=600,
        )
        check_snapshot_missed_nothing()
    else:
        upgraded = tried
    said = upgraded.stdout + upgraded.stderr
    assert upgraded.returncode == 0, said
    assert "Next: invoke --list, invoke test" in upgraded.stdout
    if release == "1.0.0":
        assert "Moved your task `hello` into the new tasks.py" in upgraded.stdout
    elif not header:  # cruft merged tasks.py, but the new one defines no ROOT
        assert "from the old one's header: Path, ROOT" in upgraded.stdout
    if header:  # not carried, and said: the old file is kept
        assert "Left out your change to the module docstring of tasks.py" in upgraded.stdout
        assert OWN_HEADER in (project / "tasks.py.before-3.0").read_text(encoding="utf-8")
    else:  # everything carried: no old file to look at
        assert not (project / "tasks.py.before-3.0").exists(), said
    assert not (project / "devkit").exists()
    assert not list(project.glob("*.rej")), said
    assert "ixon-devkit==" in (project / "requirements-dev.in").read_text(encoding="utf-8")
    assert USER_REQUIREMENT in (project / "requirements.in").read_text(encoding="utf-8")
    assert USER_DEV_REQUIREMENT in (project / "requirements-dev.in").read_text(encoding="utf-8")
    for name in ("requirements.txt", "requirements-dev.txt"):
        assert USER_REQUIREMENT in (project / name).read_text(encoding="utf-8"), name
    assert USER_DEV_REQUIREMENT in (project / "requirements-dev.txt").read_text(encoding="utf-8")
    assert "Locked again: " in upgraded.stdout
    development = (project / "requirements-dev.txt").read_text(encoding="utf-8")
    pinned = re.search(r"^ixon-devkit==\S+ \\\n\s+--hash=sha256:[0-9a-f]{64}", development, re.M)
    assert pinned, development
    tasks = (project / "tasks.py").read_text(encoding="utf-8")
    assert "from ixon_devkit.tasks import namespace" in tasks
    assert not re.search(r"^(from|import) devkit\b", tasks, re.M)
    assert tasks.index("namespace.add_task(hello)") > tasks.index("from ixon_devkit.tasks")
    assert (project / "functions" / "pump.py").read_text(encoding="utf-8") == USER_FUNCTION
    assert (project / "tests" / "test_pump.py").read_text(encoding="utf-8") == USER_TEST

    listed = invoke(project, "--list")
    names = {line.split()[0] for line in listed.stdout.splitlines()[1:] if line.strip()}
    assert {"hello", "setup", "test", "serve", "deploy", "upgrade"} <= names
    assert invoke(project, "hello", "--who", "team").stdout == "hello team from my-cloud-function\n"
    tested = invoke(project, "test", "--verbose")
    assert "test_my_pump_runs PASSED" in tested.stdout, tested.stdout
    again = invoke(project, "upgrade")
    assert "nothing to do" in again.stdout
