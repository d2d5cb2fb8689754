"""The locks: what the user declares (`requirements*.in`), compiled into every pin.

Two pairs, each a declaration and its lock:

- `requirements.in` -> `requirements.txt`: what the function needs in IXON Cloud. The bundle
  ships this lock as it is. Every transitive pin, with the markers of Linux, macOS and
  Windows, but no hashes: IXON Cloud's install of the archive is not documented (what tool,
  what flags, whether it adds requirements of its own), and pip's hash-checking mode is all or
  nothing, so one requirement added on IXON's side without a hash would fail the deploy.
- `requirements-dev.in` -> `requirements-dev.txt`: the development environment (the production
  declaration, constrained to the production lock, plus the tools), with sha256 hashes that
  `uv pip sync` (and pip) check on every install.

`uv pip compile --universal` writes both; the same declarations give the same bytes, today and
next month: uv resolves as of the moment recorded as `lock_moment` in `workspace.json` (given to
uv as UV_EXCLUDE_NEWER: what the package index published later is not seen, and uv keeps the
pins of the existing lock), and only `invoke lock --upgrade` moves that moment to now. A lock
that a dependency-update pull request compiled without the moment is not taken back to older
releases: `invoke lock` says to move the moment instead. Whether a lock still fits its
declaration is read from the lock itself (uv's `# via -r FILE` notes), so a lock that
Dependabot or a teammate regenerated needs nothing else. Requirement lines are read by
`packaging` (PEP 508), a direct reference (`name @ https://...`, `name @ file://...`) included.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ixon_devkit.errors import UserError
from ixon_devkit.workspace import files, wheels, workspace_file

PRODUCTION = "requirements.txt"
DEVELOPMENT = "requirements-dev.txt"
#: Each lock and the declaration it is compiled from, in the order they are compiled (the
#: development declaration is constrained to the production lock).
PAIRS = ((PRODUCTION, "requirements.in"), (DEVELOPMENT, "requirements-dev.in"))
#: Only the development lock carries hashes (see the module's docstring).
HASHED = {DEVELOPMENT}


#: The setting of `workspace.json` that holds the moment the locks are resolved as of.
MOMENT_KEY = "lock_moment"
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


class LockError(UserError):
    """A lock that cannot be made or read; the message says what to do."""


def recorded_moment(root: Path) -> str | None:
    """The `lock_moment` of the workspace at `root` (a UTC time like 2026-12-06T10:00:00Z), or
    None when it records none (a workspace from before the setting)."""
    try:
        value = workspace_file.read(root).get(MOMENT_KEY)
    except workspace_file.WorkspaceFileError as error:
        raise LockError(str(error)) from None
    if value is None:
        return None
    if not isinstance(value, str) or not _MOMENT.fullmatch(value):
        raise LockError(
            f'"{MOMENT_KEY}" in {workspace_file.FILE} must be a UTC time like '
            f'"2026-12-06T10:00:00Z", not {value!r}: fix it, or run `invoke lock --upgrade` '
            "to set it to now"
        )
    return value


def now_moment() -> str:
    """The current UTC time, to the second, as `lock_moment` holds it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Pin:
    """One locked requirement: `name==version ; marker` (or a direct reference, `name @ url`,
    whose version is ""), and what asked for it."""

    name: str
    version: str
    marker: str = ""
    hashes: tuple[str, ...] = ()
    via: tuple[str, ...] = field(default=(), compare=False)
    url: str = ""

    def line(self) -> str:
        """`name==version`, or `name @ url` for a direct reference."""
        return f"{self.name} @ {self.url}" if self.url else f"{self.name}=={self.version}"


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them (`PyYAML` and `pyyaml` are one)."""
    return canonicalize_name(name)


def requirement(line: str) -> Requirement | None:
    """The PEP 508 requirement of a line (its `# comment` and options such as `--hash` left
    out), or None when the line is none (an option, an include, a path)."""
    text = _bare(line)
    try:
        return Requirement(text) if text and not text.startswith("-") else None
    except InvalidRequirement:
        return None


def _bare(line: str) -> str:
    """A requirement line without its `# comment` and `--hash` options."""
    text = re.sub(r"(^|\s)#.*$", "", line)
    return re.sub(r"(^|\s)--hash[=\s]\S+", "", text).strip()


def exact_version(found: Requirement) -> str | None:
    """The version `found` pins with one `==` (or `===`), else None."""
    specifiers = list(found.specifier)
    if found.url or len(specifiers) != 1 or specifiers[0].operator not in ("==", "==="):
        return None
    version = specifiers[0].version
    return None if version.endswith(".*") else version


def read_lock(path: Path) -> dict[str, Pin]:
    """The pins of a lock file (as uv or pip-compile writes them), by normalised name."""
    if not path.is_file():
        return {}
    return parse_lock(path.read_text(encoding="utf-8"))


def parse_lock(text: str) -> dict[str, Pin]:
    """The pins of a lock's text, by normalised name."""
    entries: dict[str, tuple[Pin, list[str]]] = {}
    notes: list[str] | None = None  # the `# via` notes of the pin just read
    for line in _logical_lines(text):
        stripped = line.strip()
        if stripped.startswith("#"):
            note = stripped.lstrip("#").strip()
            note = note[len("via") :].strip() if note.startswith("via") else note
            if notes is not None and note:
                notes.append(note)
            continue
        found = requirement(stripped)
        version = exact_version(found) if found else None
        if found is None or (version is None and not found.url):
            notes = None
            continue
        pin = Pin(
            name=normalise(found.name),
            version=version or "",
            # The marker as the lock writes it (packaging would rewrite its quotes).
            marker=_bare(stripped).rpartition(";")[2].strip() if found.marker else "",
            hashes=tuple(re.findall(r"--hash=(\S+)", stripped)),
            url=found.url or "",
        )
        notes = []
        entries[pin.name] = (pin, notes)
    return {name: replace(pin, via=tuple(via)) for name, (pin, via) in entries.items()}


