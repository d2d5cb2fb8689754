"""Conflict markers that `cruft update` (git's three-way merge) leaves in a file.

A conflict reads `<<<<<<< ours`, the workspace's lines, optionally `||||||| base` and the
common ancestor's, `=======`, the template's lines, `>>>>>>> theirs`. Only where both changed
the same lines: elsewhere the merge took the template's change, so the user's whole file is
the last commit's (`committed`; `cruft update` runs on a committed tree). Standard library
(and git) only.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

_CONFLICT = re.compile(
    r"^<<<<<<<[^\n]*\n(?P<ours>.*?)(?:^\|\|\|\|\|\|\|[^\n]*\n.*?)?^=======[^\n]*\n"
    r"(?P<theirs>.*?)^>>>>>>>[^\n]*(?:\n|\Z)",
    re.DOTALL | re.MULTILINE,
)


def has_conflicts(text: str) -> bool:
    """Whether `text` holds a conflict git left."""
    return _CONFLICT.search(text) is not None


def resolve(text: str, side: str) -> str:
    """`text` with every conflict replaced by one side: "ours" (the workspace's) or "theirs"
    (the template's)."""
    return _CONFLICT.sub(lambda match: match[side], text)


def sides(text: str) -> list[tuple[str, str]]:
    """(ours, theirs) of every conflict in `text`."""
    return [(match["ours"], match["theirs"]) for match in _CONFLICT.finditer(text)]


def merge_lines(text: str, keep_ours) -> str:
    """`text` with every conflict replaced by the template's lines followed by the workspace's
    lines that `keep_ours(line, theirs_lines)` keeps (a declaration's requirements of both)."""

    def merged(match: re.Match[str]) -> str:
        theirs = match["theirs"].splitlines(keepends=True)
        ours = [line for line in match["ours"].splitlines(keepends=True) if keep_ours(line, theirs)]
        return "".join(theirs + [line if line.endswith("\n") else line + "\n" for line in ours])

    return _CONFLICT.sub(merged, text)


def committed(root: Path, name: str) -> str | None:
    """The file `name` of the workspace at `root` as its git HEAD has it, or None."""
    try:
        result = subprocess.run(
            ["git", "show", f"HEAD:./{name}"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def unmerged(root: Path) -> list[str]:
    """The files of the workspace at `root` that git's merge left unmerged (relative, posix)."""
    try:
        result = subprocess.run(
            ["git", "diff", "--name-only", "--diff-filter=U", "--relative"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return sorted(set(result.stdout.splitlines())) if result.returncode == 0 else []
