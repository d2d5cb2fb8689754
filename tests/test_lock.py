"""The locks: declarations (`requirements*.in`) compiled by uv into every pin, and `.venv` synced.

In-process: the lock reader and the staleness check (`ixon_devkit.workspace.lock`) on the
template's own
files and on small ones written here. End to end, with no network: the baked locks are exactly
what `invoke lock` writes, twice over, on the real index's answers kept in
`tests/index-snapshot/`; on an index of the test's own (`tests/index_standin.py`), a lock gives
the same bytes after newer releases until `invoke lock --upgrade`, and a package dropped from
a declaration leaves the environment, with uv and with pip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import index_standin
import pytest

from conftest import TEMPLATE, bake, invoke, workspace_module

lock = workspace_module("ixon_devkit.workspace.lock")


@pytest.fixture(scope="module")
def baked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bake(tmp_path_factory.mktemp("lock"))


def test_the_baked_locks_pin_everything_for_every_platform(baked):
    production = lock.read_lock(baked / "requirements.txt")
    development = lock.read_lock(baked / "requirements-dev.txt")

    assert production["ixoncdkingress"].version == "1.0.0"
    assert production["requests"].version == "2.31.0"  # ixoncdkingress 1.0.0's cap
    # Windows-only dependencies are in, with their markers (pytest's, docker's).
    assert development["colorama"].marker == "sys_platform == 'win32'"
    assert (
        production["pywin32"].marker == development["pywin32"].marker == "sys_platform == 'win32'"
    )
    # The development lock is hashed, line by line; the shipped one is not (see lock.py).
    assert all(pin.hashes for pin in development.values())
    assert not any(pin.hashes for pin in production.values())
    assert "--hash" not in (baked / "requirements.txt").read_text()
    # The development environment runs what IXON Cloud runs.
    for name, pin in production.items():
        assert development[name].version == pin.version, name
    assert lock.stale_reason(baked) is None


def test_the_template_locks_its_own_test_requirements():
    pins = lock.read_lock(TEMPLATE / "requirements-test.txt")

    assert (
        lock.pair_stale_reason(
            TEMPLATE / "requirements-test.txt", TEMPLATE / "requirements-test.in"
        )
        is None
    )
    assert len(pins) > len(lock.read_declaration(TEMPLATE / "requirements-test.in"))
    assert all(pin.hashes for pin in pins.values())
    assert pins["colorama"].marker == "sys_platform == 'win32'"


def _pair(root: Path, declaration: str, locked: str) -> Path:
    (root / "requirements.in").write_text("ixoncdkingress==1.0.0\n")
    (root / "requirements.txt").write_text(
        "ixoncdkingress==1.0.0\n    # via -r requirements.in\nrequests==2.31.0\n"
        "    # via ixoncdkingress\n"
    )
    (root / "requirements-dev.in").write_text(
        "-r requirements.in\n-c requirements.txt\n" + declaration
    )
    (root / "requirements-dev.txt").write_text(locked)
    return root


LOCKED = (
    "ixoncdkingress==1.0.0 \\\n    --hash=sha256:aa\n    # via\n    #   -c requirements.txt\n"
    "    #   -r requirements.in\nrequests==2.31.0 \\\n    --hash=sha256:bb\n"
    "    # via -c requirements.txt\npytest==9.2.0 \\\n    --hash=sha256:cc\n"
    "    # via -r requirements-dev.in\npluggy==1.7.0 \\\n    --hash=sha256:dd\n"
    "    # via\n    #   -r requirements-dev.in\n    #   pytest\n"
)

#: A direct reference, declared and locked as uv locks it.
TOOL = "tool @ file:///opt/wheels/tool-1.0-py3-none-any.whl"
TOOL_LOCKED = f"{TOOL} \\\n    --hash=sha256:ee\n    # via -r requirements-dev.in\n"


def test_a_lock_reads_pins_and_direct_references():
    pins = lock.parse_lock(LOCKED + TOOL_LOCKED + "colorama==0.4.6 ; sys_platform == 'win32'\n")

    assert pins["tool"].url == "file:///opt/wheels/tool-1.0-py3-none-any.whl"
    assert (pins["tool"].version, pins["tool"].hashes) == ("", ("sha256:ee",))
    assert pins["tool"].via == ("-r requirements-dev.in",)
    assert pins["tool"].line() == TOOL
    assert pins["pytest"].line() == "pytest==9.2.0" and pins["pytest"].url == ""
    assert pins["colorama"].marker == "sys_platform == 'win32'"


def test_adopt_reads_the_apps_requirement_lines_as_the_lock_does():
    requirements = workspace_module("ixon_devkit.adopt.requirements")
    text = (
        "Requests[socks] == 2.31.0 ; python_version >= '3.8'  # pinned\nflask>=2,<3\n"
        "pkg==1.*\n-e .\n./local\ntool @ https://example.com/tool.zip\n# comment\n"
    )

    read = [(line.name, line.pin) for line in requirements.parse(text)]

    assert read == [
        ("requests", "2.31.0"),
        ("flask", None),
        ("pkg", None),
        (None, None),
        (None, None),
        (None, None),
        (None, None),
    ]
    assert requirements._versions(LOCKED + TOOL_LOCKED) == {
        "ixoncdkingress": "1.0.0",
        "requests": "2.31.0",
        "pytest": "9.2.0",
        "pluggy": "1.7.0",
    }


@pytest.mark.parametrize(
    ("declaration", "locked", "reason"),
    [
        ("pytest==9.2.0\npluggy\n", LOCKED, None),
        ("pytest==9.2.0\n", LOCKED, "pluggy left requirements-dev.in but requirements-dev.txt"),
        ("pytest==9.2.0\npluggy\nmypy\n", LOCKED, "mypy is declared in requirements-dev.in"),
        ("pytest==9.3.0\npluggy\n", LOCKED, "asks for pytest==9.3.0, requirements-dev.txt pins"),
        ("pytest==9.2.0\npluggy\n", LOCKED.replace("2.31.0", "2.32.4"), "requirements.txt pins"),
        ("pytest==9.2.0\n", "", "requirements-dev.txt is not locked yet"),
        ("pytest>=9.3\npluggy\n", LOCKED, "asks for pytest>=9.3, requirements-dev.txt pins 9.2.0"),
        ("pytest<10,>=9\npluggy\n", LOCKED, None),
        (f"pytest==9.2.0\npluggy\n{TOOL}\n", LOCKED + TOOL_LOCKED, None),
        ("pytest==9.2.0\npluggy\n", LOCKED + TOOL_LOCKED, "tool left requirements-dev.in"),
        (f"pytest==9.2.0\npluggy\n{TOOL}\n", LOCKED, "tool is declared in requirements-dev.in"),
    ],
)
def test_a_lock_that_no_longer_fits_its_declaration_is_stale(tmp_path, declaration, locked, reason):
    root = _pair(tmp_path, declaration, locked)

    found = lock.stale_reason(root)

    assert found == reason if reason is None else reason in (found or "")


def test_a_transitive_pin_left_alone_is_not_stale(tmp_path):
    """pluggy leaves the declaration but pytest still needs it: the relock keeps it, no longer
    `via -r requirements-dev.in`, and that lock fits."""
    relocked = LOCKED.replace(
        "    # via\n    #   -r requirements-dev.in\n    #   pytest\n", "    # via pytest\n"
    )
    assert lock.stale_reason(_pair(tmp_path, "pytest==9.2.0\n", relocked)) is None


def test_invoke_lock_writes_the_baked_locks_byte_for_byte(workspace, recorded_index):
    """The template's locks are what `invoke lock` writes (from nothing, for the production
    lock), and a second run changes nothing: resolved as of the baked lock_moment, on the
    index's answers kept in tests/index-snapshot/."""
    before = _locks(workspace)
    (workspace / lock.PRODUCTION).unlink()

    first = invoke(workspace, "lock", **recorded_index)
    second = invoke(workspace, "lock", **recorded_index)

    assert "Locked: requirements.txt changed" in first.stdout
    assert "Locked: nothing changed" in second.stdout
    for name, content in before.items():
        assert (workspace / name).read_bytes() == content, f"{name} differs from the baked one"
    assert "Syncing" not in first.stdout + second.stdout  # locking alone installs nothing


