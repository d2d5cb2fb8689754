"""The workspace's version: read it, raise it, and release it as a git commit and tag.

`VERSION` (one line, `MAJOR.MINOR.PATCH`) is the one source of truth. `bump` copies a new
version into every file that carries it: `VERSION`, `functions/_version.py` (what the bundle
carries, so a deployed function can say which version it is), `CHANGELOG.md` and the
`manifest.json` of every IXON UI Component in the workspace, whose `"version"` is an integer
in a string that IXON requires to go up with each upload.

All new file contents are computed and every precondition is checked before the first file is
written, so a refusal leaves the workspace exactly as it was. From the first write to the tag,
Ctrl-C and SIGTERM are held back: one that comes before the release commit is made stops git
(and its hooks) and puts every file back, unstaged; one that comes after lets the tag finish.
Either way no `.git/index.lock` is left behind.
"""

from __future__ import annotations

import ast
import difflib
import json
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ixon_devkit.errors import UserError
from ixon_devkit.ship import deploy_record as deployments
from ixon_devkit.workspace import files, git, ids, processes, walk

VERSION_FILE = "VERSION"
VERSION_MODULE = "functions/_version.py"
CHANGELOG = "CHANGELOG.md"
MANIFEST = "manifest.json"
#: The deploy record `invoke deploy` writes after an upload; a bump commits it along.
DEPLOY_RECORD = deployments.RECORD_NAME
PARTS = ("major", "minor", "patch")
#: Folders never searched for UI Component manifests (besides hidden folders and virtualenvs).
SKIPPED_FOLDERS = {"node_modules", "dist", "build", "__pycache__", "site-packages"}

_VERSION = ids.VERSION
_VERSION_LINE = re.compile(r"^(__version__\s*(?::\s*str\s*)?=\s*)([\"'])([^\"']*)\2", re.MULTILINE)
_UNRELEASED = re.compile(r"##\s+\[?unreleased\]?\s*", re.IGNORECASE)
_SECTION = re.compile(r"##\s")
_EMPTY_NOTES = "- No notable changes."


class VersionError(UserError):
    """A bump that cannot go ahead; the message says what is wrong and what to do."""


class BumpInterruptedError(VersionError):
    """Ctrl-C or SIGTERM stopped the bump before its release commit; everything was undone."""

    exit_code = 128 + signal.SIGINT

    @classmethod
    def by(cls, signum: int, new: Version) -> BumpInterruptedError:
        """The error for signal `signum`, exiting as a process ended by it would (128 + N)."""
        name = "Ctrl-C" if signum == signal.SIGINT else f"signal {signum}"
        return cls(
            f"stopped by {name} before Release {new} was committed: every file was put back "
            "as it was and nothing was committed or tagged; bump again when ready",
            exit_code=128 + signum,
        )


@dataclass(frozen=True, order=True)
class Version:
    """A `MAJOR.MINOR.PATCH` version; versions compare by their numbers."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        """The version `text` spells, or VersionError when it is not `MAJOR.MINOR.PATCH`."""
        match = _VERSION.fullmatch(text.strip())
        if not match:
            raise VersionError(
                f"{json.dumps(text)} is not a version: expected MAJOR.MINOR.PATCH like 1.2.3"
            )
        return cls(*(int(number) for number in match.groups()))

    def bumped(self, part: str) -> Version:
        """The next version when `part` (major, minor or patch) goes up by one."""
        if part == "major":
            return Version(self.major + 1, 0, 0)
        if part == "minor":
            return Version(self.major, self.minor + 1, 0)
        if part == "patch":
            return Version(self.major, self.minor, self.patch + 1)
        raise ValueError(f"unknown part {part!r}")

    @property
    def tag(self) -> str:
        """The git tag of this version, like `v1.2.3`."""
        return f"v{self}"

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


def current(root: Path) -> Version:
    """The workspace's version, read from `VERSION`: the one reader of that file."""
    path = root / VERSION_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise VersionError(
            f"{VERSION_FILE} is missing: create it with the current version, like 0.1.0"
        ) from None
    try:
        return Version.parse(text)
    except VersionError:
        raise VersionError(
            f"{VERSION_FILE}:1 {json.dumps(text.strip())} is not a version: expected "
            "MAJOR.MINOR.PATCH like 0.1.0 (`invoke bump X.Y.Z` sets it)"
        ) from None


