"""The package's own tests: its build (the same bytes from a checkout and from its sdist, a
wheel installers accept) and how it finds the workspace it works on."""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.util
import io
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent


def _backend(folder: Path):
    spec = importlib.util.spec_from_file_location(
        f"_backend_{id(folder)}", folder / "build_backend.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_wheel_is_the_same_bytes_from_the_checkout_and_from_the_sdist(tmp_path: Path) -> None:
    backend = _backend(PACKAGE)
    name, data = backend.wheel_bytes(PACKAGE)
    sdist = tmp_path / backend.build_sdist(str(tmp_path))
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    unpacked = next((tmp_path / "unpacked").iterdir())

    again_name, again = _backend(unpacked).wheel_bytes(unpacked)

    assert (again_name, hashlib.sha256(again).hexdigest()) == (
        name,
        hashlib.sha256(data).hexdigest(),
    )
    (tmp_path / "second").mkdir()
    assert backend.build_sdist(str(tmp_path / "second")) == sdist.name
    assert (tmp_path / "second" / sdist.name).read_bytes() == sdist.read_bytes()


def test_the_wheel_records_every_file_with_its_hash_and_declares_the_plugin() -> None:
    name, data = _backend(PACKAGE).wheel_bytes(PACKAGE)
    archive = zipfile.ZipFile(io.BytesIO(data))
    info = name.split("-py3")[0] + ".dist-info"
    rows = list(csv.reader(io.StringIO(archive.read(f"{info}/RECORD").decode())))

    recorded = {row[0] for row in rows}
    assert recorded == set(archive.namelist())
    for path, digest, size in rows:
        if path.endswith("RECORD"):
            continue
        content = archive.read(path)
        expected = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=")
        assert (digest, int(size)) == (f"sha256={expected.decode()}", len(content)), path
    assert "ixon_devkit/py.typed" in recorded
    assert "ixon_devkit/docs/testing.md" in recorded
    assert not [path for path in recorded if "__pycache__" in path or path.endswith(".pyc")]
    entry_points = archive.read(f"{info}/entry_points.txt").decode()
    assert "[pytest11]\nixon_devkit = ixon_devkit.testing.fixtures\n" in entry_points
    metadata = archive.read(f"{info}/METADATA").decode()
    assert "Name: ixon-devkit\n" in metadata
    assert "Requires-Dist: invoke" in metadata


def test_the_simple_toml_reader_reads_the_project_table_as_tomllib_does() -> None:
    backend = _backend(PACKAGE)
    text = (PACKAGE / "pyproject.toml").read_text(encoding="utf-8")
    expected = tomllib.loads(text)["project"]
    read = backend._read_simple_toml(text)["project"]

    for key in ("name", "version", "description", "requires-python", "dependencies", "readme"):
        assert read[key] == expected[key], key
    assert read["entry-points"]["pytest11"] == expected["entry-points"]["pytest11"]


@pytest.mark.parametrize("marker", ["workspace.json", "tasks.py"])
def test_the_workspace_is_the_nearest_folder_up_with_its_marker(
    tmp_path: Path, marker: str
) -> None:
    (tmp_path / marker).write_text("{}")
    inner = tmp_path / "functions" / "deeper"
    inner.mkdir(parents=True)
    code = "from ixon_devkit.workspace import root; print(root.find())"
    environ = {"PYTHONPATH": str(PACKAGE / "src"), "PATH": "/usr/bin:/bin"}

    found = subprocess.run(
        [sys.executable, "-c", code], cwd=inner, env=environ, capture_output=True, text=True
    )
    told = subprocess.run(
        [sys.executable, "-c", code],
        cwd=inner,
        env={**environ, "IXON_WORKSPACE": str(inner)},
        capture_output=True,
        text=True,
    )

    assert found.stdout.strip() == str(tmp_path.resolve())
    assert told.stdout.strip() == str(inner.resolve())