@pytest.fixture
def tiny_index(local_index, monkeypatch) -> index_standin.Index:
    """The packages the small workspaces here install, on the test's own index (a month old),
    with pip's own wheel for `uv venv --seed`; uv and pip pointed at it alone."""
    month_ago = _days_ago(30)
    local_index.publish("iniconfig", "2.3.1", uploaded=month_ago)
    local_index.publish("pluggy", "1.7.0", uploaded=month_ago)
    local_index.publish("pytest", "9.2.0", requires=("iniconfig", "pluggy"), uploaded=month_ago)
    local_index.publish("mdurl", "0.1.2", uploaded=month_ago)
    pip = _bundled_pip()
    local_index.add(pip.name, pip.read_bytes(), month_ago)
    for name, value in index_standin.environment(local_index).items():
        monkeypatch.setenv(name, value)
    return local_index


def _bundled_pip() -> Path:
    """The pip wheel Python 3.12 carries for ensurepip (a real pip, no download)."""
    environment = workspace_module("ixon_devkit.workspace.environment")
    found = subprocess.run(
        [
            str(environment.find_python("3.12")),
            "-c",
            "import ensurepip, pathlib; "
            "print(*pathlib.Path(ensurepip.__file__).parent.glob('_bundled/pip-*.whl'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert len(found) == 1, found
    return Path(found[0])


def _tiny_workspace(root: Path) -> Path:
    (root / "workspace.json").write_text('{"python_version": "3.12"}\n')
    (root / "requirements.in").write_text("iniconfig==2.3.1\n")
    (root / "requirements-dev.in").write_text(
        "-r requirements.in\n-c requirements.txt\npluggy==1.7.0\n"
    )
    return root


def _installed(python: Path) -> set[str]:
    listed = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m; "
            "print(*{d.metadata['Name'].lower() for d in m.distributions()})",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return set(listed)


def test_setup_syncs_so_a_package_dropped_from_the_declaration_leaves(
    tmp_path, tiny_index, registry_uv, monkeypatch
):
    """The real `environment.ensure` (what `invoke setup` runs) on a two-package workspace:
    it locks, syncs; the declaration loses pluggy; it relocks and pluggy is gone."""
    environment = workspace_module("ixon_devkit.workspace.environment")
    root = _tiny_workspace(tmp_path)
    monkeypatch.setenv("PATH", os.pathsep.join([str(registry_uv.parent), os.environ["PATH"]]))
    for variable in ("IXON_VENV", "IXON_INSTALLER", "VIRTUAL_ENV"):
        monkeypatch.delenv(variable, raising=False)
    said: list[str] = []

    env = environment.ensure(root, echo=said.append)
    assert {"iniconfig", "pluggy"} <= _installed(env.python)
    assert "/simple/pluggy/" in tiny_index.requests  # the test's index, not the real one
    assert "Locking again: requirements.txt is not locked yet" in said

    (root / "requirements-dev.in").write_text("-r requirements.in\n-c requirements.txt\n")
    said.clear()
    environment.ensure(root, echo=said.append)

    assert (
        "Locking again: pluggy left requirements-dev.in but requirements-dev.txt still pins it"
        in said
    )
    assert "pluggy" not in _installed(env.python)
    assert "iniconfig" in _installed(env.python)
    assert "pluggy" not in (root / "requirements-dev.txt").read_text()


def test_pip_syncs_too(tmp_path, tiny_index, registry_uv):
    """IXON_INSTALLER=pip: pip installs the lock, then what the lock no longer names goes;
    pip itself stays. (uv makes the first install: pip would only be slower at it.)"""
    environment = workspace_module("ixon_devkit.workspace.environment")
    root = _tiny_workspace(tmp_path)
    venv = tmp_path / "venv"
    python = environment.find_python("3.12")
    subprocess.run(
        [str(registry_uv), "venv", "--seed", "-q", "--python", str(python), str(venv)], check=True
    )
    env = environment.Environment(root=root, path=venv)
    said: list[str] = []
    (root / "requirements-dev.txt").write_text("iniconfig==2.3.1\npluggy==1.7.0\n")
    environment.sync(env, root, installer="uv", uv=str(registry_uv), echo=said.append)
    assert {"iniconfig", "pluggy", "pip"} <= _installed(env.python)

    (root / "requirements-dev.txt").write_text("iniconfig==2.3.1\n")
    environment.sync(env, root, installer="pip", echo=said.append)

    assert "Removing what requirements-dev.txt no longer locks: pluggy" in said
    assert {"iniconfig", "pip"} <= _installed(env.python)
    assert "pluggy" not in _installed(env.python)


def test_the_shipped_lock_is_the_production_lock_as_it_is(baked):
    """`invoke bundle` puts requirements.txt in the archive unchanged (tests/test_bundle.py
    compares the bytes); here: a lock that no longer fits its declaration is refused."""
    bundle = workspace_module("ixon_devkit.ship.bundle")
    declaration = baked / "requirements.in"
    original = declaration.read_bytes()
    declaration.write_bytes(original + b"dominate==2.9.1\n")
    try:
        with pytest.raises(bundle.BundleError, match="run `invoke lock`"):
            bundle.check_requirements(baked)
    finally:
        declaration.write_bytes(original)
    bundle.check_requirements(baked)


def test_a_workspace_without_declarations_installs_and_removes_nothing(
    tmp_path, tiny_index, registry_uv
):
    """From before the locks (or adopted as it was): its hand-written requirements-dev.txt
    need not name every dependency, so it is installed, not synced."""
    environment = workspace_module("ixon_devkit.workspace.environment")
    root = tmp_path
    (root / "workspace.json").write_text('{"python_version": "3.12"}\n')
    (root / "requirements-dev.txt").write_text("pytest==9.2.0\n")  # not its dependencies
    venv = tmp_path / "venv"
    python = environment.find_python("3.12")
    subprocess.run(
        [str(registry_uv), "venv", "--seed", "-q", "--python", str(python), str(venv)], check=True
    )
    env = environment.Environment(root=root, path=venv)
    subprocess.run(
        [str(registry_uv), "pip", "install", "-q", "--python", str(env.python), "mdurl"],
        check=True,
    )
    said: list[str] = []

    environment.sync(env, root, installer="uv", uv=str(registry_uv), echo=said.append)

    assert said[0].startswith("Installing into venv from requirements-dev.txt with uv")
    assert {"pytest", "pluggy", "mdurl"} <= _installed(env.python)  # mdurl: not in the file


def _moment(workspace: Path) -> str:
    return json.loads((workspace / "workspace.json").read_text())["lock_moment"]


def _after_a_second() -> None:
    """Let the clock pass the next whole second (the moment is kept to the second)."""
    time.sleep(1.1)


def test_invoke_lock_gives_the_same_bytes_after_newer_releases_until_upgrade(
    tmp_path, local_index, shared_venv
):
    """A baked workspace locked today locks to the same bytes after the index published newer
    releases (even from nothing), until `invoke lock --upgrade` moves its moment."""
    local_index.publish("alpha", "1.0", requires=("beta",), uploaded=_days_ago(30))
    local_index.publish("beta", "2.0", uploaded=_days_ago(30))
    workspace = _declaring(bake(tmp_path), "alpha\n", "-r requirements.in\n-c requirements.txt\n")
    variables = _locking_on(local_index, tmp_path)
    (workspace / "workspace.json").write_text(
        json.dumps({**json.loads((workspace / "workspace.json").read_text()), "lock_moment": None})
    )  # a workspace from before lock_moment: its first lock records one

    first = invoke(workspace, "lock", **variables)
    moment = _moment(workspace)
    locked = _locks(workspace)
    assert b"alpha==1.0" in locked[lock.PRODUCTION] and b"beta==2.0" in locked[lock.DEVELOPMENT]
    assert b"exclude-newer" not in locked[lock.PRODUCTION]  # a bot running the header is free
    assert f'Recorded "lock_moment": "{moment}"' in first.stdout

    _after_a_second()
    local_index.publish("alpha", "1.1", requires=("beta",))
    local_index.publish("beta", "2.1")
    (workspace / lock.PRODUCTION).unlink()
    (workspace / lock.DEVELOPMENT).unlink()
    again = invoke(workspace, "lock", **variables)

    assert "Locked: requirements.txt, requirements-dev.txt changed" in again.stdout  # rewritten
    for name, content in locked.items():
        assert (workspace / name).read_bytes() == content, f"{name} took a newer release"
    assert _moment(workspace) == moment

    _after_a_second()
    upgraded = invoke(workspace, "lock", "--upgrade", **variables)

    assert "Locked: requirements.txt, requirements-dev.txt changed" in upgraded.stdout
    assert _moment(workspace) > moment
    assert b"alpha==1.1" in (workspace / lock.PRODUCTION).read_bytes()
    assert b"beta==2.1" in (workspace / lock.DEVELOPMENT).read_bytes()


def test_a_release_newer_than_the_moment_is_refused_with_the_remedy(
    tmp_path, local_index, shared_venv
):
    """Declaring a release published after the moment: one line naming the moment and
    `invoke lock --upgrade`; the locks and the moment stay as they were."""
    local_index.publish("alpha", "1.0", uploaded=_days_ago(30))
    workspace, variables = _locked_on(local_index, tmp_path)
    before = _locks(workspace)
    moment = _moment(workspace)
    _after_a_second()
    local_index.publish("alpha", "1.1")
    (workspace / "requirements.in").write_text("alpha==1.1\n")

    refused = invoke(workspace, "lock", check=False, **variables)

    assert refused.returncode == 1
    line = refused.stderr.strip().splitlines()[-1]
    assert line.startswith("ERROR: `uv pip compile requirements.in` failed: ")
    assert f"published by {moment} (lock_moment in workspace.json)" in line
    assert "run `invoke lock --upgrade`" in line
    assert line.endswith("the locks were left as they were")
    assert _locks(workspace) == before
    assert _moment(workspace) == moment


def test_a_failed_upgrade_names_the_declaration_and_moves_nothing(
    tmp_path, local_index, shared_venv
):
    local_index.publish("alpha", "1.0", uploaded=_days_ago(30))
    workspace, variables = _locked_on(local_index, tmp_path)
    before = _locks(workspace)
    moment = _moment(workspace)
    (workspace / "requirements-dev.in").write_text("-r requirements.in\nno-such-package\n")
    _after_a_second()

    refused = invoke(workspace, "lock", "--upgrade", check=False, **variables)

    line = refused.stderr.strip().splitlines()[-1]
    assert line.startswith("ERROR: `uv pip compile requirements-dev.in` failed: "), line
    assert "lock --upgrade" not in line.split("failed: ", 1)[1]  # no moment to blame
    assert line.endswith("the locks were left as they were")
    assert _locks(workspace) == before  # both, whole
    assert _moment(workspace) == moment


def test_a_malformed_moment_is_one_line(tmp_path, local_index, shared_venv):
    workspace = bake(tmp_path)
    settings = json.loads((workspace / "workspace.json").read_text())
    (workspace / "workspace.json").write_text(json.dumps({**settings, "lock_moment": "soon"}))
    variables = _locking_on(local_index, tmp_path)

    refused = invoke(workspace, "lock", check=False, **variables)

    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1] == (
        'ERROR: "lock_moment" in workspace.json must be a UTC time like "2026-12-06T10:00:00Z", '
        "not 'soon': fix it, or run `invoke lock --upgrade` to set it to now"
    )


def test_a_lock_compiled_without_the_moment_is_not_taken_back(tmp_path, local_index, shared_venv):
    """A dependency-update pull request compiles without the moment and pins a newer release:
    `invoke lock` does not take it back to the moment's, it says to move the moment; after
    `invoke lock --upgrade` the same declarations give the same bytes again."""
    local_index.publish("alpha", "1.0", requires=("beta",), uploaded=_days_ago(30))
    local_index.publish("beta", "2.0", uploaded=_days_ago(30))
    workspace, variables = _locked_on(local_index, tmp_path)
    moment = _moment(workspace)
    _after_a_second()
    local_index.publish("beta", "2.1")
    for name in (lock.PRODUCTION, lock.DEVELOPMENT):  # what the bot's pull request holds
        path = workspace / name
        path.write_text(path.read_text().replace("beta==2.0", "beta==2.1"))
    bot = _locks(workspace)

    refused = invoke(workspace, "lock", check=False, **variables)

    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1] == (
        f"ERROR: requirements.txt pins beta==2.1, newer than what the index had published by "
        f"{moment} (lock_moment in workspace.json; a dependency-update pull request compiles "
        "without it): run `invoke lock --upgrade` to move the moment to now, and commit "
        "workspace.json with the locks; the locks were left as they were"
    )
    assert _locks(workspace) == bot

    invoke(workspace, "lock", "--upgrade", **variables)
    assert b"beta==2.1" in (workspace / lock.PRODUCTION).read_bytes()
    again = invoke(workspace, "lock", **variables)
    assert "Locked: nothing changed" in again.stdout