def declared_version(root: Path) -> tuple[str | None, int]:
    """`__version__` of `functions/_version.py` (None when it has none) and its line: the one
    reader of that file."""
    module = root / VERSION_MODULE
    try:
        tree = ast.parse(module.read_bytes(), filename=str(module))
    except SyntaxError as error:
        return None, error.lineno or 1
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__version__" for t in targets):
                value = node.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    return value.value, node.lineno
                return None, node.lineno
    return None, 1


def checked(root: Path) -> str:
    """The version of `VERSION`, refused unless `functions/_version.py` says the same (what a
    bundle and a deploy need)."""
    version = str(current(root))
    if not (root / VERSION_MODULE).is_file():
        raise VersionError(
            f"{VERSION_MODULE} is missing: it carries the version into the bundle; create it "
            f'with __version__ = "{version}"'
        )
    problem = _mismatch(root, version)
    if problem:
        raise VersionError(f"{problem}: run `invoke bump` (it keeps both equal) or make them equal")
    return version


def next_version(current: Version, part_or_version: str) -> Version:
    """The version a bump goes to: a part to raise, or an explicit version above `current`."""
    wanted = part_or_version.strip()
    if wanted in PARTS:
        return current.bumped(wanted)
    if wanted.startswith("-"):  # `invoke bump --help` hands the option over as the part
        raise VersionError(
            f"{json.dumps(part_or_version)} is not a version: give major, minor, patch or "
            "X.Y.Z first, then options; invoke --help bump lists them"
        )
    if not _VERSION.fullmatch(wanted):
        raise VersionError(
            f"{json.dumps(part_or_version)} is not a version: give major, minor or patch, or "
            f"a version MAJOR.MINOR.PATCH above {current} like {current.bumped('patch')}"
        )
    new = Version.parse(wanted)
    if new <= current:
        raise VersionError(
            f"{new} is not greater than the current version {current}: every release needs a "
            f"higher version, like {current.bumped('patch')}"
        )
    return new


def mismatches(root: Path) -> list[str]:
    """Files whose version disagrees with `VERSION` (after a hand edit), one message each."""
    version = str(current(root))
    if not (root / VERSION_MODULE).is_file():
        return []
    problem = _mismatch(root, version)
    return [problem] if problem else []


def _mismatch(root: Path, version: str) -> str | None:
    declared, line = declared_version(root)
    if declared == version:
        return None
    found = f"says __version__ = {json.dumps(declared)}" if declared else "has no __version__"
    return f"{VERSION_MODULE}:{line} {found} but {VERSION_FILE} says {version}"


# -- the files that carry the version ------------------------------------------------------


@dataclass(frozen=True)
class FileChange:
    """The new text of one file, with a one-line summary for people."""

    path: str
    old: str
    new: str
    summary: str

    def diff(self) -> list[str]:
        """The changed lines, `-` old and `+` new, like a short unified diff."""
        lines = difflib.unified_diff(self.old.splitlines(), self.new.splitlines(), lineterm="", n=0)
        return [line for line in lines if not line.startswith(("---", "+++", "@@"))]


def _read(root: Path, relative: str) -> str:
    # newline="" keeps CRLF files CRLF when they are written back.
    try:
        with open(root / relative, encoding="utf-8", newline="") as file:
            return file.read()
    except UnicodeDecodeError:
        raise VersionError(f"{relative} is not UTF-8 text: fix its encoding") from None
    except OSError as error:
        raise VersionError(f"cannot read {relative}: {error.strerror}") from None


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _version_file_change(root: Path, old: Version, new: Version) -> FileChange:
    text = _read(root, VERSION_FILE)
    return FileChange(
        VERSION_FILE,
        text,
        f"{new}{_newline(text)}",
        f"{VERSION_FILE}: {old} -> {new}",
    )