def read_declaration(path: Path) -> dict[str, Requirement]:
    """The requirements a declaration names, by normalised name; files it includes with `-r`
    count as part of it (constraints and options shape the lock, they declare nothing)."""
    declared: dict[str, Requirement] = {}
    for _, text in _declaration_lines(path, set()):
        found = requirement(text)
        if found is not None:
            declared[normalise(found.name)] = found
    return declared


def declaration_files(path: Path) -> list[str]:
    """The file names of a declaration and of everything it includes with `-r`."""
    files: list[str] = []
    for name, _ in _declaration_lines(path, set()):
        if name not in files:
            files.append(name)
    return files


def _declaration_lines(path: Path, seen: set[Path]):
    """(file name, line without its comment) of a declaration, `-r` includes followed in
    place; a file yields ("name", "") first, so one with no requirement is still named."""
    if path in seen or not path.is_file():
        return
    seen.add(path)
    yield path.name, ""
    for line in _logical_lines(path.read_text(encoding="utf-8")):
        text = re.sub(r"(^|\s)#.*$", "", line).strip()
        include = re.match(r"(?:-r|--requirement)\s*=?\s*(\S+)$", text)
        if include:
            yield from _declaration_lines(path.parent / include[1], seen)
        elif text:
            yield path.name, text


def _logical_lines(text: str) -> list[str]:
    """Lines with `\\` continuations joined, as pip reads them."""
    return re.sub(r"\\\r?\n", " ", text).splitlines()


def stale_reason(root: Path) -> str | None:
    """Why a lock no longer fits its declaration (one line), or None when every lock fits.

    A pair without a declaration is a lock written by hand: nothing to compare it with.
    """
    production = read_lock(root / PRODUCTION)
    for lock_name, declaration_name in declared_pairs(root):
        reason = pair_stale_reason(root / lock_name, root / declaration_name)
        if reason is None and lock_name != PRODUCTION:
            pins = read_lock(root / lock_name)
            for name, pin in production.items():
                other = pins.get(name)
                if other is not None and other.version != pin.version:
                    reason = f"{PRODUCTION} pins {name}=={pin.version}, {lock_name} {other.version}"
                    break
        if reason:
            return reason
    return None


