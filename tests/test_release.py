"""The tooling's release: .github/workflows/release.yml builds the wheel and the sdist once,
checks them against the tag (.ci/release_check.py), tests the template against the built
wheel, publishes by trusted publishing and attaches both files to the GitHub release; and
the in-tree build backend's sdist is whole and gives the tree's wheel. In process."""

from __future__ import annotations

import importlib.util
import re
import tarfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from test_ci import check_jsonschema
from test_toolchain import CURRENT

from conftest import TEMPLATE

WORKFLOW = TEMPLATE / ".github" / "workflows" / "release.yml"
BUILD = "uv build devkit --out-dir dist"


def load_file(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if step.get("uses", "").startswith(action + "@")]


def test_the_workflow_passes_the_github_workflow_schema():
    result = check_jsonschema("vendor.github-workflows", WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_v_tag_alone_starts_it_and_reads_nothing_more_by_default(workflow):
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    assert triggers == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {"contents": "read"}


def test_the_build_job_builds_once_checks_the_tag_then_tests_the_built_wheel(workflow):
    text = WORKFLOW.read_text(encoding="utf-8")
    assert text.count(BUILD) == 1, "the files are built once, in the build job"
    job = workflow["jobs"]["build"]
    runs = [step.get("run", "").strip() for step in job["steps"]]

    build = runs.index(BUILD)
    check = runs.index('python .ci/release_check.py "$GITHUB_REF_NAME" dist')
    test = runs.index(".ci/run")
    (upload,) = steps_using(job, "actions/upload-artifact")
    assert build < check < test < job["steps"].index(upload)
    assert job["steps"][test]["env"] == {"IXON_DEVKIT_DIST": "dist"}
    assert upload["with"]["path"] == "dist/"
    assert upload["with"]["if-no-files-found"] == "error"
    (python,) = steps_using(job, "actions/setup-python")
    assert python["with"]["python-version"].split() == ["3.12", "3.11"]


def test_only_the_publish_job_may_ask_for_an_id_token(workflow):
    jobs = workflow["jobs"]
    publish = jobs["publish"]

    assert publish["needs"] == "build"
    assert publish["environment"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    assert [job for job, body in jobs.items() if "id-token" in body.get("permissions", {})] == [
        "publish"
    ]
    (download,) = steps_using(publish, "actions/download-artifact")
    assert download["with"] == {"name": "dist", "path": "dist/"}
    assert steps_using(publish, "pypa/gh-action-pypi-publish")
    assert not [step for step in publish["steps"] if "run" in step], "it uploads, nothing more"


def test_the_github_release_gets_both_built_files(workflow):
    job = workflow["jobs"]["github-release"]
    (script,) = [step["run"] for step in job["steps"] if "run" in step]

    assert job["needs"] == "publish"
    assert job["permissions"] == {"contents": "write"}
    assert steps_using(job, "actions/download-artifact")
    assert "gh release create" in script and "--verify-tag" in script
    assert re.search(r"gh release upload .*dist/\*\.whl dist/\*\.tar\.gz", script)


def test_the_actions_are_at_the_current_majors(workflow):
    uses = re.findall(r"uses:\s*([\w-]+/[\w-]+)@(\S+)", WORKFLOW.read_text(encoding="utf-8"))
    assert uses
    for action, version in uses:
        if action in CURRENT:
            assert version == f"v{CURRENT[action]}", f"{action}@{version}"
    assert ("pypa/gh-action-pypi-publish", "release/v1") in uses


@pytest.fixture
def release(tmp_path: Path) -> tuple[ModuleType, Path]:
    """release_check and a copy of the repository's release files, at version 3.1.0."""
    (tmp_path / "devkit").mkdir()
    (tmp_path / "devkit" / "pyproject.toml").write_text(
        '[project]\nname = "ixon-devkit"\nversion = "3.1.0"\n'
    )
    (tmp_path / "CHANGELOG.md").write_text("# Changelog\n\n## [3.1.0] - 2027-01-04\n\n- x\n")
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "ixon_devkit-3.1.0-py3-none-any.whl").write_bytes(b"wheel")
    (dist / "ixon_devkit-3.1.0.tar.gz").write_bytes(b"sdist")
    (dist / ".gitignore").write_text("*\n")  # what uv build leaves beside them
    return load_file("release_check", TEMPLATE / ".ci" / "release_check.py"), tmp_path


def test_the_release_check_passes_a_tag_of_the_version(release):
    check, root = release
    assert check.problems("v3.1.0", root / "dist", root) == []


def test_the_release_check_names_each_thing_that_does_not_fit(release):
    check, root = release
    (root / "CHANGELOG.md").write_text("## [3.1.0] - Unreleased\n")
    (root / "dist" / "ixon_devkit-3.0.0-py3-none-any.whl").write_bytes(b"old")

    found = check.problems("v3.1.1", root / "dist", root)

    assert len(found) == 3
    assert found[0].startswith("the tag v3.1.1 is not v3.1.0, the version devkit/pyproject.toml")
    assert "still says Unreleased" in found[1]
    assert "ixon_devkit-3.0.0-py3-none-any.whl" in found[2]


def test_the_release_check_wants_a_changelog_section(release):
    check, root = release
    (root / "CHANGELOG.md").write_text("## [3.0.0] - 2026-12-01\n")

    assert check.problems("v3.1.0", root / "dist", root) == [
        "CHANGELOG.md has no section ## [3.1.0]: write the release's notes"
    ]


def test_a_pre_release_may_stand_under_its_release_s_unreleased_section(release, capsys):
    check, root = release
    text = (root / "devkit" / "pyproject.toml").read_text().replace("3.1.0", "3.1.0rc1")
    (root / "devkit" / "pyproject.toml").write_text(text)
    (root / "CHANGELOG.md").write_text("## [3.1.0] - Unreleased\n")
    for path in (root / "dist").glob("ixon_devkit-*"):
        path.rename(path.with_name(path.name.replace("3.1.0", "3.1.0rc1")))

    assert check.problems("v3.1.0rc1", root / "dist", root) == []


def test_the_release_check_is_a_command_with_an_exit_code(release, capsys, monkeypatch):
    check, root = release
    monkeypatch.chdir(root)

    assert check.main(["v3.1.0", "dist"]) == 0
    assert check.main(["v9.9.9", "dist"]) == 1
    assert capsys.readouterr().out.splitlines()[1].startswith("::error::the tag v9.9.9")


def test_the_sdist_is_whole_the_same_every_time_and_builds_the_tree_s_wheel(tmp_path):
    backend = load_file("_release_backend", TEMPLATE / "devkit" / "build_backend.py")
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()

    name = backend.build_sdist(str(first))
    assert backend.build_sdist(str(second)) == name
    assert (first / name).read_bytes() == (second / name).read_bytes()
    with tarfile.open(first / name) as archive:  # reads to the end: a cut stream fails here
        archive.extractall(tmp_path / "unpacked", filter="data")
    base = tmp_path / "unpacked" / name.removesuffix(".tar.gz")
    assert (base / "src" / "ixon_devkit" / "docs" / "testing.md").is_file()
    assert (base / "src" / "ixon_devkit" / "tasks" / "manual.py").is_file()

    from_sdist = load_file("_sdist_backend", base / "build_backend.py")
    assert from_sdist.wheel_bytes(base) == backend.wheel_bytes(TEMPLATE / "devkit")


def test_the_maintainers_pages_links_reach_their_files_and_headings():
    """The root README and docs/releasing.md, which say how the package is built and released:
    every relative link reaches a file and, with a #, a heading in it."""
    from test_bake import anchor

    readme = TEMPLATE / "README.md"
    releasing = TEMPLATE / "docs" / "releasing.md"
    assert "uv build devkit" in readme.read_text(encoding="utf-8")
    assert "(docs/releasing.md)" in readme.read_text(encoding="utf-8")
    checked = 0
    for source in (readme, releasing):
        text = source.read_text(encoding="utf-8")
        for target, heading in re.findall(r"\]\(([^)#:]*)(?:#([^)]*))?\)", text):
            path = (source.parent / target).resolve() if target else source
            assert path.is_file(), (source.name, target)
            if heading:
                headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.M)
                assert heading in {anchor(title) for title in headings}, (source.name, heading)
            checked += 1
    assert checked >= 3
