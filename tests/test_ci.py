"""The CI answer: each choice bakes a workflow that parses and runs lint, test and deploy.

Baking is cheap, so every choice gets its own workspace; the commands the check jobs run are
then run for real in one of them.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_toolchain import CURRENT

from conftest import bake, invoke

TOKEN = "IXON_API_ACCESS_TOKEN"
IDS = ("IXON_API_COMPANY_ID", "IXON_API_TEMPLATE_ID")
CI_FILES = {"github": ".github/workflows/ci.yml", "gitlab": ".gitlab-ci.yml"}


def pinned(project: Path, package: str) -> str:
    """The `==` version requirements-dev.txt pins for `package`."""
    text = (project / "requirements-dev.txt").read_text(encoding="utf-8")
    found = re.search(rf"^{re.escape(package)}==(\S+)", text, re.MULTILINE | re.IGNORECASE)
    assert found, f"{package} is not pinned in requirements-dev.txt"
    return found.group(1)


def load(project: Path, ci: str) -> tuple[str, dict[str, Any]]:
    text = (project / CI_FILES[ci]).read_text(encoding="utf-8")
    assert "{{" not in text.replace("${{", "") and "{%" not in text, "Jinja left behind"
    return text, yaml.safe_load(text)


#: The condition of the steps for UI Components: they run only when the workspace has them.
HAS_UI = "hashFiles('package-lock.json') != ''"


def run_steps(job: dict[str, Any], *, ui: bool = False) -> list[str]:
    """The shell commands of a GitHub Actions job, in order (with `ui`, also the steps that
    run only in a workspace with UI Components)."""
    return [
        step["run"].strip()
        for step in job["steps"]
        if "run" in step and (ui or HAS_UI not in step.get("if", ""))
    ]


@pytest.fixture(scope="module")
def baked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One workspace per CI choice (the Dev Container only with github)."""
    return {
        ci: bake(
            tmp_path_factory.mktemp(ci),
            ci=ci,
            devcontainer="yes" if ci == "github" else "no",
            function_name='Pump "Monitor" \\ O\'Brien',
        )
        for ci in ("github", "gitlab", "none")
    }


def test_github_checks_every_push_and_pull_request(baked):
    project = baked["github"]
    _, workflow = load(project, "github")
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true

    assert set(triggers) == {"push", "pull_request"}
    assert triggers["push"]["tags"] == ["v*"]
    check = workflow["jobs"]["check"]
    setup = next(step for step in check["steps"] if "setup-python" in step.get("uses", ""))
    assert setup["with"]["python-version"] == "3.12"
    assert setup["with"]["cache"] == "pip"
    assert set(setup["with"]["cache-dependency-path"].split()) == {
        "requirements.txt",
        "requirements-dev.txt",
    }
    assert run_steps(check) == [
        f"pip install invoke=={pinned(project, 'invoke')}",
        "invoke lock --check",
        "invoke lint",
        "invoke test",
        "invoke audit",
    ]
    assert run_steps(check, ui=True)[-1] == "invoke setup && invoke bundle --ui-only"
    node = [step for step in check["steps"] if "setup-node" in step.get("uses", "")]
    assert len(node) == 1 and HAS_UI in node[0]["if"]
    assert TOKEN not in json.dumps(check), "the check job must not see the token"


def test_github_deploys_only_a_pushed_v_tag_with_the_secrets(baked):
    text, workflow = load(baked["github"], "github")
    deploy = workflow["jobs"]["deploy"]

    assert deploy["needs"] == "check"
    condition = deploy["if"]
    assert condition.startswith("${{") and condition.endswith("}}")
    assert "startsWith(github.ref, 'refs/tags/v')" in condition
    # The token lives in an environment whose rules let only v* tags deploy.
    assert deploy["environment"] == "ixon-cloud"
    assert "ixon-cloud" in text.split("\nname:")[0], "the comments say how to set it up"
    step = next(step for step in deploy["steps"] if step.get("run") == "invoke deploy")
    env = step["env"]
    assert env[TOKEN] == "${{ secrets.IXON_API_ACCESS_TOKEN }}"
    for name in IDS:
        assert re.fullmatch(rf"\$\{{\{{ (vars|secrets)\.{name} \}}\}}", env[name]), env[name]
    assert text.count("${{ secrets.") == 1, "the token goes to the deploy step only"