def pair_stale_reason(lock_path: Path, declaration: Path) -> str | None:
    """Why the lock at `lock_path` does not fit `declaration`, or None when it does."""
    pins = read_lock(lock_path)
    if not pins:
        return f"{lock_path.name} is not locked yet"
    sources = {f"-r {name}" for name in declaration_files(declaration)}
    declared = read_declaration(declaration)
    for name, wanted in declared.items():
        pin = pins.get(name)
        if pin is None:
            return f"{name} is declared in {declaration.name} but not in {lock_path.name}"
        if not _fits(pin, wanted):
            asked = f"{name} @ {wanted.url}" if wanted.url else f"{name}{wanted.specifier}"
            pinned = pin.version or pin.url
            return f"{declaration.name} asks for {asked}, {lock_path.name} pins {pinned}"
    for name, pin in pins.items():
        if name not in declared and sources & set(pin.via):
            return f"{name} left {declaration.name} but {lock_path.name} still pins it"
    return None


def _fits(pin: Pin, wanted: Requirement) -> bool:
    """Whether `pin` is what `wanted` asks for: a direct reference for a direct reference, a
    version its specifiers allow (a version packaging cannot read is not judged)."""
    if wanted.url or pin.url:
        return bool(wanted.url) == bool(pin.url)
    try:
        return wanted.specifier.contains(Version(pin.version), prereleases=True)
    except InvalidVersion:
        return True


def declared_pairs(root: Path) -> list[tuple[str, str]]:
    """The (lock, declaration) pairs whose declaration exists in the workspace."""
    return [(lock, declaration) for lock, declaration in PAIRS if (root / declaration).is_file()]


def compile_command(uv: str, lock: str, declaration: str, python_version: str) -> list[str]:
    """The uv command that writes `lock` from `declaration` (what the lock's header shows; the
    moment goes to uv as UV_EXCLUDE_NEWER, so a dependency-update bot that runs the header's
    command again is not held at it)."""
    command = [uv, "pip", "compile", "--universal", "--python-version", python_version]
    if lock in HASHED:
        command.append("--generate-hashes")
    return [*command, declaration, "-o", lock]


def lock(
    root: Path,
    *,
    uv: str,
    python: Path,
    python_version: str,
    upgrade: bool = False,
    echo=print,
) -> list[str]:
    """Compile every declared pair with uv; the names of the locks whose bytes changed.

    Resolves as of the workspace's `lock_moment`; `upgrade` (or a workspace that records none)
    sets it to now first, and the new moment is recorded only when every lock was written. On a
    failure every lock keeps its old bytes. `python` is the interpreter uv resolves with (so it
    never goes looking for, or downloading, one); it does not appear in the lock.
    """
    pairs = declared_pairs(root)
    if not pairs:
        raise LockError(
            "no requirements.in or requirements-dev.in here: declare what the workspace "
            "needs there (one requirement a line), then run `invoke lock`"
        )
    recorded = recorded_moment(root)
    moment = now_moment() if upgrade or recorded is None else recorded
    environ = {
        **wheels.installer_environ(root),
        "UV_PYTHON": str(python),
        "UV_PYTHON_DOWNLOADS": "never",
    }
    environ.update(wheels.tooling_unheld(root, environ))
    environ.pop("VIRTUAL_ENV", None)
    before = {
        name: (root / name).read_bytes() if (root / name).is_file() else None for name, _ in pairs
    }
    changed = []
    try:
        for lock_name, declaration in pairs:
            command = compile_command(uv, lock_name, declaration, python_version)
            if upgrade:
                command.append("--upgrade")
            echo(f"Locking {declaration} into {lock_name} (as of {moment})")
            hint = None if upgrade else moment  # what a failure's message names
            _compile(root, command, declaration, {**environ, "UV_EXCLUDE_NEWER": moment}, hint)
            if (root / lock_name).read_bytes() != before[lock_name]:
                changed.append(lock_name)
                if not upgrade:
                    held = _held_back(root, lock_name, before[lock_name], command, environ)
                    if held:
                        raise LockError(_held_back_message(lock_name, *held, moment))
    except BaseException:
        _restore(root, before)
        raise
    if moment != recorded:
        workspace_file.set_value(root, MOMENT_KEY, moment)
        echo(f'Recorded "{MOMENT_KEY}": "{moment}" in {workspace_file.FILE}')
    return changed


