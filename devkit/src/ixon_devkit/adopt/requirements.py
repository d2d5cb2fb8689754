"""Merging the app's requirements into the workspace's so that the result installs.

The workspace's requirement files lock the runtime (ixoncdkingress and what it needs) and the
development tools. Where the app pins one of those packages differently, the workspace's pin
wins (one version must serve both, and the runtime is tested with its own) and the choice is
named. Lines adopt cannot carry (`-e .`, `x @ file://...`, `-r ../other.txt`, options) are
named one by one. The merged set is then resolved with uv, the installer `invoke setup` uses,
before anything is written: a set that cannot install is refused, and each requirement the app
left unpinned is pinned to the version that resolved. The lines are read by `packaging`
(`ixon_devkit.workspace.lock.requirement`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ixon_devkit.adopt import production
from ixon_devkit.adopt import source as app
from ixon_devkit.adopt.model import AdoptError, Options, Plan, put_merged
from ixon_devkit.adopt.requirement_lines import Requirement, parse
from ixon_devkit.errors import UserError
from ixon_devkit.workspace import environment, legacy, lock, wheels, workspace_file

DEV_REQUIREMENTS = (
    "requirements-dev.txt",
    "requirements_dev.txt",
    "dev-requirements.txt",
    "requirements-test.txt",
)
FROM_APP = "# from the adopted app (invoke adopt)"
RUNTIME = "ixoncdkingress"
#: Seconds uv may take to resolve the merged set (it asks the package index).
RESOLVE_TIMEOUT = 300
#: The box-drawing characters around uv's messages (a multiplication sign, corners, arrows).
_UV_DECORATION = " |\u00d7\u2570\u2500\u25b6"


def _read(path: Path) -> list[Requirement]:
    return parse(path.read_text(encoding="utf-8")) if path.is_file() else []


@dataclass(frozen=True)
class Files:
    """Where the workspace declares its requirements: `requirements.in` and
    `requirements-dev.in` (locked into the `.txt` files by uv), or, in a workspace without
    declarations, the `.txt` files themselves."""

    main: str
    dev: str

    @property
    def declared(self) -> bool:
        return self.main.endswith(".in")

    @classmethod
    def of(cls, root: Path) -> Files:
        pairs = dict(lock.PAIRS)
        main, dev = pairs[lock.PRODUCTION], pairs[lock.DEVELOPMENT]
        if (root / main).is_file() and (root / dev).is_file():
            return cls(main, dev)
        return cls(lock.PRODUCTION, lock.DEVELOPMENT)


def merge(
    root: Path, result: Plan, base: Path | None, options: Options, functions: dict[str, bytes]
) -> None:
    """Plan the workspace's requirement files with the app's (at `base`) merged in, and the
    development pins its `functions` import declared for production."""
    if base is None:
        return
    main_path = base / "requirements.txt"
    main_text = app.text(result, main_path)
    dev_path = next((base / n for n in DEV_REQUIREMENTS if (base / n).is_file()), None)
    dev_text = app.text(result, dev_path) if dev_path else None
    if main_text is None and not main_path.exists():
        result.left.append("the app has no requirements.txt: the workspace's is kept as it is")
    files = Files.of(root)
    ours_main, ours_dev = _read(root / files.main), _read(root / files.dev)
    locked = _locked(root, ours_main + ours_dev)
    shown_main = f"{app.shown(result, main_path)} of the app"
    in_main = frozenset(r.name for r in ours_main)
    added_main = _take(
        result, parse(main_text or ""), locked, shown_main, in_main=in_main, production=True
    )
    taken = {r.name: r for r in added_main if r.name}
    if files.declared:
        added_main += [
            Requirement(name, line)
            for name, line in production.needed(root, result, functions, in_main | set(taken))
        ]
    shown_dev = f"{app.shown(result, dev_path)} of the app" if dev_path else ""
    added_dev = _take(result, parse(dev_text or ""), {**locked, **taken}, shown_dev)
    if not added_main and not added_dev:
        return
    empty_dev = (
        "-r requirements.in\n-c requirements.txt\n" if files.declared else "-r requirements.txt\n"
    )
    main = _with_lines(root / files.main, added_main, "")
    dev = _with_lines(root / files.dev, added_dev, empty_dev)
    locks = lock_together(root, main, dev) if files.declared else None
    if locks:
        resolved: dict[str, str] | None = _versions(locks[lock.DEVELOPMENT])
    else:
        resolved = None if files.declared else resolve(root, main, dev)
    if resolved is None:
        _unresolved(root, result, added_main + added_dev)
    else:
        added_main = _pinned(result, added_main, resolved)
        added_dev = _pinned(result, added_dev, resolved)
        main = _with_lines(root / files.main, added_main, "")
        dev = _with_lines(root / files.dev, added_dev, empty_dev)
        result.done.append("the merged requirements resolve together (checked with uv)")
    relock = " (locked with uv, as `invoke lock` does)" if locks else ""
    if added_main and put_merged(root, result, files.main, main.encode(), options):
        result.done.append(f"{files.main}: added {', '.join(r.spec for r in added_main)}{relock}")
    if added_dev and put_merged(root, result, files.dev, dev.encode(), options):
        result.done.append(
            f"{files.dev}: added {', '.join(r.spec for r in added_dev)} (from {shown_dev}){relock}"
        )
    _write_locks(root, result, locks or {})


def _locked(root: Path, declared: list[Requirement]) -> dict[str | None, Requirement]:
    """What the workspace pins: its declarations, then every pin of its locks."""
    locked = {r.name: r for r in declared if r.name}
    for name in (lock.PRODUCTION, lock.DEVELOPMENT):
        for key, pin in lock.read_lock(root / name).items():
            locked.setdefault(key, Requirement(key, pin.line()))
    return locked


def _write_locks(root: Path, result: Plan, locks: dict[str, str]) -> None:
    """Plan the locks uv wrote (made from the declarations, never recorded as adopt's), and
    name every pin of the workspace they move."""
    for name, text in locks.items():
        path = root / name
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        result.writes[name] = text.encode("utf-8")
        result.derived.add(name)
        before, after = _versions(_read_text(path)), _versions(text)
        moved = [
            f"{key} {version} -> {after[key]}"
            for key, version in sorted(before.items())
            if key in after and after[key] != version
        ]
        if moved:
            result.done.append(
                f"{name}: the app's requirements move the lock's {', '.join(moved)} (uv's "
                "choice, within what ixoncdkingress and the tools allow; declare a pin in "
                "requirements.in to hold one)"
            )


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _unresolved(root: Path, result: Plan, added: list[Requirement]) -> None:
    unpinned = [r.spec for r in added if not r.pin]
    result.left.append(
        "the merged requirements were not resolved (uv or Python "
        f"{environment.workspace_python_version(root)} was not found): `invoke setup` "
        "resolves them" + (f"; pin {', '.join(unpinned)} with ==" if unpinned else "")
    )


def _take(
    result: Plan,
    theirs: list[Requirement],
    locked: dict[str, Requirement],
    shown: str,
    *,
    in_main: frozenset[str | None] = frozenset(),
    production: bool = False,
) -> list[Requirement]:
    """The app's requirements to add; every line not added (other than a repeat) is named."""
    added: list[Requirement] = []
    for requirement in theirs:
        name, spec = requirement.name, requirement.spec
        if name is None:
            if spec and not spec.startswith("#") and not _links_main(spec):
                result.left.append(
                    f"{shown}: {spec!r} not brought in (adopt carries only requirements "
                    "from the package index, each pinned with ==; IXON Cloud installs only "
                    "those): add what it stands for by hand"
                )
            continue
        if name == RUNTIME:
            if production:
                _runtime_pin(result, requirement, locked.get(name), shown)
            continue
        ours = locked.get(name)
        if ours is not None:
            if ours.pin != requirement.pin or (ours.pin is None and ours.spec != spec):
                result.done.append(
                    f"{shown} pins {spec}; the workspace locks {ours.spec} for the runtime or "
                    f"its tools: kept {ours.spec} (one version must serve both)"
                )
            if production and name not in in_main and ours not in added:
                added.append(ours)  # the app needs it in IXON Cloud too: the locked version
            continue
        added.append(requirement)
        locked[name] = requirement
    return added


def _links_main(spec: str) -> bool:
    """`-r requirements.txt`: the development file's link to the main one, which the
    workspace's development file has too."""
    return re.fullmatch(r"(-r|--requirement)\s*(\./)?requirements\.txt", spec) is not None


def _runtime_pin(result: Plan, theirs: Requirement, ours: Requirement | None, shown: str) -> None:
    pin, kept = theirs.pin, ours.spec if ours else "its pin"
    if pin and pin.startswith("0.0."):
        carries = (
            " (that release already has the 1.x modules, ixoncdkingress.function, on Python 3.10)"
            if pin in legacy.CARRIES_1X
            else ""
        )
        result.done.append(
            f"{shown} pinned ixoncdkingress=={pin} (0.0.x){carries}; the workspace keeps "
            f"{kept}, the 1.x runtime"
        )
    elif ours is not None and pin != ours.pin:
        result.done.append(
            f"{shown} pins {theirs.spec}; the workspace keeps {kept} (its tooling is tested "
            "with that one): change it on purpose if you need the other"
        )


def _pinned(
    result: Plan, requirements: list[Requirement], resolved: dict[str, str]
) -> list[Requirement]:
    """`requirements` with each unpinned one pinned to what resolved (named)."""
    pinned = []
    for requirement in requirements:
        version = resolved.get(requirement.name or "")
        if requirement.pin or not version:
            pinned.append(requirement)
            continue
        found = lock.requirement(requirement.spec)
        extras = f"[{','.join(sorted(found.extras))}]" if found and found.extras else ""
        marker = requirement.spec.partition(";")[2].strip()
        line = f"{found.name if found else requirement.name}{extras}=={version}"
        line += f"; {marker}" if marker else ""
        result.done.append(f"pinned {requirement.spec} to {line} (what resolved)")
        pinned.append(Requirement(requirement.name, line))
    return pinned


def _with_lines(path: Path, added: list[Requirement], empty: str) -> str:
    """The requirements file at `path` (`empty` when there is none) with `added` at its end,
    under the line that says they came from the app."""
    text = path.read_text(encoding="utf-8") if path.is_file() else empty
    if not added:
        return text
    lines = "\n".join(r.spec for r in added)
    return text.rstrip("\n") + "\n" + FROM_APP + "\n" + lines + "\n"


def find_uv(root: Path) -> str | None:
    """uv on PATH, else the one `invoke setup` put into the workspace's environment."""
    found = shutil.which("uv")
    if found:
        return found
    folder = environment.environment_for(root).python.parent
    local = folder / ("uv.exe" if os.name == "nt" else "uv")
    return str(local) if local.exists() else None


def lock_together(root: Path, main: str, dev: str) -> dict[str, str] | None:
    """The two locks for the merged declarations (lock name -> text), made by `invoke lock`'s
    own code in a copy of the workspace's requirement files (keeping its locked pins where
    they fit); None without uv or Python.

    Raises AdoptError, naming uv's reason, when the declarations cannot install together.
    """
    uv = find_uv(root)
    version = environment.workspace_python_version(root)
    try:
        python = environment.environment_for(root).python
        python = python if python.exists() else environment.find_python(version)
    except UserError:
        return None
    if uv is None:
        return None
    files = Files.of(root)
    with tempfile.TemporaryDirectory(prefix="adopt-") as folder:
        Path(folder, files.main).write_text(main, encoding="utf-8")
        Path(folder, files.dev).write_text(dev, encoding="utf-8")
        # The locks (pins kept where they fit) and workspace.json (what locking reads there).
        for name in (*dict(lock.PAIRS), workspace_file.FILE):
            if (root / name).is_file():
                shutil.copyfile(root / name, Path(folder, name))
        if (root / wheels.WHEELS).is_dir():  # the tooling's wheel of a bake from a checkout
            shutil.copytree(root / wheels.WHEELS, Path(folder, wheels.WHEELS))
        try:
            lock.lock(Path(folder), uv=uv, python=python, python_version=version, echo=_quiet)
        except lock.LockError as error:
            raise AdoptError(
                f"the app's requirements cannot install beside the workspace's ({error}): "
                "change the app's pins named there and adopt again; nothing was written"
            ) from None
        return {name: Path(folder, name).read_text(encoding="utf-8") for name, _ in lock.PAIRS}


def _quiet(*_: object, **__: object) -> None:
    """Locking's progress lines, not shown: adopt says what the locks became."""


def _versions(text: str) -> dict[str, str]:
    """The versions a lock (or uv's output) pins, by normalised name."""
    return {name: pin.version for name, pin in lock.parse_lock(text).items() if pin.version}


def _unsatisfiable(ran: subprocess.CompletedProcess[str], moment: str | None = None) -> str:
    reason = " ".join(line.strip(_UV_DECORATION) for line in ran.stderr.splitlines()).strip()
    later = (
        f" (the workspace locks as of {moment}, its {lock.MOMENT_KEY}: for a release published "
        "since, run `invoke lock --upgrade` first)"
        if moment
        else ""
    )
    return (
        f"the app's requirements cannot install beside the workspace's (uv: {reason}){later}: "
        "change the app's pins named there and adopt again; nothing was written"
    )


def _run(
    command: list[str], folder: str, environ: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            command,
            cwd=folder,
            env=environ,
            capture_output=True,
            text=True,
            timeout=RESOLVE_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise AdoptError(
            f"uv could not resolve the merged requirements ({error}): run again; nothing was "
            "written"
        ) from None


def resolve(
    root: Path, main: str, dev: str, target: str = "requirements-dev.txt"
) -> dict[str, str] | None:
    """The versions uv resolves for `target`, one of the two files (name -> version); None
    without uv.

    Raises AdoptError, naming uv's reason, when they cannot install together.
    """
    uv = find_uv(root)
    if uv is None:
        return None
    version = environment.workspace_python_version(root)
    with tempfile.TemporaryDirectory(prefix="adopt-") as folder:
        Path(folder, "requirements.txt").write_text(main, encoding="utf-8")
        Path(folder, "requirements-dev.txt").write_text(dev, encoding="utf-8")
        command = [uv, "pip", "compile", target, "--python-version", version]
        command += ["--no-header", "--no-annotate", "--quiet"]
        # uv's cache first (seconds faster); the package index when the cache lacks something.
        environ = wheels.installer_environ(root)
        ran = _run([*command, "--offline"], folder, environ)
        if ran.returncode != 0:
            ran = _run(command, folder, environ)
    if ran.returncode != 0:
        raise AdoptError(_unsatisfiable(ran))
    return _versions(ran.stdout)