def test_a_declaration_that_asks_for_an_older_release_is_locked_so(
    tmp_path, local_index, shared_venv
):
    """Taking a pin back because the declaration asks for it is no bot's lock: it is written."""
    local_index.publish("alpha", "1.0", uploaded=_days_ago(30))
    local_index.publish("alpha", "1.1", uploaded=_days_ago(20))
    workspace, variables = _locked_on(local_index, tmp_path)
    assert b"alpha==1.1" in (workspace / lock.PRODUCTION).read_bytes()
    (workspace / "requirements.in").write_text("alpha==1.0\n")

    invoke(workspace, "lock", **variables)

    assert b"alpha==1.0" in (workspace / lock.PRODUCTION).read_bytes()


def _locked_on(index: index_standin.Index, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A baked workspace that declares `alpha` (what `index` has of it), locked on `index`
    as of now; and the variables that lock it there again."""
    workspace = _declaring(bake(tmp_path), "alpha\n", "-r requirements.in\n-c requirements.txt\n")
    variables = _locking_on(index, tmp_path)
    invoke(workspace, "lock", "--upgrade", **variables)
    return workspace, variables


def _locks(workspace: Path) -> dict[str, bytes]:
    """The bytes of the workspace's two locks, by name."""
    return {name: (workspace / name).read_bytes() for name in (lock.PRODUCTION, lock.DEVELOPMENT)}


def _locking_on(index: index_standin.Index, tmp_path: Path) -> dict[str, str]:
    """The variables that make a workspace's `invoke lock` resolve on `index`, with the uv of
    the test requirements, in the shared environment (locking installs nothing)."""
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    assert uv, "uv is not installed: pip install -r requirements-test.txt"
    return {
        **index_standin.environment(index),
        "PATH": os.pathsep.join([str(Path(uv).parent), os.environ["PATH"]]),
    }


def _days_ago(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def _declaring(workspace: Path, production: str, development: str) -> Path:
    (workspace / "requirements.in").write_text(production)
    (workspace / "requirements-dev.in").write_text(development)
    return workspace


def test_a_new_tooling_release_is_taken_by_its_pin_alone(tmp_path, local_index, shared_venv):
    """The moment holds every package back but the tooling: a release of ixon-devkit newer
    than the moment is locked once the pin names it (no --upgrade, which would move alpha)."""
    local_index.publish("alpha", "1.0", uploaded=_days_ago(30))
    local_index.publish("ixon-devkit", "1.0", uploaded=_days_ago(30))
    workspace, variables = _locked_on(local_index, tmp_path)
    declaration = workspace / "requirements-dev.in"
    declaration.write_text(declaration.read_text() + "ixon-devkit==1.0\n")
    invoke(workspace, "lock", **variables)
    local_index.publish("alpha", "2.0")
    local_index.publish("ixon-devkit", "2.0")
    declaration.write_text(declaration.read_text().replace("ixon-devkit==1.0", "ixon-devkit==2.0"))

    invoke(workspace, "lock", **variables)

    locked = _locks(workspace)
    assert b"ixon-devkit==2.0" in locked[lock.DEVELOPMENT]
    assert b"alpha==1.0" in locked[lock.DEVELOPMENT] and b"alpha==1.0" in locked[lock.PRODUCTION]
    assert b"exclude-newer" not in locked[lock.DEVELOPMENT]


def test_the_tooling_hashes_are_read_from_its_block_of_the_lock(tmp_path):
    """What decides whether a sync installs the tooling again (its content changes with the
    hash while a checkout's build keeps its version)."""
    environment = workspace_module("ixon_devkit.workspace.environment")
    path = tmp_path / "requirements-dev.txt"
    path.write_text(
        "invoke==3.0.3 \\\n    --hash=sha256:aaa\n    # via ixon-devkit\n"
        "ixon_devkit==3.0.0 \\\n    --hash=sha256:bbb \\\n    --hash=sha256:ccc\n"
        "    # via -r requirements-dev.in\nmdurl==0.1.2 \\\n    --hash=sha256:ddd\n"
    )

    assert environment.locked_tooling(tmp_path) == ["sha256:bbb", "sha256:ccc"]
    assert environment.locked_tooling(tmp_path / "missing") == []