def _compile(
    root: Path, command: list[str], declaration: str, environ: dict[str, str], moment: str | None
) -> None:
    """Run uv's compile `command` of `declaration` in `root`; LockError naming uv's reason
    (and `moment`, the one it resolved as of, if a newer release may be the cause)."""
    result = subprocess.run(
        [*command, "--quiet"], cwd=root, env=environ, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise LockError(_failure(declaration, result, moment))


def _held_back(
    root: Path, lock_name: str, before: bytes | None, command: list[str], environ: dict[str, str]
) -> tuple[str, str] | None:
    """(name, version) of a pin that the moment took back to an older release: the lock came
    from someone who compiled without the moment (a dependency-update pull request); None if
    none was. Told apart from a declaration that asks for the older release by compiling
    again without the moment, from the lock as it was."""
    if before is None:
        return None
    old = parse_lock(before.decode("utf-8", "replace"))
    new = read_lock(root / lock_name)
    older = [name for name, pin in new.items() if name in old and _older(pin, old[name])]
    if not older:
        return None
    scratch = root / ".devkit" / f"unheld-{lock_name}"
    scratch.parent.mkdir(parents=True, exist_ok=True)
    scratch.write_bytes(before)
    declaration = command[command.index("-o") - 1]
    try:
        unheld = [*command[: command.index("-o") + 1], scratch.relative_to(root).as_posix()]
        _compile(root, unheld, declaration, environ, None)
        free = read_lock(scratch)
    finally:
        scratch.unlink(missing_ok=True)
    for name in older:
        if name in free and free[name].version == old[name].version:
            return name, old[name].version
    return None


def _held_back_message(lock_name: str, name: str, version: str, moment: str) -> str:
    return (
        f"{lock_name} pins {name}=={version}, newer than what the index had published by "
        f"{moment} ({MOMENT_KEY} in {workspace_file.FILE}; a dependency-update pull request "
        "compiles without it): run `invoke lock --upgrade` to move the moment to now, and "
        f"commit {workspace_file.FILE} with the locks; the locks were left as they were"
    )


def _older(pin: Pin, than: Pin) -> bool:
    """Whether `pin`'s release numbers are below `than`'s (1.2 < 1.10; the rest of a version
    does not count; a direct reference or a version packaging cannot read is never older)."""
    try:
        return Version(pin.version).release < Version(than.version).release
    except InvalidVersion:
        return False


def _failure(declaration: str, result: subprocess.CompletedProcess[str], moment: str | None) -> str:
    reason = " ".join(result.stderr.split()) or f"exit code {result.returncode}"
    later = (
        f"; the locks see only what the index had published by {moment} ({MOMENT_KEY} in "
        f"{workspace_file.FILE}): for a newer release run `invoke lock --upgrade`"
        if moment
        else ""
    )
    return (
        f"`uv pip compile {declaration}` failed: {reason} (check the names and versions in "
        f"{declaration}; uv needs the package registry{later}); the locks were left as they were"
    )


def _restore(root: Path, before: dict[str, bytes | None]) -> None:
    """Put every lock back as it was before a failed `lock`."""
    for name, content in before.items():
        path = root / name
        if content is None:
            path.unlink(missing_ok=True)
        elif not path.is_file() or path.read_bytes() != content:
            files.write_atomic(path, content)
