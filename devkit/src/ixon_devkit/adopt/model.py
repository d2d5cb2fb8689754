"""What `invoke adopt` was told, and the plan it builds before writing anything.

Every step of adopting adds to one `Plan`: the files to write (whole, as bytes), the files to
delete, what was done and what is left to do. `put` is the one way a step plans a file, so
the rule about files the user changed holds for every step. Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ixon_devkit.errors import UserError
from ixon_devkit.workspace import examples


class AdoptError(UserError):
    """The app cannot be adopted as asked; the message says why and what to do."""


@dataclass
class Options:
    """What `invoke adopt` was told."""

    remove_examples: bool
    force: bool = False
    dry_run: bool = False
    #: Rewrite imports of ixoncdkingress 0.0.x for 1.x (the default; --keep-old-imports).
    rewrite_imports: bool = True


@dataclass
class Layout:
    """Where the two halves of the app are: the Cloud Function (a folder holding
    `functions/`) and the UI Components (a folder holding `cdk.config.json` and
    `package.json`); either may be None, not both."""

    source: Path
    function: Path | None
    ui: Path | None

    def shown(self, path: Path) -> str:
        """`path` relative to the app's folder, for messages."""
        relative = path.relative_to(self.source).as_posix()
        return "the app's folder" if relative == "." else relative + "/"


@dataclass
class Plan:
    """What adopting would do: files to write and delete, what it says, what is left to do."""

    source: Path
    layout: Layout | None = None
    writes: dict[str, bytes] = field(default_factory=dict)
    deletes: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    existing: set[str] = field(default_factory=set)  # files written over, not new
    #: sha256 of what adopt wrote the last time (from workspace.json), to see what you changed.
    recorded: dict[str, str] = field(default_factory=dict)
    #: Files of the app not brought in: symbolic links, odd names, big files (one line each).
    refused: list[str] = field(default_factory=list)
    #: Files written that are made from others (the locks): never recorded as adopt's.
    derived: set[str] = field(default_factory=set)
    #: Files of the app that are not UTF-8 text where text is needed (one line for all).
    bad_encodings: list[str] = field(default_factory=list)


def put(
    root: Path,
    result: Plan,
    relative: str,
    data: bytes,
    options: Options,
    *,
    removing: Iterable[str] = (),
) -> bool:
    """Plan writing `data` to `relative`; False when it is already there as it is.

    A file you changed (not as baked, not as adopt wrote it last time) is a conflict unless
    `--force`; so is a file adopt wrote before and you deleted since.
    """
    target = root / relative
    if target.is_file():
        if target.read_bytes() == data:
            return False
        if not options.force and not replaceable(root, result, relative, removing):
            result.conflicts.append(relative)
    elif relative in result.recorded and not options.force:
        result.conflicts.append(f"{relative} (deleted since the last adopt)")
    result.writes[relative] = data
    return True


def put_merged(root: Path, result: Plan, relative: str, data: bytes, options: Options) -> bool:
    """Plan writing `data`, the workspace's file `relative` with the app's part merged in
    (every line of yours kept). Once adopt has written it, a file you changed since is a
    conflict: merging again would bring back what you took out."""
    target = root / relative
    if target.is_file() and target.read_bytes() == data:
        return False
    if (
        relative in result.recorded
        and not options.force
        and not (target.is_file() and replaceable(root, result, relative))
    ):
        result.conflicts.append(f"{relative} (changed since the last adopt)")
    result.writes[relative] = data
    return True


def replaceable(root: Path, result: Plan, relative: str, removing: Iterable[str] = ()) -> bool:
    """Whether the workspace file `relative` may be overwritten without --force: still as
    baked, an example being removed, or still as adopt wrote it the last time."""
    if relative in removing or examples.is_as_baked(root, relative):
        return True
    recorded = result.recorded.get(relative)
    return recorded is not None and recorded == examples.sha256(root / relative)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
