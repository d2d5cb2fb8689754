"""Node.js and npm for the UI Components: find them, check their versions, install packages.

Only workspaces with a `package.json` need Node; the Python half never does. `npm ci` installs
exactly what `package-lock.json` pins, with `--ignore-scripts` (no package's install script
runs) unless workspace.json says `"node_scripts": true`; a stamp in `node_modules/` (a hash of
both files) makes the next `invoke setup` quick when nothing changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ixon_devkit.errors import UserError
from ixon_devkit.workspace import files, workspace_file

#: The oldest Node.js the pinned SDK (vite 4, svelte 3) and npm's lock file version 3 work with.
MIN_NODE = (18, 0)
#: The oldest Node.js LTS still supported (`engines` in package.json): older ones get a warning.
SUPPORTED_NODE = (22, 0)
MIN_NPM = (8, 0)
PACKAGE_FILE = "package.json"
LOCK_FILE = "package-lock.json"
MODULES = "node_modules"
STAMP = ".devkit-installed"
#: npm's lifecycle scripts, which run code at install time (`npm ci` runs them for every package).
LIFECYCLE_SCRIPTS = (
    "preinstall",
    "install",
    "postinstall",
    "prepublish",
    "preprepare",
    "prepare",
    "postprepare",
    "dependencies",
)
#: `"node_scripts": true` in workspace.json lets `npm` run install scripts (off by default, as a
#: repository moved in, or any of its packages, must not run code on your machine unasked).
SCRIPTS_KEY = "node_scripts"
INSTALL_HINT = (
    "install Node.js {need} or newer (it comes with npm) from nodejs.org or your package "
    "manager, then run `invoke setup` again; `invoke serve --functions-only` works without it"
)


class NodeError(UserError):
    """Node.js or npm is missing, too old, or the install failed; the message says what to do."""


@dataclass(frozen=True)
class Node:
    """The `node` and `npm` programs found, with their versions."""

    node: Path
    npm: Path
    node_version: tuple[int, ...]
    npm_version: tuple[int, ...]

    def npx(self, *arguments: str) -> list[str]:
        """The command that runs a package's program from `node_modules/.bin` (`npx ...`)."""
        return [str(self.npm), "exec", "--no", "--", *arguments]


def _version(text: str) -> tuple[int, ...] | None:
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(part) for part in match.groups()) if match else None


