"""Baking the template: every option combination, adversarial and bad answers, real tasks."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import DEVKIT_DIST, TEMPLATE, bake, invoke, workspace_env

#: The choice questions of cookiecutter.json (a list of answers, the first the default).
OPTIONS = {
    name: value
    for name, value in json.loads((TEMPLATE / "cookiecutter.json").read_text()).items()
    if isinstance(value, list) and not name.startswith("_")
}
#: `git_init` runs git on what was rendered and changes nothing of it: every combination of the
#: other options is rendered without it, and each CI choice once with it too.
AFTER_RENDERING = {"git_init": "yes"}
_RENDERED = {name: values for name, values in OPTIONS.items() if name not in AFTER_RENDERING}
COMBINATIONS = [
    {**dict(zip(_RENDERED, values, strict=True)), "git_init": "no"}
    for values in itertools.product(*_RENDERED.values())
] + [
    {**{name: values[0] for name, values in _RENDERED.items()}, "ci": ci, **AFTER_RENDERING}
    for ci in OPTIONS["ci"]
]
#: The combinations whose own `invoke test` and `invoke lint` run: every default, every last
#: choice, and one between (of every option, `git_init` too).
_EVERY = [dict(zip(OPTIONS, v, strict=True)) for v in itertools.product(*OPTIONS.values())]
RUN = [_EVERY[0], _EVERY[len(_EVERY) // 2], _EVERY[-1]]
#: Folders of tools and state, not generated files (`.devkit/` holds the tooling's wheel).
CACHES = {".git", ".venv", ".devkit", ".ruff_cache", ".pytest_cache", "__pycache__"}
TRICKY = 'Zoë O\'Brien "Q" \\'


def generated_files(project: Path) -> list[Path]:
    return [
        path
        for path in project.rglob("*")
        if path.is_file() and not CACHES.intersection(path.parts)
    ]


#: The Python sources seen to compile, by content: devkit is the same in every combination, so
#: each distinct file is compiled once a session.
_COMPILED: set[str] = set()


def assert_well_formed(project: Path) -> None:
    """No Jinja left behind, and every Python, TOML, YAML and JSON file parses."""
    for path in generated_files(project):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\{\{\s*cookiecutter|\{%", text), path
        if path.suffix == ".py" and text not in _COMPILED:
            compile(text, str(path), "exec")
            _COMPILED.add(text)
        elif path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            yaml.safe_load(text)
        elif path.suffix == ".json":
            json.loads(text)


def anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to -."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


#: The manual, which travels with the tooling package (`invoke docs TOPIC` prints a page).
MANUAL = TEMPLATE / "devkit" / "src" / "ixon_devkit" / "docs"


def assert_readme_guides(project: Path) -> None:
    """The README is a short start that names every page of the manual (`invoke docs TOPIC`),
    the workspace has no docs/ of its own, and every relative link of the README and the
    manual's pages reaches a file and, with a #, a heading in it (tests/test_pointers.py checks
    the `invoke docs` pointers themselves)."""
    readme = project / "README.md"
    pages = sorted(MANUAL.glob("*.md"))
    assert len(readme.read_text(encoding="utf-8").splitlines()) < 300
    assert len(pages) >= 7
    assert not (project / "docs").exists()
    for source in (readme, *pages):
        text = source.read_text(encoding="utf-8")
        assert not re.search(r"\{\{\s*cookiecutter|\{%", text), source  # the manual is not rendered
        for target in re.findall(r"\]\(([^)#:]*)(?:#([^)]*))?\)", text):
            path = (source.parent / target[0]).resolve() if target[0] else source
            assert path.is_file(), (source.name, target)
            if target[1]:
                headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.M)
                assert target[1] in {anchor(heading) for heading in headings}, (source, target)
    named = set(re.findall(r"`invoke docs ([a-z][\w-]*)", readme.read_text(encoding="utf-8")))
    assert named == {page.stem for page in pages}
    runtime = (MANUAL / "runtime.md").read_text(encoding="utf-8")
    for limit in ("DocumentDBClient", "upsert", "filter_map", "count_documents", "ObjectId"):
        assert limit in runtime


def git(project: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", *arguments], cwd=project, capture_output=True, text=True, check=True
    ).stdout


def _name(answers: dict[str, str]) -> str:
    return "-".join(answers.values())


@pytest.mark.parametrize("answers", COMBINATIONS, ids=_name)
def test_every_combination_renders_a_well_formed_workspace(tmp_path, answers):
    project = bake(tmp_path, **answers)

    assert project.name == "my-cloud-function"
    assert_well_formed(project)
    assert_readme_guides(project)
    assert (project / ".github").exists() is (answers["ci"] == "github")
    assert (project / ".gitlab-ci.yml").exists() is (answers["ci"] == "gitlab")
    assert (project / ".devcontainer").exists() is (answers["devcontainer"] == "yes")
    assert (project / "functions" / "assistant.py").exists() is (answers["examples"] == "yes")
    # Only the examples call the IXON API: without them, nothing is asked of IXON to grant.
    granted = json.loads((project / "workspace.json").read_text(encoding="utf-8"))["api_access"]
    assert granted == (["AgentList"] if answers["examples"] == "yes" else [])
    if answers["git_init"] == "yes":
        assert git(project, "log", "--format=%s").strip()
        assert git(project, "status", "--porcelain") == ""
    else:
        assert not (project / ".git").exists()


@pytest.mark.parametrize("answers", RUN, ids=_name)
def test_some_combinations_pass_their_own_checks(tmp_path, shared_venv, answers):
    project = bake(tmp_path, **answers)

    tested = invoke(project, "test").stdout
    if answers.get("examples", "yes") == "yes":
        assert "passed" in tested
    else:
        assert "No tests yet" in tested
    invoke(project, "lint")


def test_tool_caches_in_the_template_folder_do_not_break_baking(tmp_path, shared_venv):
    cache = TEMPLATE / "{{cookiecutter.function_slug}}" / "functions" / "__pycache__"
    created = not cache.exists()
    cache.mkdir(exist_ok=True)
    stray = cache / "stray-test-file.pyc"
    stray.write_bytes(b"\x8e\xff binary")
    try:
        project = bake(tmp_path, fresh=True)
    finally:
        stray.unlink()
        if created:
            cache.rmdir()

    assert not (project / "functions" / "__pycache__").exists()


def test_requirements_are_pinned_and_carry_ixoncdkingress(default_workspace):
    lines = [
        line.split("#")[0].strip()
        for line in (default_workspace / "requirements.txt").read_text().splitlines()
    ]
    requirements = [line for line in lines if line]

    assert "ixoncdkingress==1.0.0" in requirements
    assert all("==" in line for line in requirements)
    declared = (default_workspace / "requirements-dev.in").read_text().splitlines()
    assert declared[3:5] == [
        "-r requirements.in",
        "-c requirements.txt    # the same versions as the production lock",
    ]


def test_answers_are_recorded_for_updates_without_local_paths(tmp_path, shared_venv):
    project = bake(tmp_path, company_id="7966-5700-7008-0957-0300", template_id="RHQa2MEa0Dxg")

    origin = json.loads((project / ".cruft.json").read_text())
    recorded = json.dumps(origin)

    assert origin["context"]["cookiecutter"]["company_id"] == "7966-5700-7008-0957-0300"
    assert origin["commit"]
    assert str(tmp_path) not in recorded and str(TEMPLATE) not in recorded
    settings = json.loads((project / "workspace.json").read_text())
    assert settings["template_id"] == "RHQa2MEa0Dxg"
    assert "IXON_API_COMPANY_ID=7966-5700-7008-0957-0300" in (project / ".env.example").read_text()


def test_adversarial_free_text_bakes_into_a_working_workspace(tmp_path, shared_venv):
    project = bake(tmp_path / "with space", function_name=TRICKY, description=TRICKY, author=TRICKY)

    assert project.name == "zoe-o-brien-q"
    assert_well_formed(project)
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(f"# {TRICKY}\n\n{TRICKY}\n\nMaintained by {TRICKY}. ")
    assert json.loads((project / "workspace.json").read_text())["function_name"] == TRICKY
    assert (
        json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]["author"]
        == TRICKY
    )
    invoke(project, "test")
    invoke(project, "lint")


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        ("function_slug=../evil", "function_slug"),
        ("function_slug=a/b", "function_slug"),
        ("function_slug=my function", "function_slug"),
        ("function_slug=MyFunction", "function_slug"),
        ("company_id=1234", "company_id"),
        ("template_id=short", "template_id"),
        ("version=1.0", "version"),
        ("version=one", "version"),
    ],
)
def test_bad_answers_are_refused_before_anything_is_written(tmp_path, answer, field):
    result = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", str(TEMPLATE), answer],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )

    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1 and errors[0].startswith(f"ERROR: {field} "), result.stderr
    assert "Traceback" not in result.stderr
    # cookiecutter makes the folders of a slug with a slash before the hook can refuse it and
    # only removes the innermost one: an empty `a/` may stay, but never a file.
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []
    if "/" not in answer:
        assert list(tmp_path.iterdir()) == []
    assert not (tmp_path.parent / "evil").exists()


def test_invoke_list_shows_every_task_with_help(default_workspace):
    listing = invoke(default_workspace, "--list").stdout
    # a task's line starts two spaces in; a wrapped help line continues further in
    tasks = [
        line.split(None, 1)
        for line in listing.splitlines()
        if line[:3].strip() and line[:2] == "  "
    ]

    names = {task[0] for task in tasks}
    assert {"setup", "test", "lint", "format"} <= names
    assert all(len(task) == 2 for task in tasks), listing


@pytest.mark.e2e  # installs a workspace environment of its own
def test_a_fresh_workspace_sets_itself_up_once(tmp_path):
    """`invoke test` alone creates .venv with Python 3.12; a second setup installs nothing."""
    project = bake(tmp_path / "with space")

    first = invoke(project, "test", timeout=900, IXON_VENV=None)
    assert "Setting up" in first.stderr and "passed" in first.stdout
    version = subprocess.run(
        [str(project / ".venv" / "bin" / "python"), "--version"], capture_output=True, text=True
    )
    assert version.stdout.startswith("Python 3.12")

    again = invoke(project, "setup", IXON_VENV=None)
    assert "Syncing" not in again.stdout

    with (project / "requirements-dev.txt").open("a") as requirements:
        requirements.write("# a changed requirement file makes the environment stale\n")
    stale = invoke(project, "setup", timeout=900, IXON_VENV=None)
    assert "Syncing" in stale.stdout


def test_tasks_also_run_from_the_activated_environment(default_workspace, shared_venv):
    python = shared_venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

    result = subprocess.run(
        [str(python), "-m", "invoke", "test"],
        cwd=default_workspace,
        env=workspace_env(VIRTUAL_ENV=str(shared_venv)),
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed" in result.stdout


def test_no_python_312_is_one_clear_error(tmp_path):
    project = bake(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()

    result = invoke(
        project,
        "test",
        check=False,
        IXON_VENV=str(tmp_path / "venv"),
        PYENV_ROOT=str(empty),
        HOME=str(empty),
        IXON_INSTALLER="pip",
        PATH=os.path.dirname(sys.executable) + os.pathsep + "/usr/bin:/bin",
    )

    assert result.returncode != 0
    assert result.stderr.strip().startswith("ERROR: no Python 3.12 found")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "venv").exists()


def test_an_environment_folder_that_is_no_environment_is_left_alone(tmp_path):
    project = bake(tmp_path)
    folder = tmp_path / "my-documents"
    folder.mkdir()
    (folder / "thesis.txt").write_text("keep me")

    result = invoke(project, "setup", check=False, IXON_VENV=str(folder))

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"ERROR: {folder} is a folder that is not a virtual environment: move it away, or set "
        "IXON_VENV to a new folder or an existing environment"
    ]
    assert sorted(path.name for path in folder.iterdir()) == ["thesis.txt"]


def test_a_wrong_interpreter_override_is_refused(tmp_path):
    project = bake(tmp_path)

    result = invoke(
        project, "setup", check=False, IXON_VENV=str(tmp_path / "venv"), IXON_PYTHON=sys.executable
    )

    assert result.returncode != 0
    assert "IXON_PYTHON" in result.stderr and "not 3.12" in result.stderr
    missing = invoke(
        project, "setup", check=False, IXON_VENV=str(tmp_path / "venv"), IXON_PYTHON="/nowhere"
    )
    assert missing.stderr.strip() == (
        "ERROR: IXON_PYTHON=/nowhere does not run: point it at a Python 3.12 interpreter or "
        "unset it"
    )


def test_lint_reports_both_checks_and_what_to_do(workspace):
    (workspace / "functions" / "sloppy.py").write_text("import os\nx  =  1\n")

    result = invoke(workspace, "lint", check=False)

    assert result.returncode == 1
    assert "functions/sloppy.py:1:8: F401" in result.stdout
    assert "functions/sloppy.py:2:1: unformatted" in result.stdout
    assert result.stderr.strip().splitlines()[-1] == (
        "ERROR: ruff check and ruff format --check found problems (listed above): "
        "`invoke format` fixes the formatting and ruff's safe fixes; fix the rest by hand "
        "(code brought in as it was: `invoke lint --baseline` lists its findings, formatting "
        "too, in lint-baseline.txt)"
    )


def test_a_failing_test_ends_with_what_to_do(workspace):
    (workspace / "tests" / "test_broken.py").write_text("def test_broken():\n    assert False\n")

    result = invoke(workspace, "test", check=False)

    assert result.returncode == 1
    assert "1 failed" in result.stdout
    assert result.stderr.strip().startswith("ERROR: tests failed (listed above)")


@pytest.mark.parametrize("task", ["setup", "bundle"])
def test_a_broken_workspace_json_is_one_clear_error(workspace, task):
    (workspace / "workspace.json").write_text('{"python_version": "3.12",}')

    result = invoke(workspace, task, check=False)

    assert result.returncode != 0
    assert result.stderr.strip().startswith("ERROR: workspace.json is not valid JSON")
    assert result.stderr.strip().endswith("fix it")
    assert "Traceback" not in result.stderr


def test_a_bake_carries_the_built_wheel_and_pins_its_hash(tmp_path: Path) -> None:
    """The wheel the hook places in `.devkit/wheels/` is the very file a release build makes
    (CI's, through IXON_DEVKIT_DIST), and the lock names its hash and version."""
    project = bake(tmp_path)
    [built] = DEVKIT_DIST.glob("ixon_devkit-*.whl")
    [carried] = (project / ".devkit" / "wheels").glob("*.whl")
    version = built.name.split("-")[1]

    assert carried.name == built.name
    assert carried.read_bytes() == built.read_bytes()
    digest = hashlib.sha256(built.read_bytes()).hexdigest()
    lock_text = (project / "requirements-dev.txt").read_text(encoding="utf-8")
    assert f"ixon-devkit=={version} \\\n    --hash=sha256:{digest}\n" in lock_text
    assert f"ixon-devkit=={version}  #" in (project / "requirements-dev.in").read_text()
    assert not (project / "devkit").exists()
    assert ".devkit/" in (project / ".gitignore").read_text().splitlines()
