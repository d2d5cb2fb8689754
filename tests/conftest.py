"""Fixtures of the template's own tests: bake workspaces and run their tasks for real.

Baking is cheap; installing a workspace's environment is not. Every baked workspace therefore
uses one shared environment (through the workspace's own `IXON_VENV` setting), set up once by
the workspace's real `invoke setup` and refreshed only when the requirements change.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import index_standin
import pytest
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parent.parent
#: Where the shared workspace environment lives; override with IXON_TEST_VENV.
SHARED_VENV = Path(os.environ.get("IXON_TEST_VENV", TEMPLATE / ".bake" / "workspace-venv"))


WORKSPACE_TEMPLATE = TEMPLATE / "{{cookiecutter.function_slug}}"
#: The tooling package's source (`devkit/src/ixon_devkit`), which in-process tests import.
PACKAGE_SOURCE = TEMPLATE / "devkit" / "src"


def workspace_module(name: str, folder: Path = WORKSPACE_TEMPLATE) -> ModuleType:
    """The tooling's module `name` (like `ixon_devkit.ship.versioning`) from the template's
    package source, imported as the tasks of the workspace in `folder` import it (its workspace
    is `folder`), then forgotten by name so that no other test's `ixon_devkit` is this one.
    Writes no bytecode into the source."""
    sys.path.insert(0, str(PACKAGE_SOURCE))
    writes_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    before = os.environ.get("IXON_WORKSPACE")
    os.environ["IXON_WORKSPACE"] = str(folder)
    try:
        return importlib.import_module(name)
    finally:
        sys.dont_write_bytecode = writes_bytecode
        sys.path.remove(str(PACKAGE_SOURCE))
        if before is None:
            os.environ.pop("IXON_WORKSPACE", None)
        else:
            os.environ["IXON_WORKSPACE"] = before
        for loaded in [loaded for loaded in sys.modules if loaded.split(".")[0] == "ixon_devkit"]:
            del sys.modules[loaded]


def bake(output_dir: Path, *, fresh: bool = False, **answers: Any) -> Path:
    """Bake the template with `answers` (the rest default) and return the workspace folder.

    The first bake of some answers is a real cookiecutter bake; later ones within the session
    copy it (`fresh` always bakes). A copy is only made at the same depth below pytest's base
    folder as its original, so what the hooks recorded (the template's relative path in
    `.cruft.json`) is true of the copy too.
    """
    answers.setdefault("git_init", "no")
    copied = None if fresh else _copy_of_earlier_bake(Path(output_dir), answers)
    if copied is not None:
        return copied
    project = cookiecutter(
        str(TEMPLATE), no_input=True, output_dir=str(output_dir), extra_context=answers
    )
    return Path(project)


#: Set by the `_bake_cache` fixture: pytest's base folder, under which bakes are copied.
_BASETEMP: list[Path] = []
_BAKED: dict[str, Path] = {}


@pytest.fixture(scope="session", autouse=True)
def _bake_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    _BASETEMP.append(tmp_path_factory.getbasetemp().resolve())
    yield
    _BASETEMP.clear()
    _BAKED.clear()


def _copy_of_earlier_bake(output_dir: Path, answers: dict[str, Any]) -> Path | None:
    if not _BASETEMP:
        return None
    output = output_dir.resolve()
    try:
        depth = len(output.relative_to(_BASETEMP[0]).parts)
    except ValueError:
        return None
    if depth < 1:
        return None
    key = json.dumps([answers, depth], sort_keys=True)
    original = _BAKED.get(key)
    if original is None:
        holder = _BASETEMP[0] / f"bake-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
        holder = holder.joinpath(*["d"] * (depth - 1))
        holder.mkdir(parents=True, exist_ok=True)
        original = Path(
            cookiecutter(
                str(TEMPLATE), no_input=True, output_dir=str(holder), extra_context=answers
            )
        )
        _BAKED[key] = original
    target = output / original.name
    if target.exists():
        return None  # let cookiecutter say what it says about an existing folder
    output.mkdir(parents=True, exist_ok=True)
    shutil.copytree(original, target, symlinks=True)
    return target


def devkit_dist() -> Path:
    """The folder holding the tooling's wheel that workspace tasks install, standing for the
    index a release is published on: `$IXON_DEVKIT_DIST` (CI builds the wheel and sdist there
    once, `.ci/run`), else `.bake/dist`, built here from the template's `devkit/` (the same
    bytes: `devkit/build_backend.py`)."""
    given = os.environ.get("IXON_DEVKIT_DIST")
    if given:
        return Path(given).resolve()
    folder = TEMPLATE / ".bake" / "dist"
    spec = importlib.util.spec_from_file_location(
        "_devkit_backend", TEMPLATE / "devkit" / "build_backend.py"
    )
    backend = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(backend)
    name, data = backend.wheel_bytes(TEMPLATE / "devkit")
    wheel = folder / name
    if not wheel.is_file() or wheel.read_bytes() != data:
        folder.mkdir(parents=True, exist_ok=True)
        partial = wheel.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(data)
        os.replace(partial, wheel)
    return folder


DEVKIT_DIST = devkit_dist()


def workspace_env(**extra: str | None) -> dict[str, str]:
    """The environment a workspace task runs in: the shared venv, no stray settings.

    `extra` adds or replaces variables; a None value removes one (`IXON_VENV=None` lets the
    workspace make its own `.venv`).
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("IXON_API_")}
    env.pop("IXON_WORKSPACE", None)
    env["IXON_VENV"] = str(SHARED_VENV)
    # The tooling's wheel, as a release's index would serve it (a fresh clone has no
    # .devkit/wheels/, and `cruft update` places none).
    env["UV_FIND_LINKS"] = str(DEVKIT_DIST)
    env["PIP_FIND_LINKS"] = str(DEVKIT_DIST)
    env.pop("VIRTUAL_ENV", None)
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def invoke(
    project: Path, *arguments: str, check: bool = True, timeout: float = 600, **env: str | None
) -> subprocess.CompletedProcess[str]:
    """Run `invoke ARGUMENTS` in `project` as a user would, capturing its output. A task that
    resolves requirements (adopt) asks the index snapshot, unless `env` names the index."""
    if arguments and arguments[0] in RESOLVING_TASKS and _SNAPSHOT:
        env = {**snapshot_environment(), **env}
    result = subprocess.run(
        [sys.executable, "-m", "invoke", *arguments],
        cwd=project,
        env=workspace_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if arguments and arguments[0] in RESOLVING_TASKS:
        check_snapshot_missed_nothing()
    if check and result.returncode != 0:
        raise AssertionError(
            f"invoke {' '.join(arguments)} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


#: Fixtures that make a test end-to-end: it needs the workspace environment (Python 3.12 with
#: ixoncdkingress) and runs a baked workspace's tasks, or resolves requirements with uv (an
#: in-process adopt: `fresh`). `invoke test --fast` leaves these out.
END_TO_END_FIXTURES = {"shared_venv", "registry_uv", "local_index", "fresh"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the workspace environment `e2e` (the in-process tier is the
    rest: `pytest -m "not e2e"`)."""
    for item in items:
        if END_TO_END_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def registry_uv() -> Path:
    """uv (requirements-test.txt installs it beside this Python), for tests that run it (on a
    package index of their own: no test resolves on the real one)."""
    found = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    assert found, "uv is not installed: pip install -r requirements-test.txt"
    return Path(found)


@pytest.fixture
def local_index() -> Iterator[Any]:
    """A package index of the test's own on a loopback port (tests/index_standin.py), empty:
    the test publishes what it needs, when it needs it."""
    with index_standin.serving(index_standin.Index()) as index:
        yield index


#: The real index's answers to the resolutions of the tests (tests/index_standin.py).
INDEX_SNAPSHOT = TEMPLATE / "tests" / "index-snapshot"
#: Set to a simple index URL to record the snapshot from it instead of replaying it.
RECORD_VARIABLE = "IXON_TEST_INDEX_RECORD"


def template_lock_moment() -> str:
    """The `lock_moment` the template's workspace.json records (its locks are as of it)."""
    text = (WORKSPACE_TEMPLATE / "workspace.json").read_text(encoding="utf-8")
    found = re.search(r'"lock_moment": "([^"]+)"', text)
    assert found, "the template's workspace.json records no lock_moment"
    return found[1]


@pytest.fixture(scope="session", autouse=True)
def _index_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    upstream = os.environ.get(RECORD_VARIABLE, "")
    snapshot = index_standin.Snapshot(
        INDEX_SNAPSHOT,
        template_lock_moment(),
        upstream,
        uv_cache="" if upstream else str(tmp_path_factory.mktemp("uv-cache")),
    )
    with index_standin.serving(snapshot) as serving:
        _SNAPSHOT.append(serving)
        yield serving
        _SNAPSHOT.clear()
    if snapshot.upstream:
        index_standin.trim(INDEX_SNAPSHOT)


@pytest.fixture
def recorded_index(_index_snapshot: Any) -> Iterator[dict[str, str]]:
    """The variables that point uv and pip at the kept answers of the real package index
    (tests/index-snapshot/), served on loopback: resolutions of the template's real
    declarations as of its lock_moment, without the network. A test that asks for what the
    snapshot lacks fails, saying how to record it."""
    _index_snapshot.missing.clear()
    yield index_standin.environment(_index_snapshot)
    _fail_on_missing(_index_snapshot)


#: The snapshot's server of this session (set by `_index_snapshot`), for `invoke ... adopt`.
_SNAPSHOT: list[Any] = []
#: Tasks that resolve requirements: `invoke` runs them on the snapshot unless told otherwise.
RESOLVING_TASKS = {"adopt", "upgrade"}
#: `invoke` variables that run a resolving task on the real registries instead (one that sets
#: up an environment from nothing first: installing the pinned, hashed locks downloads).
LIVE_INDEX: dict[str, str | None] = dict.fromkeys(index_standin.environment_names())


def snapshot_environment() -> dict[str, str]:
    """The variables that make uv and pip ask this session's snapshot (see `recorded_index`)."""
    assert _SNAPSHOT, "the index snapshot's server is not running"
    return index_standin.environment(_SNAPSHOT[0])


def check_snapshot_missed_nothing() -> None:
    """Fail, saying how to record it, when a resolution asked what the snapshot lacks."""
    if _SNAPSHOT:
        _fail_on_missing(_SNAPSHOT[0])


def _fail_on_missing(snapshot: Any) -> None:
    if snapshot.missing:
        missing = list(snapshot.missing)
        snapshot.missing.clear()
        pytest.fail(
            f"the package index snapshot lacks {', '.join(sorted(set(missing)))}: "
            f"record it by running the test with {RECORD_VARIABLE}=<a simple index URL> "
            "(README: Developing the template)",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def shared_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workspace environment every baked workspace shares, set up by `invoke setup`.

    A file lock keeps two test runs (or pytest-xdist workers) from setting it up at once; the
    second finds it up to date and goes on at once.
    """
    SHARED_VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(SHARED_VENV.parent / f".{SHARED_VENV.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            project = bake(tmp_path_factory.mktemp("venv-setup"))
            invoke(project, "setup", timeout=900)
            if os.environ.get("PYTHONDONTWRITEBYTECODE"):
                compile_bytecode(SHARED_VENV)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return SHARED_VENV


def compile_bytecode(venv: Path) -> None:
    """Compile the environment's packages once (uv installs them without bytecode): where
    PYTHONDONTWRITEBYTECODE is set, as here, every one of the suite's hundreds of workspace
    processes would otherwise compile all it imports from source. Files compiled before are
    skipped, so a session with nothing new takes a second."""
    python = venv / "bin" / "python"
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    subprocess.run(
        [str(python), "-m", "compileall", "-q", "-j", "0", site_packages],
        capture_output=True,  # a file that does not compile only stays uncompiled
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""},
    )


@pytest.fixture
def workspace(tmp_path: Path, shared_venv: Path) -> Path:
    """A freshly baked default workspace with the shared environment; yours to change."""
    return bake(tmp_path)


@pytest.fixture(scope="session")
def default_workspace(tmp_path_factory: pytest.TempPathFactory, shared_venv: Path) -> Path:
    """One default workspace for tests that only read it (do not change its files)."""
    return bake(tmp_path_factory.mktemp("default"))


@pytest.fixture(scope="module")
def adopt_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One baked workspace per module that in-process adopt tests copy before adopting."""
    return bake(tmp_path_factory.mktemp("adopt-base"))


@pytest.fixture
def fresh(adopt_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A copy of `adopt_base` and its adopt module (`adopt_support.fresh_copy`)."""
    from adopt_support import fresh_copy

    return fresh_copy(adopt_base, tmp_path, monkeypatch)


@pytest.fixture
def mongo_standin(shared_venv: Path) -> Iterator[int]:
    """The MongoDB stand-in (tests/mongo_standin.py) on a loopback port; yields the port."""
    process = subprocess.Popen(
        [str(shared_venv / "bin" / "python"), str(TEMPLATE / "tests" / "mongo_standin.py")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert line.startswith("listening on 127.0.0.1:"), line
        yield int(line.rsplit(":", 1)[1])
    finally:
        process.terminate()
        process.wait(timeout=10)


#: Where the Node packages of UI workspaces are installed once (override: IXON_TEST_NODE_CACHE).
NODE_CACHE = Path(os.environ.get("IXON_TEST_NODE_CACHE", TEMPLATE / ".bake" / "node-cache"))
#: The UI Component the tests bake (its packages are the template's lock).
UI_COMPONENT = "status-panel"


def link_node_modules(project: Path) -> None:
    """Give `project` the session's installed Node packages (a link, as a cache would)."""
    cached = NODE_CACHE / "node_modules"
    if cached.is_dir() and not (project / "node_modules").exists():
        (project / "node_modules").symlink_to(cached, target_is_directory=True)


@pytest.fixture(scope="session")
def node_modules(tmp_path_factory: pytest.TempPathFactory, shared_venv: Path) -> Path:
    """The Node packages every UI workspace shares, installed by a real `invoke setup`.

    A file lock keeps two test runs from installing at once (as for the Python environment).
    """
    NODE_CACHE.parent.mkdir(parents=True, exist_ok=True)
    with open(NODE_CACHE.parent / f".{NODE_CACHE.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            project = bake(tmp_path_factory.mktemp("node-setup"), ui_component=UI_COMPONENT)
            link_node_modules(project)
            invoke(project, "setup", timeout=900)
            installed = project / "node_modules"
            if not installed.is_symlink():  # the cache was missing or stale: installed here
                shutil.rmtree(NODE_CACHE, ignore_errors=True)
                NODE_CACHE.mkdir(parents=True)
                shutil.move(str(installed), str(NODE_CACHE / "node_modules"))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return NODE_CACHE / "node_modules"
