"""The workspace's Python environment: find the right interpreter, create `.venv`, sync it.

`.venv` holds exactly what `requirements-dev.txt` locks: it is synced (`uv pip sync`, or pip
installing the lock and uninstalling what the lock does not name), so a package dropped from a
declaration leaves `.venv` too. A lock that no longer fits its declaration
(`requirements*.in`, see `ixon_devkit.workspace.lock`) is locked again first.

The tooling itself (ixon-devkit) is one of the locked packages: a workspace baked from a
checkout of the template finds its wheel in `.devkit/wheels/` (`wheels`), any other on its
index. The workspace's `bootstrap.py` makes the first environment; this module keeps it in step.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ixon_devkit.errors import UserError
from ixon_devkit.workspace import legacy, lock, wheels, workspace_file

#: Use this environment instead of `<workspace>/.venv` (CI caches, shared test environments).
VENV_VARIABLE = "IXON_VENV"
#: Create the environment with this interpreter instead of searching for one.
PYTHON_VARIABLE = "IXON_PYTHON"
#: Set to `pip` to use pip alone, even where uv is on PATH or could be bootstrapped.
INSTALLER_VARIABLE = "IXON_INSTALLER"

#: What the environment is built from: the declarations and their locks.
REQUIREMENT_FILES = ("requirements.in", "requirements-dev.in", lock.PRODUCTION, lock.DEVELOPMENT)
#: Installers' own packages, which a sync leaves in place (as `uv pip sync` does).
SEED_PACKAGES = frozenset({"pip", "setuptools", "wheel"})
STAMP_NAME = "ixon-workspace.json"


class SetupError(UserError):
    """A problem with the environment that the user has to fix; the message says how."""


@dataclass(frozen=True)
class Environment:
    """A virtual environment that belongs to one workspace."""

    root: Path
    path: Path

    @property
    def python(self) -> Path:
        """The environment's interpreter."""
        if os.name == "nt":
            return self.path / "Scripts" / "python.exe"
        return self.path / "bin" / "python"

    @property
    def stamp(self) -> Path:
        """The file that records what was installed, to tell a stale environment."""
        return self.path / STAMP_NAME


def workspace_python_version(root: Path) -> str:
    """The `MAJOR.MINOR` Python version the workspace runs on, from `workspace.json`."""
    try:
        version = workspace_file.read(root).get("python_version")
    except workspace_file.WorkspaceFileError as error:
        raise SetupError(str(error)) from None
    if not isinstance(version, str) or not version.strip():
        raise SetupError(
            f'{workspace_file.FILE} has no "python_version": add it, like "python_version": "3.12"'
        )
    return version.strip()


def environment_for(root: Path) -> Environment:
    """The environment of the workspace at `root`: `$IXON_VENV` when set, else `.venv`."""
    override = os.environ.get(VENV_VARIABLE)
    path = Path(override).expanduser().resolve() if override else root / ".venv"
    return Environment(root=root, path=path)


def requirements_digest(root: Path, python_version: str) -> str:
    """A digest of everything the environment is built from."""
    digest = hashlib.sha256(python_version.encode())
    for name in REQUIREMENT_FILES:
        path = root / name
        content = path.read_bytes() if path.is_file() else b"(none)"
        digest.update(name.encode() + b"\0" + content + b"\0")
    return digest.hexdigest()


