"""`invoke setup` uses uv when it is on PATH and pip otherwise, with the same pinned result."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import bake, invoke

#: Installers' own packages, which differ between the two ways by design.
TOOLING = {"pip", "setuptools", "wheel"}


def find_uv() -> Path:
    """uv from PATH or beside this Python (requirements-test.txt installs it there)."""
    found = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    assert found, "uv is not installed: pip install -r requirements-test.txt"
    return Path(found)


def path_with(folder: Path) -> str:
    """PATH with `folder` first."""
    return os.pathsep.join([str(folder), os.environ.get("PATH", "")])


def python_of(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def installed(venv: Path) -> set[tuple[str, str]]:
    """(name, version) of every distribution in `venv`, installers' own left out."""
    listed = subprocess.run(
        [
            str(python_of(venv)),
            "-c",
            "import importlib.metadata as m, json; print(json.dumps("
            "[(d.metadata['Name'], d.version) for d in m.distributions()]))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = {(name.lower().replace("_", "-"), version) for name, version in json.loads(listed)}
    return {(name, version) for name, version in found if name not in TOOLING}


def stamp(venv: Path) -> dict[str, str]:
    return json.loads((venv / "ixon-workspace.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def uv_setup(tmp_path_factory: pytest.TempPathFactory, shared_venv: Path):
    """A workspace whose environment `invoke setup` made with uv on PATH."""
    root = tmp_path_factory.mktemp("uv")
    project = bake(root)
    venv = root / "uv-venv"
    uv = find_uv()
    result = invoke(project, "setup", IXON_VENV=str(venv), PATH=path_with(uv.parent))
    return project, venv, result


def test_setup_uses_uv_when_it_is_on_path(uv_setup):
    _, venv, result = uv_setup

    assert "to requirements-dev.txt with uv" in result.stdout
    assert stamp(venv)["installer"] == "uv"
    assert python_of(venv).exists()


def test_setup_force_repairs_a_broken_package(uv_setup):
    """`invoke setup --force` reinstalls, so it mends what deleting files in .venv broke."""
    project, venv, _ = uv_setup
    broken = next(venv.glob("lib*/python3.12/site-packages/dominate/__init__.py"))
    broken.unlink()

    invoke(project, "setup", IXON_VENV=str(venv), PATH=path_with(find_uv().parent))
    assert not broken.exists(), "an up-to-date environment is left alone"

    invoke(project, "setup", "--force", IXON_VENV=str(venv), PATH=path_with(find_uv().parent))
    assert broken.exists()


def test_uv_and_pip_install_the_same_pinned_versions(uv_setup, shared_venv, tmp_path):
    _, uv_venv, _ = uv_setup
    if stamp(shared_venv)["installer"] == "pip":
        pip_venv = shared_venv
    else:  # the shared environment was made with uv too: make one with pip
        pip_venv = tmp_path / "pip-venv"
        invoke(bake(tmp_path), "setup", IXON_VENV=str(pip_venv), IXON_INSTALLER="pip")
    assert stamp(pip_venv)["installer"] == "pip"

    assert installed(uv_venv) == installed(pip_venv)
    assert ("ixoncdkingress", "1.0.0") in installed(uv_venv)


def test_ixon_installer_pip_refreshes_an_environment_uv_made(uv_setup):
    """uv makes environments without pip unless asked (--seed): pip must still work in them."""
    project, venv, _ = uv_setup
    requirements = project / "requirements-dev.txt"
    requirements.write_text(requirements.read_text(encoding="utf-8") + "# changed\n")

    result = invoke(
        project,
        "setup",
        IXON_VENV=str(venv),
        IXON_INSTALLER="pip",
        PATH=path_with(find_uv().parent),
    )

    assert "to requirements-dev.txt with pip" in result.stdout
    assert stamp(venv)["installer"] == "pip"


def path_without_uv() -> str:
    """PATH without any folder that holds a uv."""
    return os.pathsep.join(
        folder
        for folder in os.environ.get("PATH", "").split(os.pathsep)
        if folder and not (Path(folder) / "uv").exists()
    )


def test_without_uv_on_path_setup_bootstraps_uv_into_the_environment(uv_setup, tmp_path):
    """Most newcomers have no uv: pip installs the pinned uv first, and uv the rest."""
    project, uv_venv, _ = uv_setup
    venv = tmp_path / "bootstrapped"

    result = invoke(project, "setup", IXON_VENV=str(venv), PATH=path_without_uv())

    assert "uv is not on PATH: installing uv==" in result.stdout
    assert "to requirements-dev.txt with uv" in result.stdout
    assert stamp(venv)["installer"] == "uv"
    assert (venv / "bin" / "uv").exists()
    assert installed(venv) == installed(uv_venv)
