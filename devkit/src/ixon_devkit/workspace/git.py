"""What the workspace's tooling asks git: HEAD, tags, changed files, the state a deploy
records. Standard library only.

Outside a git repository, or where git is not installed, the questions answer None (or raise
GitError where an answer is needed); nothing here changes the repository.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ixon_devkit.errors import UserError
from ixon_devkit.workspace import processes


class GitError(UserError):
    """git could not answer; the message carries git's own first line."""


def run(root: Path, *arguments: str, detached: bool = False) -> subprocess.CompletedProcess[str]:
    """`git ARGUMENTS` in `root`, captured; exit code 127 when git is not installed.

    `detached` runs git in its own process group, out of reach of the terminal's Ctrl-C: for
    the questions a step asks while it holds the signals back (a killed `git rev-parse` would
    answer "no HEAD", and the step would draw the wrong conclusion)."""
    try:
        return subprocess.run(
            ["git", *arguments],
            cwd=root,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            **(processes.own_group() if detached else {}),
        )
    except OSError as error:  # git is not installed
        return subprocess.CompletedProcess(["git", *arguments], 127, "", str(error))


def run_stoppable(
    root: Path, held: processes.HeldSignals, *arguments: str
) -> subprocess.CompletedProcess[str]:
    """`git ARGUMENTS` in its own process group, stopped (hooks too) when `held` receives
    Ctrl-C or SIGTERM; captured, exit code 127 when git is not installed."""
    try:
        outcome, _ = processes.run_stoppable(["git", *arguments], root, lambda: held.received)
    except OSError as error:  # git is not installed
        return subprocess.CompletedProcess(["git", *arguments], 127, "", str(error))
    return outcome


def index_lock(root: Path, *, detached: bool = False) -> Path | None:
    """Where git keeps the index's lock file (`.git/index.lock`), or None outside git."""
    result = run(root, "rev-parse", "--git-path", "index.lock", detached=detached)
    if result.returncode != 0 or not result.stdout.strip():
        return None
    return root / result.stdout.strip()


def first_line(text: str) -> str:
    """The line of git's output worth showing: its `fatal:` or `error:` line, else the first."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    return (fatal or lines or ["no message"])[0]


def prefix(root: Path) -> str | None:
    """The workspace's folder inside its git repository ("" at the top); None outside git."""
    if shutil.which("git") is None:
        return None
    result = run(root, "rev-parse", "--show-prefix")
    return result.stdout.strip() if result.returncode == 0 else None


def changed_paths(root: Path) -> list[str]:
    """Workspace files (relative POSIX paths) that git sees as changed, new or deleted."""
    folder = prefix(root) or ""
    result = run(root, "status", "--porcelain", "-z", "--", ".")
    if result.returncode != 0:
        raise GitError(f"git status failed: {first_line(result.stderr)}")
    paths = []
    entries = iter(result.stdout.split("\0"))
    for entry in entries:
        if not entry:
            continue
        status, path = entry[:2], entry[3:]
        if "R" in status or "C" in status:
            next(entries, None)  # the name the file was renamed or copied from
        paths.append(path[len(folder) :] if path.startswith(folder) else path)
    return paths


#: Files that releases write themselves (the deploy record, the changelog's notes): changes to
#: them do not make the tree dirty, and `invoke bump` commits them with the release.
RELEASE_RECORDS = ("deployments.json", "CHANGELOG.md")


def dirty_paths(root: Path) -> list[str]:
    """The changed files that make the tree dirty: the one notion of a dirty tree for bump
    and deploy (every change but those to RELEASE_RECORDS)."""
    return [path for path in changed_paths(root) if path not in RELEASE_RECORDS]


def head(root: Path, *, detached: bool = False) -> str | None:
    """The commit HEAD points at, or None (outside git, or before the first commit)."""
    result = run(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", detached=detached)
    return (result.stdout.strip() or None) if result.returncode == 0 else None


def tag_target(root: Path, tag: str) -> str | None:
    """The commit a tag points at, or None when there is no such tag."""
    result = run(root, "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}^{{commit}}")
    return (result.stdout.strip() or None) if result.returncode == 0 else None


@dataclass(frozen=True)
class GitState:
    """What git says about the workspace; `commit` is None outside git."""

    commit: str | None
    dirty: bool
    tag_at_head: bool | None = None


def git_state(root: Path, version: str | None = None) -> GitState:
    """The HEAD commit, whether the tree is dirty (the record aside), and the version's tag.

    `tag_at_head` tells whether tag `v<version>` points at HEAD (None without a version or git).
    """
    commit = head(root)
    if commit is None:
        return GitState(commit=None, dirty=False)
    try:
        dirty = bool(dirty_paths(root))
    except GitError:
        dirty = True  # git knows a HEAD but cannot list changes: do not claim a clean tree
    tag_at_head = None
    if version:
        tagged = tag_target(root, f"v{version}")
        tag_at_head = tagged == commit or (
            tagged is not None and _only_records_since(root, tagged, commit)
        )
    return GitState(commit=commit, dirty=dirty, tag_at_head=tag_at_head)


def _only_records_since(root: Path, tagged: str, commit: str) -> bool:
    """Whether the commits from `tagged` to `commit` changed only RELEASE_RECORDS (a deploy
    commits its record after the release's tag): the code is still the release's."""
    result = run(root, "diff", "--name-only", "--relative", tagged, commit, "--", ".")
    names = result.stdout.split()
    return result.returncode == 0 and all(name in RELEASE_RECORDS for name in names)