def test_gitlab_checks_every_push(baked):
    project = baked["gitlab"]
    _, pipeline = load(project, "gitlab")

    assert pipeline["image"] == "python:3.12"
    assert pipeline["stages"] == ["check", "deploy"]
    assert set(pipeline["cache"]["key"]["files"]) == {"requirements.txt", "requirements-dev.txt"}
    assert pipeline["variables"]["PIP_CACHE_DIR"].endswith(pipeline["cache"]["paths"][0])
    assert pipeline["default"]["before_script"][-1] == (
        f"pip install invoke=={pinned(project, 'invoke')}"
    )
    check = pipeline["check"]
    assert check["script"][:4] == [
        "invoke lock --check",
        "invoke lint",
        "invoke test",
        "invoke audit",
    ]
    # Built only in a workspace with UI Components.
    assert check["script"][4:] == [
        "if [ -f package-lock.json ]; then invoke setup && invoke bundle --ui-only; fi"
    ]
    assert check["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "push"'}]


def test_gitlabs_pip_cache_does_not_make_the_tree_dirty(tmp_path):
    """The cache sits in the project; `invoke deploy` must not see it as uncommitted."""
    project = bake(tmp_path, ci="gitlab", git_init="yes")
    _, pipeline = load(project, "gitlab")
    cache = project / pipeline["cache"]["paths"][0] / "http" / "entry"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"cached")

    for command in pipeline["default"]["before_script"][:-1]:  # all but `pip install`
        subprocess.run(command, shell=True, cwd=project, check=True)

    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True, check=True
    )
    assert status.stdout == ""


def test_gitlab_deploys_only_a_v_tag(baked):
    text, pipeline = load(baked["gitlab"], "gitlab")
    deploy = pipeline["deploy"]

    assert deploy["stage"] == "deploy"
    assert deploy["script"] == ["invoke deploy"]
    (rule,) = deploy["rules"]
    pattern = re.fullmatch(r"\$CI_COMMIT_TAG =~ /(.+)/", rule["if"]).group(1)
    assert re.search(pattern, "v1.2.3")
    assert not re.search(pattern, "1.2.3")
    assert not re.search(pattern, "release-v1")
    for name in (TOKEN, *IDS):
        assert name in text, f"the comments tell which CI/CD variable {name} to set"


def test_no_ci_bakes_no_ci_files(baked):
    project = baked["none"]

    assert not (project / ".github").exists()
    assert not (project / ".gitlab-ci.yml").exists()


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_only_the_chosen_ci_is_baked(baked, ci):
    other = CI_FILES["gitlab" if ci == "github" else "github"]

    assert (baked[ci] / CI_FILES[ci]).is_file()
    assert not (baked[ci] / other).exists()


def test_the_dev_container_runs_setup_and_forwards_the_port(baked):
    container = json.loads(
        (baked["github"] / ".devcontainer" / "devcontainer.json").read_text(encoding="utf-8")
    )

    assert container["name"] == 'Pump "Monitor" \\ O\'Brien'
    assert "python" in container["image"] and container["image"].endswith("3.12")
    assert any("docker-in-docker" in feature for feature in container["features"])
    # The functions, and IXON's UI simulator with its live reload (Node for UI Components).
    assert container["forwardPorts"] == [8020, 8000, 35729]
    assert container["postCreateCommand"].endswith("&& invoke setup")
    assert not (baked["gitlab"] / ".devcontainer").exists()


def test_pre_commit_runs_ruff_at_the_pinned_version(baked):
    project = baked["none"]
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = [hook for repo in config["repos"] if repo["repo"] == "local" for hook in repo["hooks"]]
    basics = [
        hook["id"] for repo in config["repos"] if repo["repo"] != "local" for hook in repo["hooks"]
    ]
    assert basics == [
        "trailing-whitespace",
        "end-of-file-fixer",
        "check-yaml",
        "check-json",
        "check-toml",
        "check-added-large-files",
    ]

    entries = [shlex.split(hook["entry"])[:2] for hook in hooks]
    assert entries == [["ruff", "check"], ["ruff", "format"]]
    ruff = f"ruff=={pinned(project, 'ruff')}"
    assert all(hook["additional_dependencies"] == [ruff] for hook in hooks)


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_the_check_commands_pass_in_the_baked_workspace(baked, shared_venv, ci):
    """Run what the check job runs (but `pip install`) in the workspace it was baked with."""
    _, workflow = load(baked[ci], ci)
    if ci == "github":
        commands = run_steps(workflow["jobs"]["check"])
    else:
        commands = workflow["check"]["script"]

    invoked = [shlex.split(command) for command in commands if command.startswith("invoke ")]
    assert invoked == [
        ["invoke", "lock", "--check"],
        ["invoke", "lint"],
        ["invoke", "test"],
        ["invoke", "audit"],
    ]
    for command in invoked:
        invoke(baked[ci], *command[1:])


# -- current versions, limits, and the ecosystem's own schemas --------------------------------

