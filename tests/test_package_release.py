"""A release of the tooling reaches a workspace as a pin and lock change, nothing else.

Two commits of a git copy of the template that differ only inside the package (`devkit/`):
a workspace made from the first with `cruft create` and given work of its own takes the second
with `cruft update`, which must change no file but requirements-dev.txt, and in it only the
tooling's hash (cruft also records the new template commit in `.cruft.json`).
"""

from __future__ import annotations

import subprocess

import pytest
from test_cruft import create, cruft, git, git_copy

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def package_change(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    repo = tmp_path_factory.mktemp("template") / "ixon-template"
    older = git_copy(repo)
    errors = repo / "devkit" / "src" / "ixon_devkit" / "errors.py"
    errors.write_text(errors.read_text(encoding="utf-8") + "\n# a fix inside the tooling\n")
    git(repo, "commit", "--quiet", "--all", "-m", "A fix inside the package")
    return {"path": repo, "older": older, "newer": git(repo, "rev-parse", "HEAD")}


def test_a_change_inside_the_package_updates_only_the_lock_hash(package_change, tmp_path):
    project = create(package_change, tmp_path / "older", "--checkout", package_change["older"])
    git(project, "init", "--quiet")
    tasks = project / "tasks.py"
    tasks.write_text(tasks.read_text(encoding="utf-8") + "\n# my own task goes here\n")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "My workspace")

    cruft(project, "update", "-y")

    # .cruft.json is cruft's own record of the template commit a workspace is at
    changed = git(project, "diff", "--name-only", "HEAD")
    assert changed.splitlines() == [".cruft.json", "requirements-dev.txt"], changed
    assert not git(
        project,
        "status",
        "--porcelain",
        "--untracked-files=all",
        "--",
        ":!.cruft.json",
        ":!requirements-dev.txt",
    )
    diff = subprocess.run(
        ["git", "diff", "--unified=0", "HEAD", "requirements-dev.txt"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    edits = [
        line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert len(edits) == 2, diff
    assert all(line[1:].startswith("    --hash=sha256:") for line in edits), diff
    assert (project / "tasks.py").read_text(encoding="utf-8").endswith("my own task goes here\n")
