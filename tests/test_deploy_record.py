"""The deploy record survives a deploy killed mid-upload, and a deploy leaves git clean.

A real `invoke deploy` of a baked workspace against the stand-in of IXON's API, which takes an
upload and holds its answer while the test kills the deploy's whole process group (SIGKILL:
nothing of the deploy runs after it). Then a real git repository: a deploy from a clean tree
commits `deployments.json`, one from a tree with other changes names the file to commit.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ixon_standin import StandIn, point_workspace_at
from test_deploy import TEMPLATE, TOKEN, api, deploy, failed, project, records, succeeded

from conftest import bake, invoke, workspace_env

__all__ = ["api", "project"]  # the fixtures of test_deploy, used here as there


def git(project: Path, *arguments: str) -> str:
    identity = ["-c", "user.name=Ada", "-c", "user.email=ada@localhost"]
    return subprocess.run(
        ["git", *identity, *arguments], cwd=project, capture_output=True, text=True, check=True
    ).stdout


def killed_mid_upload(project: Path, api: StandIn) -> None:
    """Start `invoke deploy`, wait until the stand-in holds its upload (IXON has it, the
    deploy has no answer yet), then kill the deploy and everything it started."""
    api.hold_answers()
    command = subprocess.Popen(
        [sys.executable, "-m", "invoke", "deploy", "--skip-checks", "--keep-examples"],
        cwd=project,
        env=workspace_env(IXON_API_ACCESS_TOKEN=TOKEN),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not api.uploads and command.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert api.uploads, command.communicate(timeout=60)
        os.killpg(command.pid, signal.SIGKILL)
        command.communicate(timeout=60)
    finally:
        api.release()
        if command.poll() is None:
            os.killpg(command.pid, signal.SIGKILL)
            command.wait()


def test_a_deploy_killed_after_ixon_took_the_upload_keeps_it_on_record(
    project: Path, api: StandIn
) -> None:
    killed_mid_upload(project, api)

    [pending] = records(project)
    assert pending["pending"] is True
    assert (pending["version"], pending["template_id"]) == ("0.1.0", TEMPLATE)
    assert pending["sha256"] == hashlib.sha256(api.uploads[0]).hexdigest()

    # The next deploy does not upload 0.1.0 again without a word: it says what happened.
    again = failed(deploy(project, "--skip-checks"))
    assert "the upload of the Cloud Function 0.1.0 to template AbCdEf123456 sent at" in again
    assert "was never settled" in again and "IXON may have it" in again
    assert 'delete the line "pending": true' in again and "`invoke deploy --force`" in again
    assert len(api.uploads) == 1
    doctor = invoke(project, "doctor", check=False, IXON_API_ACCESS_TOKEN=TOKEN)
    # `invoke status` matches IXON's upload to the pending entry, as the refusal says.
    status = invoke(project, "status", check=False, IXON_API_ACCESS_TOKEN=TOKEN)
    assert "0.1.0 (deployments.json)" in status.stdout, status.stdout + status.stderr
    assert "warning  Deploy record: the upload of the Cloud Function 0.1.0" in doctor.stdout
    assert "missing  Version: 0.1.0: its upload to template AbCdEf123456 was never settled" in (
        doctor.stdout
    )

    # Uploading it again on purpose settles it: one entry, no longer pending.
    forced = deploy(project, "--skip-checks", "--force")
    succeeded(forced)
    assert "never settled (IXON may have it)" in forced.stderr
    [entry] = records(project)
    assert "pending" not in entry and entry["sha256"] == pending["sha256"]
    assert len(api.uploads) == 2


def test_an_upload_ixon_refused_leaves_no_pending_entry(project: Path, api: StandIn) -> None:
    api.fail("upload", 403)

    failed(deploy(project, "--skip-checks"))

    assert records(project) == []
    succeeded(deploy(project, "--skip-checks"))
    assert [("pending" in entry) for entry in records(project)] == [False]


def test_a_deploy_from_a_clean_tree_commits_its_record(
    tmp_path: Path, shared_venv: Path, api: StandIn
) -> None:
    project = bake(tmp_path, git_init="yes")
    point_workspace_at(project, api)
    assert git(project, "status", "--porcelain") == ""

    done = succeeded(deploy(project, "--skip-checks", CI=""))

    last = done.splitlines()[-1]
    assert last.startswith("Committed deployments.json as ")
    assert last.endswith(
        f'"Record the deploy of Cloud Function {project.name} 0.1.0": the git tree is clean again'
    )
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "show", "--name-only", "--format=%s", "HEAD").split() == [
        *f"Record the deploy of Cloud Function {project.name} 0.1.0".split(),
        "deployments.json",
    ]

    # The release's tag before the record's commit still marks the code deployed.
    git(project, "tag", "-a", "v0.1.0", "-m", "0.1.0", "HEAD~1")
    # Other changes in the tree: they stay the user's, and the last line names the file.
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nmine\n")
    result = deploy(project, "--skip-checks", "--force", CI="")
    dirty = succeeded(result)
    assert "does not point at HEAD" not in result.stderr
    assert dirty.splitlines()[-1] == (
        "Commit deployments.json: it records this deploy (the tree had other changes before it)"
    )
    assert sorted(git(project, "status", "--porcelain").split()) == [
        "M",
        "M",
        "README.md",
        "deployments.json",
    ]


def test_the_record_commit_can_be_left_to_the_user(
    tmp_path: Path, shared_venv: Path, api: StandIn
) -> None:
    project = bake(tmp_path, git_init="yes")
    point_workspace_at(project, api)
    settings = json.loads((project / "workspace.json").read_text())
    (project / "workspace.json").write_text(
        json.dumps({**settings, "commit_deploy_record": False}, indent=2) + "\n"
    )
    git(project, "commit", "--quiet", "-am", "Commit the record myself")

    done = succeeded(deploy(project, "--skip-checks", CI=""))

    assert done.splitlines()[-1] == (
        "Commit deployments.json: it records this deploy (commit_deploy_record is false in "
        "workspace.json)"
    )
    assert git(project, "status", "--porcelain").split() == ["M", "deployments.json"]
    # In CI the job keeps the record (the workflows commit it or keep it as an artifact).
    git(project, "commit", "--quiet", "-am", "The record")
    in_ci = succeeded(deploy(project, "--skip-checks", "--force", CI="true"))
    assert in_ci.splitlines()[-1] == (
        "deployments.json is not committed here (CI is set): the CI job keeps it"
    )