#: The current major versions: tests/test_toolchain.py keeps the table.
CURRENT_ACTIONS = {name: f"v{major}" for name, major in CURRENT.items() if "/" in name}


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema with one of its vendored schemas (it needs no network for these)."""
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("ci", "schema"), [("github", "vendor.github-workflows"), ("gitlab", "vendor.gitlab-ci")]
)
def test_the_ci_files_pass_the_ecosystems_schemas(baked, ci, schema):
    result = check_jsonschema(schema, baked[ci] / CI_FILES[ci])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_can_fail(tmp_path):
    broken = tmp_path / "ci.yml"
    broken.write_text(
        "on: push\njobs:\n  check:\n    runs-on: ubuntu-latest\n    timeout-minutes: soon\n"
    )
    assert check_jsonschema("vendor.github-workflows", broken).returncode != 0


def test_github_uses_current_actions_with_time_limits(baked):
    _, workflow = load(baked["github"], "github")

    for name, job in workflow["jobs"].items():
        assert 0 < job["timeout-minutes"] <= 60, name
        for step in job["steps"]:
            if "uses" in step:
                action, version = step["uses"].split("@")
                assert version == CURRENT_ACTIONS[action], step["uses"]


def test_github_checks_a_same_repository_pull_request_once(baked):
    _, workflow = load(baked["github"], "github")
    condition = workflow["jobs"]["check"]["if"]

    assert "github.event_name == 'push'" in condition
    assert "github.event.pull_request.head.repo.full_name != github.repository" in condition


def test_gitlab_jobs_have_time_limits_and_keep_the_deploy_record(baked):
    _, pipeline = load(baked["gitlab"], "gitlab")

    assert pipeline["check"]["timeout"] == "30m"
    assert pipeline["deploy"]["timeout"] == "20m"
    artifacts = pipeline["deploy"]["artifacts"]
    assert artifacts["paths"] == ["deployments.json"]
    assert artifacts["expire_in"] == "never"


def test_the_dev_container_uses_current_majors(baked):
    container = json.loads(
        (baked["github"] / ".devcontainer" / "devcontainer.json").read_text(encoding="utf-8")
    )

    assert container["image"] == "mcr.microsoft.com/devcontainers/python:3-3.12"
    assert list(container["features"]) == [
        "ghcr.io/devcontainers/features/docker-in-docker:3",
        "ghcr.io/devcontainers/features/node:1",
    ]


def _run_step(script: str, cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(
        ["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_github_deploy_keeps_the_record_on_the_default_branch(baked, tmp_path):
    """The record steps around `invoke deploy`, run for real against a local origin: the
    deploy starts from the default branch's record and commits the new entry back to it."""
    _, workflow = load(baked["github"], "github")
    steps = workflow["jobs"]["deploy"]["steps"]
    names = [step.get("name", step.get("uses")) for step in steps]
    take = steps[names.index("Take the deploy record of earlier deploys from the default branch")]
    keep = steps[names.index("Commit the deploy record to the default branch")]
    assert names.index("Deploy to IXON Cloud") == names.index(take["name"]) + 1
    assert names.index(keep["name"]) == names.index("Deploy to IXON Cloud") + 1
    assert workflow["jobs"]["deploy"]["permissions"] == {"contents": "write"}

    identity = {
        "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
        "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com",
        "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig"), "GIT_CONFIG_NOSYSTEM": "1",
    }  # fmt: skip
    env = {**os.environ, **identity}
    origin, work, runner = tmp_path / "origin.git", tmp_path / "work", tmp_path / "runner"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    subprocess.run(["git", "clone", "-q", str(origin), str(work)], check=True, env=env)
    first = {"version": "0.1.0", "template_id": "RHQa2MEa0Dxg"}
    (work / "deployments.json").write_text(json.dumps({"deployments": []}))
    for command in (
        "git add deployments.json && git commit -qm Start && git tag v0.1.0",
        "git push -q origin main v0.1.0",
        # The record of the v0.1.0 deploy reached main after the tag (an earlier CI deploy).
        f"echo '{json.dumps({'deployments': [first]})}' > deployments.json",
        "git commit -qam 'Record the deploy of v0.1.0' && git push -q origin main",
    ):
        _run_step(command, work, env)
    # The runner checks out the tag, as actions/checkout does for a tag push.
    subprocess.run(
        ["git", "clone", "-q", "--branch", "v0.1.0", str(origin), str(runner)], check=True, env=env
    )
    step_env = {
        **env,
        "DEFAULT_BRANCH": "main",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_REF_NAME": "v0.1.0",
    }

    _run_step(take["run"], runner, step_env)
    assert json.loads((runner / "deployments.json").read_text())["deployments"] == [first]
    second = {"version": "0.1.0", "template_id": "OtherTmpl123"}  # what invoke deploy adds
    (runner / "deployments.json").write_text(json.dumps({"deployments": [first, second]}))
    _run_step(keep["run"], runner, step_env)

    on_main = subprocess.run(
        ["git", "show", "main:deployments.json"],
        cwd=origin,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(on_main)["deployments"] == [first, second]
    log = subprocess.run(
        ["git", "log", "-1", "--format=%s", "main"],
        cwd=origin,
        capture_output=True,
        text=True,
        check=True,
    )
    assert log.stdout.strip() == "Record the deploy of v0.1.0"
