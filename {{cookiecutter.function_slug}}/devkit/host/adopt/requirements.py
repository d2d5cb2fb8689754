"""Merging the app's requirements into the workspace's so that the result installs.

The workspace's requirement files lock the runtime (ixoncdkingress and what it needs) and the
development tools. Where the app pins one of those packages differently, the workspace's pin
wins (one version must serve both, and the runtime is tested with its own) and the choice is
named. Lines adopt cannot carry (`-e .`, `x @ file://...`, `-r ../other.txt`, options) are
named one by one. The merged set is then resolved with uv, the installer `invoke setup` uses,
before anything is written: a set that cannot install is refused, and each requirement the app
left unpinned is pinned to the version that resolved. Standard library only.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from devkit.host import environment, legacy
from devkit.host.adopt import source as app
from devkit.host.adopt.model import AdoptError, Options, Plan, put_merged

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
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")
_VERSION_START = re.compile(r"^(==|>=|<=|~=|!=|<|>|===|;|$)")
#: The box-drawing characters around uv's messages (a multiplication sign, corners, arrows).
_UV_DECORATION = " |\u00d7\u2570\u2500\u25b6"
_RESOLVED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;]+)")


@dataclass(frozen=True)
class Requirement:
    """One line of a requirements file: a project name when the line is a plain requirement."""

    name: str | None
    line: str

    @property
    def pin(self) -> str | None:
        found = re.search(r"(?<![=<>!~])==\s*([^\s;#,]+)", self.line)
        return found.group(1) if found and "," not in self.spec else None

    @property
    def spec(self) -> str:
        return re.sub(r"\s+#.*$", "", self.line).strip()


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse(text: str) -> list[Requirement]:
    """The lines of a requirements file (a comment or an option has no name)."""
    found = []
    for raw in text.splitlines():
        line = raw.strip()
        bare = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not bare or bare.startswith("-"):
            found.append(Requirement(None, line))
            continue
        match = _NAME.match(bare)
        rest = match.group(3).strip() if match else ""
        if not match or not _VERSION_START.match(rest):
            found.append(Requirement(None, line))  # a URL, a path, `x @ file://...`
            continue
        found.append(Requirement(normalise(match.group(1)), line))
    return found


def _read(path: Path) -> list[Requirement]:
    return parse(path.read_text(encoding="utf-8")) if path.is_file() else []


def merge(root: Path, result: Plan, base: Path | None, options: Options) -> None:
    """Plan the workspace's requirement files with the app's (at `base`) merged in."""
    if base is None:
        return
    main_path = base / "requirements.txt"
    main_text = app.text(result, main_path)
    dev_path = next((base / n for n in DEV_REQUIREMENTS if (base / n).is_file()), None)
    dev_text = app.text(result, dev_path) if dev_path else None
    if main_text is None and not main_path.exists():
        result.left.append("the app has no requirements.txt: the workspace's is kept as it is")
    if main_text is None and dev_text is None:
        return
    ours_main, ours_dev = _read(root / "requirements.txt"), _read(root / "requirements-dev.txt")
    locked = {r.name: r for r in ours_main + ours_dev if r.name}
    shown_main = f"{app.shown(result, main_path)} of the app"
    added_main = _take(
        result,
        parse(main_text or ""),
        locked,
        shown_main,
        in_main=frozenset(r.name for r in ours_main),
        production=True,
    )
    taken = {r.name: r for r in added_main if r.name}
    shown_dev = f"{app.shown(result, dev_path)} of the app" if dev_path else ""
    added_dev = _take(result, parse(dev_text or ""), {**locked, **taken}, shown_dev)
    if not added_main and not added_dev:
        return
    main = _with_lines(root / "requirements.txt", added_main, "")
    dev = _with_lines(root / "requirements-dev.txt", added_dev, "-r requirements.txt\n")
    resolved = resolve(root, main, dev)
    if resolved is None:
        unpinned = [r.spec for r in added_main + added_dev if not r.pin]
        if unpinned:
            result.left.append(
                f"not pinned: {', '.join(unpinned)}: pin each with == (uv was not found to "
                "resolve them; `invoke setup` installs uv)"
            )
    else:
        added_main = _pinned(result, added_main, resolved)
        added_dev = _pinned(result, added_dev, resolved)
        main = _with_lines(root / "requirements.txt", added_main, "")
        dev = _with_lines(root / "requirements-dev.txt", added_dev, "-r requirements.txt\n")
        result.done.append("the merged requirements resolve together (checked with uv)")
    if added_main and put_merged(root, result, "requirements.txt", main.encode(), options):
        result.done.append(f"requirements.txt: added {', '.join(r.spec for r in added_main)}")
    if added_dev and put_merged(root, result, "requirements-dev.txt", dev.encode(), options):
        result.done.append(
            f"requirements-dev.txt: added {', '.join(r.spec for r in added_dev)} (from {shown_dev})"
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
        match = _NAME.match(requirement.spec)
        extras = match.group(2) or "" if match else ""
        marker = requirement.spec.partition(";")[2].strip()
        line = f"{match.group(1) if match else requirement.name}{extras}=={version}"
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


def _run(command: list[str], folder: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            command, cwd=folder, capture_output=True, text=True, timeout=RESOLVE_TIMEOUT
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
        ran = _run([*command, "--offline"], folder)
        if ran.returncode != 0:
            ran = _run(command, folder)
    if ran.returncode != 0:
        reason = " ".join(line.strip(_UV_DECORATION) for line in ran.stderr.splitlines()).strip()
        raise AdoptError(
            f"the app's requirements cannot install beside the workspace's (uv: {reason}): "
            "change the app's pins named there and adopt again; nothing was written"
        )
    return {
        normalise(match.group(1)): match.group(2)
        for match in (_RESOLVED.match(line.strip()) for line in ran.stdout.splitlines())
        if match
    }