def interpreter_version(python: Path | str) -> str | None:
    """`MAJOR.MINOR` of an interpreter, or None when it does not run (a pyenv shim, say)."""
    try:
        result = subprocess.run(
            [str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def python_candidates(version: str) -> list[Path]:
    """Places where a Python `version` may live, most likely first."""
    candidates: list[Path] = []
    if sys.version_info[:2] == tuple(int(part) for part in version.split(".")):
        candidates.append(Path(sys.executable))
    for name in (f"python{version}", "python3", "python"):
        found = shutil.which(name)
        if found:
            candidates.append(Path(found))
    if os.name == "nt" and shutil.which("py"):
        launcher = _run_quiet(["py", f"-{version}", "-c", "import sys; print(sys.executable)"])
        if launcher:
            candidates.append(Path(launcher))
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    for base in (pyenv_root / "versions", pyenv_root / "pyenv-win" / "versions"):
        for folder in sorted(base.glob(f"{version}*"), reverse=True):
            candidates += [folder / "bin" / f"python{version}", folder / "python.exe"]
    if shutil.which("uv"):
        found = _run_quiet(["uv", "python", "find", version])
        if found:
            candidates.append(Path(found))
    uv_home = Path(os.environ.get("UV_PYTHON_INSTALL_DIR", Path.home() / ".local/share/uv/python"))
    for folder in sorted(uv_home.glob(f"cpython-{version}.*"), reverse=True):
        candidates += [folder / "bin" / f"python{version}", folder / "python.exe"]
    return candidates


def find_python(version: str) -> Path:
    """An interpreter of `version` (`MAJOR.MINOR`), or a SetupError that says how to get one."""
    override = os.environ.get(PYTHON_VARIABLE)
    if override:
        found = interpreter_version(override)
        if found != version:
            what = f"is Python {found}, not {version}" if found else "does not run"
            raise SetupError(
                f"{PYTHON_VARIABLE}={override} {what}: point it at a Python {version} "
                "interpreter or unset it"
            )
        return Path(override)
    seen: set[Path] = set()
    for candidate in python_candidates(version):
        if candidate in seen or not candidate.exists():
            continue
        seen.add(candidate)
        if interpreter_version(candidate) == version:
            return candidate
    raise SetupError(
        f"no Python {version} found (looked on PATH, the py launcher, pyenv and uv): "
        f"install it (`pyenv install {version}`, `uv python install {version}` or "
        f"python.org), or set {PYTHON_VARIABLE} to its path"
    )


def locked_tooling(root: Path) -> list[str]:
    """The hashes the development lock names for the tooling (empty when it names none)."""
    try:
        pin = lock.read_lock(root / lock.DEVELOPMENT).get(wheels.TOOLING)
    except UnicodeDecodeError:
        return []
    return list(pin.hashes) if pin else []


def _stamp(env: Environment) -> dict:
    """What the last install recorded (empty when unreadable)."""
    try:
        stamp = json.loads(env.stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


def is_ready(env: Environment, python_version: str) -> bool:
    """Whether `env` exists, runs and was built from the current requirements."""
    if not env.python.exists() or not env.stamp.exists():
        return False
    return _stamp(env).get("digest") == requirements_digest(env.root, python_version)


def ensure(root: Path, *, force: bool = False, echo=print) -> Environment:
    """Create or refresh the workspace's environment when it is missing or stale.

    Fast when nothing changed: it compares a digest of the requirement files with the one
    recorded at the last install and returns at once.
    """
    old = legacy.old_pin(root / "requirements.txt")
    if old:  # it would install, then fail at every import: refuse before installing
        raise SetupError(legacy.pin_message(root / "requirements.txt", *old))
    version = workspace_python_version(root)
    env = environment_for(root)
    if not force and is_ready(env, version):
        return env
    if env.path != root / ".venv" and _foreign_folder(env.path):
        # IXON_VENV may point anywhere: never build into, or delete, what is not an environment.
        raise SetupError(
            f"{env.path} is a folder that is not a virtual environment: move it away, or set "
            f"{VENV_VARIABLE} to a new folder or an existing environment"
        )
    if env.python.exists() and interpreter_version(env.python) != version:
        echo(f"Removing {env.path}: it is not a Python {version} environment")
        shutil.rmtree(env.path)
    installer = choose_installer()
    if not env.python.exists():
        python = find_python(version)
        echo(f"Creating {env.path} with Python {version} ({python})")
        if installer == "uv":
            _run(["uv", "venv", "--seed", "--quiet", "--python", str(python), str(env.path)], root)
        else:
            _run([str(python), "-m", "venv", str(env.path)], root)
    tooling = locked_tooling(root)
    # A build of the tooling from a checkout keeps its version while its content (and so the
    # hash the lock names) changes: installed again only then. What is installed is recorded
    # beside the stamp and kept through a sync, so that a failed or concurrent one (workspaces
    # sharing an environment through IXON_VENV) never takes the tooling from under the others.
    changed_tooling = wheels.installed_hashes(env.path) != tooling
    if env.stamp.exists():
        env.stamp.unlink()
    uv = "uv"
    if installer == "bootstrap":
        uv = _bootstrap_uv(env, root, echo)
        installer = "uv" if uv else "pip"
    reason = lock.stale_reason(root)
    if reason:
        echo(f"Locking again: {reason}")
        # With pip alone the lock still needs uv: PATH's, else the environment gets the locked one.
        locker = uv if installer == "uv" else shutil.which("uv")
        locker = locker or _bootstrap_uv(env, root, echo, purpose="to lock")
        if not locker:
            raise SetupError(
                f"{reason}, and locking needs uv, which could not be installed: install uv "
                "(pipx install uv), then run `invoke lock`"
            )
        lock.lock(root, uv=locker, python=env.python, python_version=version, echo=echo)
    sync(
        env,
        root,
        installer="pip" if installer == "pip" else "uv",
        uv=uv,
        force=force,
        reinstall_tooling=changed_tooling,
        echo=echo,
    )
    wheels.record_installed(env.path, tooling)
    stamp = {"digest": requirements_digest(root, version), "installer": installer}
    env.stamp.write_text(json.dumps(stamp), encoding="utf-8")
    compile_tasks(env, root)
    echo(f"Environment ready: {env.path}")
    return env


def sync(
    env: Environment,
    root: Path,
    *,
    installer: str,
    uv: str = "uv",
    force: bool = False,
    reinstall_tooling: bool = False,
    echo=print,
) -> None:
    """Make `env` hold exactly what requirements-dev.txt locks (its seed packages aside).

    A workspace without declarations (from before the locks, or adopted as it was) has
    hand-written requirement files that need not name every dependency: those are installed,
    dependencies and all, and nothing is removed.
    """
    takes = "up to a minute" if installer == "pip" else "seconds"
    locked = bool(lock.declared_pairs(root))
    echo(
        f"{'Syncing' if locked else 'Installing into'} {env.path.name} "
        f"{'to' if locked else 'from'} {lock.DEVELOPMENT} with {installer} "
        f"(a first install takes {takes})"
    )
    if installer == "uv":
        # --compile-bytecode: as pip does, so no task compiles the tooling at its start
        command = [uv, "pip", "sync" if locked else "install", "--compile-bytecode"]
        command += ["--python", str(env.python)]
        if not locked:
            command.append("-r")
        if force:  # repair what an install over the top would leave broken
            command.append("--reinstall")
        elif locked and reinstall_tooling:
            command += ["--reinstall-package", wheels.TOOLING]
        _run([*command, lock.DEVELOPMENT], root)
        return
    # pip has no sync: install the lock (pip checks its hashes), then remove what it does not
    # name. pip's lines ("Collecting ...") are the progress of a long first install.
    command = [str(env.python), "-m", "pip", "install", "--disable-pip-version-check"]
    if force:
        command.append("--force-reinstall")
    _run([*command, "--progress-bar", "off", "-r", lock.DEVELOPMENT], root)
    if not locked:
        return
    extra = sorted(
        installed_names(env) - set(lock.read_lock(root / lock.DEVELOPMENT)) - SEED_PACKAGES
    )
    if extra:
        echo(f"Removing what {lock.DEVELOPMENT} no longer locks: {', '.join(extra)}")
        _run([str(env.python), "-m", "pip", "uninstall", "--yes", "--quiet", *extra], root)


def installed_names(env: Environment) -> set[str]:
    """The normalised names of the distributions installed in `env`."""
    listed = _run_quiet(
        [
            str(env.python),
            "-c",
            "import importlib.metadata as m; print('\\n'.join(d.metadata['Name'] or '' "
            "for d in m.distributions()))",
        ]
    )
    return {lock.normalise(name) for name in (listed or "").splitlines() if name.strip()}


def lock_workspace(root: Path, *, upgrade: bool = False, echo=print) -> list[str]:
    """Compile the declarations into their locks with uv (the one on PATH, else the one the
    environment holds); the names of the locks that changed."""
    version = workspace_python_version(root)
    env = environment_for(root)
    uv = shutil.which("uv")
    if uv is None:
        own = env.python.parent / ("uv.exe" if os.name == "nt" else "uv")
        if not own.exists():
            ensure(root, echo=echo)  # puts the locked uv into the environment
        uv = str(own) if own.exists() else None
    if uv is None:
        raise SetupError(
            "locking needs uv, and neither PATH nor the environment has it: install uv "
            "(pipx install uv) and run `invoke lock` again"
        )
    python = env.python if env.python.exists() else find_python(version)
    return lock.lock(root, uv=uv, python=python, python_version=version, upgrade=upgrade, echo=echo)


def choose_installer(environ: dict[str, str] | None = None) -> str:
    """`uv` when it is on PATH, `pip` when IXON_INSTALLER=pip, else `bootstrap`: pip installs
    uv into the new environment and uv installs the rest (much faster than pip alone)."""
    environ = dict(os.environ) if environ is None else environ
    if environ.get(INSTALLER_VARIABLE, "").strip().lower() == "pip":
        return "pip"
    if shutil.which("uv", path=environ.get("PATH")) is not None:
        return "uv"
    return "bootstrap"


def uv_requirement(root: Path) -> str:
    """The uv pin of requirements-dev.txt (`uv==X.Y.Z`), or plain `uv` when it has none."""
    with contextlib.suppress(OSError, UnicodeDecodeError):
        pin = lock.read_lock(root / lock.DEVELOPMENT).get("uv")
        if pin is not None:
            return f"uv=={pin.version}"
    return "uv"


def _bootstrap_uv(env: Environment, root: Path, echo, purpose: str = "first") -> str | None:
    """Install uv into `env` with pip; the path of its `uv`, or None (pip then does it all)."""
    uv = env.python.parent / ("uv.exe" if os.name == "nt" else "uv")
    if purpose != "first" and uv.exists():
        return str(uv)
    requirement = uv_requirement(root)
    echo(f"uv is not on PATH: installing {requirement} into the environment {purpose}")
    result = subprocess.run(
        [
            str(env.python),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
            requirement,
        ],
        cwd=root,
    )
    if result.returncode != 0 or not uv.exists():
        if purpose == "first":
            echo("uv could not be installed: pip installs the requirements instead")
        return None
    return str(uv)


def _foreign_folder(path: Path) -> bool:
    """Whether `path` is a folder with files in it that is not a virtual environment."""
    return path.is_dir() and not (path / "pyvenv.cfg").exists() and any(path.iterdir())


def _run(command: list[str], cwd: Path) -> None:
    result = subprocess.run(command, cwd=cwd, env=wheels.installer_environ(cwd))
    if result.returncode != 0:
        raise SetupError(
            f"`{' '.join(command[:4])} ...` failed with exit code {result.returncode}: "
            "read the output above, fix the cause and run `invoke setup` again"
        )


def _run_quiet(command: list[str]) -> str | None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else None


def compile_tasks(env: Environment, root: Path) -> None:
    """Byte-compile tasks.py and bootstrap.py for the environment's Python (the installers
    compile what they install): with PYTHONDONTWRITEBYTECODE set, Python would compile them again
    at every task. A file that cannot be compiled is compiled in memory at its import."""
    environ = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    command = [str(env.python), "-m", "compileall", "-q", "tasks.py", "bootstrap.py"]
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        subprocess.run(command, cwd=root, env=environ, capture_output=True, timeout=120)