def _ask(program: str) -> tuple[Path, tuple[int, ...]] | None:
    found = shutil.which(program)
    if not found:
        return None
    try:
        result = subprocess.run(
            [found, "--version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    version = _version(result.stdout)
    return (Path(found), version) if result.returncode == 0 and version else None


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)


def find() -> Node:
    """`node` and `npm` from PATH, new enough for the pinned SDK; else a NodeError."""
    need = _dotted(MIN_NODE)
    node = _ask("node")
    if node is None:
        raise NodeError(
            "the UI Components need Node.js and npm, and no `node` was found on PATH: "
            + INSTALL_HINT.format(need=need)
        )
    if node[1][:2] < MIN_NODE:
        raise NodeError(
            f"the UI Components need Node.js {need} or newer, found {_dotted(node[1])} "
            f"({node[0]}): " + INSTALL_HINT.format(need=need)
        )
    npm = _ask("npm")
    if npm is None:
        raise NodeError(
            f"the UI Components need npm, and none was found on PATH beside node {node[0]}: "
            + INSTALL_HINT.format(need=need)
        )
    if npm[1][:2] < MIN_NPM:
        raise NodeError(
            f"the UI Components need npm {_dotted(MIN_NPM)} or newer, found {_dotted(npm[1])}: "
            "run `npm install --global npm` or install a newer Node.js, then `invoke setup`"
        )
    return Node(node=node[0], npm=npm[0], node_version=node[1], npm_version=npm[1])


def wanted(root: Path) -> bool:
    """Whether the workspace has a Node half (a `package.json`)."""
    return (root / PACKAGE_FILE).is_file()


#: The parts of package.json that decide what gets installed (not its name or scripts).
_DEPENDENCY_KEYS = ("dependencies", "devDependencies", "optionalDependencies", "overrides")


def fingerprint(root: Path) -> str:
    """A hash of what `package.json` and its lock file ask to install.

    The workspace's own name and version are left out, so two workspaces with the same
    dependencies can share one installed `node_modules`.
    """
    wanted: dict[str, object] = {}
    for name in (PACKAGE_FILE, LOCK_FILE):
        try:
            data = json.loads((root / name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = None
        except ValueError as error:
            raise NodeError(f"{name} is not valid JSON ({error}): fix it") from None
        if isinstance(data, dict) and name == PACKAGE_FILE:
            data = {key: data.get(key) for key in _DEPENDENCY_KEYS}
        elif isinstance(data, dict):
            packages = dict(data.get("packages") or {})
            own = dict(packages.pop("", {}) or {})
            packages[""] = {key: own.get(key) for key in _DEPENDENCY_KEYS}
            data = {"lockfileVersion": data.get("lockfileVersion"), "packages": packages}
        wanted[name] = data
    text = json.dumps(wanted, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def up_to_date(root: Path) -> bool:
    """Whether `node_modules` holds what `package.json` and the lock file ask for."""
    stamp = root / MODULES / STAMP
    try:
        return stamp.read_text(encoding="utf-8").strip() == fingerprint(root)
    except OSError:
        return False


def install(root: Path, force: bool = False, quiet: bool = False) -> str:
    """Install the workspace's Node packages unless they are up to date; what was done.

    With a lock file this is `npm ci` (exactly the pinned versions; `--prefer-offline` uses
    npm's cache first); without one, `npm install`, which writes the lock file to commit.
    """
    if not wanted(root):
        return "no package.json: nothing to install"
    if not force and up_to_date(root):
        return "Node packages up to date"
    node = find()
    modules = root / MODULES
    if modules.is_symlink():
        # A link to node_modules shared with other workspaces: npm would empty the shared
        # folder and install into it; this workspace gets its own folder instead.
        print(f"{MODULES} links to {os.readlink(modules)}, which does not match: installing here")
        modules.unlink()
    if node.node_version[:2] < SUPPORTED_NODE:
        print(
            f"WARNING: Node.js {_dotted(node.node_version)} is past its end of life: install "
            f"Node.js {SUPPORTED_NODE[0]} or newer (an LTS: 22 or 24)"
        )
    has_lock = (root / LOCK_FILE).is_file()
    command = [str(node.npm), "ci" if has_lock else "install", "--prefer-offline"]
    command += ["--no-audit", "--no-fund"]
    if not scripts_allowed(root):
        command.append("--ignore-scripts")
    if quiet:
        command.append("--loglevel=error")
    print(f"Installing Node packages ({' '.join(command[1:])}): about 20 s the first time")
    result = subprocess.run(command, cwd=root, env=_npm_environment(), check=False)
    if result.returncode != 0:
        raise NodeError(
            f"npm {command[1]} failed (exit {result.returncode}, its messages above): fix "
            "package.json or the lock file, or check the npm registry settings, then run "
            "`invoke setup` again"
        )
    if modules.is_dir():
        files.write_atomic(modules / STAMP, fingerprint(root) + "\n")
    return f"Node packages installed with npm {command[1]}"


def scripts_allowed(root: Path) -> bool:
    """Whether workspace.json allows npm's install scripts (`"node_scripts": true`)."""
    try:
        return workspace_file.read(root).get(SCRIPTS_KEY) is True
    except workspace_file.WorkspaceFileError:
        return False


def audit(root: Path) -> tuple[str, bool]:
    """`npm audit` of the lock file: (one line of what it found, whether any was found).

    When the registry's advisory service cannot be reached (or is not offered, as by some
    mirrors), the line says so and nothing fails.
    """
    node = find()
    command = [str(node.npm), "audit", "--json", "--package-lock-only"]
    result = subprocess.run(
        command, cwd=root, env=_npm_environment(), capture_output=True, text=True, check=False
    )
    try:
        report = json.loads(result.stdout or "{}")
    except ValueError:
        report = {}
    counts = (report.get("metadata") or {}).get("vulnerabilities")
    if not isinstance(counts, dict):
        error = report.get("error") or {}
        why = (
            report.get("message")
            or error.get("summary")
            or error.get("code")
            or result.stderr.strip()
            or "no answer"
        )
        why = " ".join(str(why).split())[:200]
        return (
            f"WARNING: npm's advisory service cannot be reached, so the Node packages were not "
            f"audited ({why}): run `invoke audit` again where it can be reached",
            False,
        )
    total = int(counts.get("total", 0))
    if not total:
        return "npm audit: no known vulnerabilities in package-lock.json", False
    levels = ", ".join(
        f"{counts[level]} {level}"
        for level in ("critical", "high", "moderate", "low", "info")
        if counts.get(level)
    )
    subprocess.run([str(node.npm), "audit", "--package-lock-only"], cwd=root, check=False)
    return f"npm audit: {total} known vulnerabilities in package-lock.json ({levels})", True


def _npm_environment() -> dict[str, str]:
    env = dict(os.environ)
    # npm prints an update notice to stderr that would read like a problem.
    env.setdefault("NPM_CONFIG_UPDATE_NOTIFIER", "false")
    return env


def ensure(root: Path) -> Node:
    """Node and npm, with the workspace's packages installed (for serve and bundle)."""
    node = find()
    if not up_to_date(root):
        install(root)
    return node