def _version_module_change(root: Path, new: Version) -> FileChange | None:
    if not (root / VERSION_MODULE).is_file():
        return None
    text = _read(root, VERSION_MODULE)
    match = _VERSION_LINE.search(text)
    if not match:
        raise VersionError(
            f'{VERSION_MODULE} has no line __version__ = "X.Y.Z": add one, the bundle reports it'
        )
    updated = text[: match.start(3)] + str(new) + text[match.end(3) :]
    return FileChange(VERSION_MODULE, text, updated, f"{VERSION_MODULE}: {match.group(3)} -> {new}")


def _strip_blank(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def changelog_text(text: str, new: Version, today: date) -> str:
    """`text` with a `## NEW - DATE` section that takes the notes from `## Unreleased`.

    The Unreleased heading stays, empty, above the new section. A changelog without one gets
    both, above its first section.
    """
    nl = _newline(text)
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += nl
    heading = next(
        (i for i, line in enumerate(lines) if _UNRELEASED.fullmatch(line.rstrip())), None
    )
    if heading is None:
        start = next((i for i, line in enumerate(lines) if _SECTION.match(line)), len(lines))
        before, notes, after = lines[:start], [], lines[start:]
        unreleased = f"## Unreleased{nl}"
    else:
        end = next(
            (i for i in range(heading + 1, len(lines)) if _SECTION.match(lines[i])), len(lines)
        )
        before, notes, after = lines[:heading], lines[heading + 1 : end], lines[end:]
        unreleased = lines[heading]
    notes = _strip_blank(notes) or [f"{_EMPTY_NOTES}{nl}"]
    if before and before[-1].strip():
        before.append(nl)
    section = [unreleased, nl, f"{release_heading(text, new, today)}{nl}", nl, *notes]
    if after:
        section.append(nl)
    return "".join(before + section + after)


def release_heading(text: str, new: Version, today: date) -> str:
    """`## [X.Y.Z] - DATE` in a changelog that follows Keep a Changelog (its Unreleased
    heading in brackets), else `## X.Y.Z - DATE`."""
    bracketed = re.search(r"^##\s+\[unreleased\]", text, re.IGNORECASE | re.MULTILINE)
    version = f"[{new}]" if bracketed else str(new)
    return f"## {version} - {today.isoformat()}"


def _changelog_change(root: Path, new: Version, today: date) -> FileChange | None:
    if not (root / CHANGELOG).is_file():
        return None
    text = _read(root, CHANGELOG)
    existing = re.compile(rf"^##\s+\[?{re.escape(str(new))}\]?(\s|$)", re.MULTILINE)
    if existing.search(text):
        raise VersionError(
            f"{CHANGELOG} already has a section for {new}: remove it or bump to another version"
        )
    updated = changelog_text(text, new, today)
    section = release_heading(text, new, today)
    empty = re.search(rf"^{re.escape(section)}\s+{re.escape(_EMPTY_NOTES)}", updated, re.MULTILINE)
    summary = "new section" if empty else "Unreleased notes moved under"
    return FileChange(CHANGELOG, text, updated, f"{CHANGELOG}: {summary} {new} - {today}")


def manifests(root: Path) -> list[str]:
    """Every `manifest.json` in the workspace (relative POSIX paths), skipping tool folders."""
    found = walk.files(root, SKIPPED_FOLDERS)
    return sorted(path.relative_to(root).as_posix() for path in found if path.name == MANIFEST)


def _top_level_value(text: str, key: str) -> tuple[int, int] | None:
    """Where the value of top-level `key` is in the JSON object `text` (which must parse)."""
    decoder = json.JSONDecoder()
    depth = 0
    previous = ""
    index = 0
    while index < len(text):
        character = text[index]
        if character == '"':
            name, end = json.decoder.scanstring(text, index + 1)  # type: ignore[attr-defined]
            if depth == 1 and previous in "{," and name == key:
                colon = text.index(":", end)
                start = colon + 1
                while text[start] in " \t\r\n":
                    start += 1
                _, stop = decoder.raw_decode(text, start)
                return start, stop
            index, previous = end, '"'
            continue
        if character in "{[":
            depth += 1
        elif character in "}]":
            depth -= 1
        if not character.isspace():
            previous = character
        index += 1
    return None


def _manifest_change(root: Path, relative: str) -> FileChange | None:
    """The raised `"version"` of an IXON UI Component manifest; None for other manifests."""
    text = _read(root, relative)
    body = text[1:] if text.startswith("\ufeff") else text
    try:
        data = json.loads(body)
    except ValueError as error:
        raise VersionError(
            f"{relative} is not valid JSON ({error}): fix it, then bump again"
        ) from None
    old = data.get("version") if isinstance(data, dict) else None
    if isinstance(old, bool) or not (
        isinstance(old, int) or (isinstance(old, str) and old.isdigit())
    ):
        return None  # not a UI Component manifest: their version is an integer
    span = _top_level_value(text, "version")
    if span is None:  # pragma: no cover - json.loads found the key, so the scan does too
        return None
    raised = int(old) + 1
    value = json.dumps(str(raised)) if isinstance(old, str) else str(raised)
    updated = text[: span[0]] + value + text[span[1] :]
    return FileChange(relative, text, updated, f"{relative}: version {old} -> {raised}")


def planned_changes(root: Path, old: Version, new: Version, today: date) -> list[FileChange]:
    """The new contents of every file that carries the version; nothing is written."""
    changes: list[FileChange | None] = [
        _version_file_change(root, old, new),
        _version_module_change(root, new),
        _changelog_change(root, new, today),
        *(_manifest_change(root, relative) for relative in manifests(root)),
    ]
    return [change for change in changes if change is not None]


def write_changes(root: Path, changes: list[FileChange]) -> None:
    """Write every change, or, when one write fails, put back the ones already written."""
    written: list[FileChange] = []
    for change in changes:
        try:
            files.write_atomic(root / change.path, change.new)
        except OSError as error:
            restore(root, written)
            raise VersionError(
                f"cannot write {change.path} ({error.strerror}): nothing was changed; "
                "check the file's permissions and bump again"
            ) from None
        written.append(change)


def restore(root: Path, changes: list[FileChange]) -> None:
    """Put back the old text of `changes`."""
    for change in reversed(changes):
        files.write_atomic(root / change.path, change.old)


# -- git -----------------------------------------------------------------------------------


def _changed_paths(root: Path) -> list[str]:
    try:
        return git.changed_paths(root)
    except git.GitError as error:
        raise VersionError(str(error)) from None


def _check_identity(root: Path) -> None:
    for variable in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
        if git.run(root, "var", variable).returncode != 0:
            raise VersionError(
                "git does not know who you are: run "
                'git config --global user.name "Your Name" and '
                'git config --global user.email "you@example.com" '
                "(or set GIT_AUTHOR_NAME, GIT_AUTHOR_EMAIL, GIT_COMMITTER_NAME and "
                "GIT_COMMITTER_EMAIL), or bump with --no-commit"
            )


def _describe(paths: list[str], limit: int = 3) -> str:
    shown = ", ".join(paths[:limit])
    return f"{shown} and {len(paths) - limit} more" if len(paths) > limit else shown


# -- the bump ------------------------------------------------------------------------------


@dataclass
class BumpResult:
    """What a bump did (or, in a dry run, would do)."""

    old: Version
    new: Version
    changes: list[FileChange]
    git: bool = False
    committed: bool = False
    tagged: bool = False
    extra_paths: list[str] = field(default_factory=list)


def bump(
    root: Path,
    part_or_version: str,
    *,
    dry_run: bool = False,
    allow_dirty: bool = False,
    commit: bool = True,
    tag: bool = True,
    today: date | None = None,
    echo: Callable[[str], None] = print,
) -> BumpResult:
    """Raise the version to `part_or_version` (major, minor, patch or X.Y.Z) everywhere.

    In a git workspace the tree must be clean (unless `allow_dirty`; changes to the deploy
    record and the changelog do not count, the release commit takes them along). The release
    is then committed as "Release X.Y.Z" and tagged `vX.Y.Z` (annotated); nothing is pushed.
    A tag needs the commit, so `commit=False` makes no tag either.
    """
    old = current(root)
    new = next_version(old, part_or_version)
    changes = planned_changes(root, old, new, today or date.today())
    result = BumpResult(old, new, changes, git=git.prefix(root) is not None)
    tag = tag and commit
    if result.git:
        changed_now = _changed_paths(root)
        blocking = [path for path in changed_now if path not in git.RELEASE_RECORDS]
        if blocking and not allow_dirty:
            raise VersionError(
                f"the git tree has uncommitted changes ({_describe(blocking)}): commit or "
                "stash them first, or bump with --allow-dirty"
            )
        changed = {change.path for change in changes}
        result.extra_paths = [p for p in changed_now if p == DEPLOY_RECORD and p not in changed]
        if tag and git.tag_target(root, new.tag):
            raise VersionError(
                f"the git tag {new.tag} already exists: bump to a higher version, or "
                f"delete the tag (git tag -d {new.tag}) if it was a mistake"
            )
        if commit:
            _check_identity(root)

    echo(f"Bump {old} -> {new}")
    if dry_run:
        for change in changes:
            echo(f"  {change.path}")
            echo("\n".join(f"    {line}" for line in change.diff()))
        echo(f"Dry run: nothing was changed. {_git_plan(result, commit, tag)}")
        return result

    with processes.HeldSignals() as held:
        write_changes(root, changes)
        if held.signum is not None:
            restore(root, changes)
            raise BumpInterruptedError.by(held.signum, new)
        for change in changes:
            echo(f"  {change.summary}")
        if result.git and commit:
            _commit(root, result, held)
            if tag:
                _tag(root, new)
                result.tagged = True
    echo(_git_done(result))
    if held.received:
        echo("(Ctrl-C came after the release was committed: it was finished first.)")
    return result


def _git_plan(result: BumpResult, commit: bool, tag: bool) -> str:
    if not result.git:
        return "Not a git repository: there would be no commit or tag."
    if not commit:
        return "Would not commit (--no-commit)."
    extra = f" with {', '.join(result.extra_paths)}" if result.extra_paths else ""
    plan = f'Would commit "Release {result.new}"{extra}'
    return f"{plan} and tag {result.new.tag}." if tag else f"{plan} without a tag."


def _git_done(result: BumpResult) -> str:
    if not result.git:
        return f"Version {result.new} (not a git repository: no commit, no tag)."
    if not result.committed:
        return f"Version {result.new}, not committed (--no-commit): commit it yourself."
    done = f'Committed "Release {result.new}"'
    if result.extra_paths:
        done += f" with {', '.join(result.extra_paths)}"
    done += f" and tagged {result.new.tag}" if result.tagged else " (no tag)"
    return f"{done}. Nothing was pushed: git push --follow-tags when ready."


def _commit(root: Path, result: BumpResult, held: processes.HeldSignals) -> None:
    paths = [change.path for change in result.changes] + result.extra_paths
    # Inside HeldSignals every git runs in its own group: Ctrl-C reaches none of them.
    before = git.head(root, detached=True)
    lock = git.index_lock(root, detached=True)
    locked_before = lock is not None and lock.exists()
    outcome = git.run_stoppable(root, held, "add", "--", *paths)
    if outcome.returncode == 0 and not held.received:
        message = f"Release {result.new}"
        outcome = git.run_stoppable(root, held, "commit", "--quiet", "-m", message, "--", *paths)
    if git.head(root, detached=True) != before:
        result.committed = True  # made, even if a signal came as it ended: finish the release
        return
    # A refused or stopped commit (a hook, Ctrl-C) must not leave a half-made release behind.
    if lock is not None and not locked_before and lock.exists():
        lock.unlink()  # git was killed before it could remove its own lock
    git.run(root, "reset", "--quiet", "--", *paths, detached=True)
    restore(root, result.changes)
    if held.signum is not None:
        raise BumpInterruptedError.by(held.signum, result.new)
    reason = git.first_line(outcome.stderr or outcome.stdout)
    raise VersionError(
        f"git could not commit the release ({reason}): the files were put back as they "
        "were; fix the cause and bump again"
    )


def _tag(root: Path, new: Version) -> None:
    tagged = git.run(
        root, "tag", "--annotate", "--message", f"Release {new}", new.tag, detached=True
    )
    if tagged.returncode != 0:
        raise VersionError(
            f"committed Release {new} but could not tag it ({git.first_line(tagged.stderr)}): "
            f'tag it with git tag -a {new.tag} -m "Release {new}"'
        )
