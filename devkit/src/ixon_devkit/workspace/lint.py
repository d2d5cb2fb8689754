"""Lint findings against a baseline: code you brought in may keep its old findings, new ones fail.

A finding is one of `ruff check` or a file `ruff format --check` would reformat (code
`unformatted`). `invoke lint --baseline` writes `lint-baseline.txt`: one line per finding as it
stands (`path: CODE message`, sorted, the same line repeated for each occurrence). From then on
`invoke lint` and `invoke deploy` fail only on findings that the file does not list, and say how
many it still holds and which of its lines no longer occur. The file is yours to read and to
shrink: delete a line when you fix its finding (or run `invoke lint --baseline` again). Line
numbers are left out of it on purpose, so that editing above a finding does not make it new.
`invoke adopt` lists there the findings of the code it brings in, so that code deploys as it
came.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ixon_devkit.errors import UserError
from ixon_devkit.workspace import files

BASELINE = "lint-baseline.txt"
HEADER = (
    "# Findings of `ruff check` and `ruff format --check` that were here before (`invoke lint\n"
    "# --baseline` or `invoke adopt` wrote them): `invoke lint` and `invoke deploy` fail only on\n"
    "# findings not listed. Delete a line when you fix its finding (`invoke format` fixes the\n"
    "# `unformatted` ones); `invoke lint --baseline` rewrites the file from what is left.\n"
)
#: ruff's code for a file that `ruff format` would change.
UNFORMATTED = "unformatted"


class LintError(UserError):
    """ruff could not check the code, or found findings that the baseline does not list."""


@dataclass(frozen=True)
class Finding:
    """One finding of `ruff check`."""

    path: str  # posix, relative to the workspace
    line: int
    column: int
    code: str
    message: str

    @property
    def key(self) -> str:
        """The finding as the baseline lists it (no line number)."""
        return f"{self.path}: {self.code} {self.message}"

    def describe(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.code} {self.message}"


@dataclass(frozen=True)
class Result:
    """The findings of one run, split by the baseline."""

    new: list[Finding]
    known: int  # findings the baseline lists
    gone: list[str]  # baseline lines that no longer occur

    def describe(self) -> list[str]:
        lines = [finding.describe() for finding in self.new]
        if self.known:
            lines.append(
                f"{self.known} finding(s) listed in {BASELINE} not shown: fix them and delete "
                "their lines there"
            )
        if self.gone:
            lines.append(
                f"{len(self.gone)} line(s) of {BASELINE} no longer occur (fixed): delete them, "
                "or run `invoke lint --baseline` to shrink the file"
            )
        return lines


def checks_named(found: Iterable[Finding]) -> str:
    """Which of the two checks `found` comes from: "ruff check", "ruff format --check" or both."""
    kinds = {finding.code == UNFORMATTED for finding in found}
    checks = (("ruff check", False), ("ruff format --check", True))
    return " and ".join(name for name, unformatted in checks if unformatted in kinds)


def new_findings_refusal(found: list[Finding]) -> str:
    """Why a deploy stops on new findings (`invoke doctor` says the same)."""
    return (
        f"`{checks_named(found)}` found {len(found)} new finding(s), so nothing was deployed: "
        "fix them (`invoke format` fixes the formatting; findings of code brought in as it "
        f"was: `invoke lint --baseline` lists them in {BASELINE}), or deploy with --skip-checks"
    )


def findings(python: Path | str, root: Path) -> list[Finding]:
    """The findings of `ruff check` and `ruff format --check` in the workspace, run by the
    workspace's `python`."""
    check = ["check", "--output-format", "json", "--exit-zero", "."]
    found = _ruff(python, root, check, ok=(0,))
    # Exit 1: files to reformat; 2: a file that does not parse (`ruff check` names it too).
    formatted = _ruff(python, root, ["format", "--check", "--output-format", "json", "."])
    found += [item for item in formatted if item.get("code") == UNFORMATTED]
    return sorted((_finding(root, item) for item in found), key=lambda f: (f.path, f.line))


def _ruff(python: Path | str, root: Path, arguments: list[str], ok=(0, 1, 2)) -> list[dict]:
    """ruff's findings as JSON objects."""
    result = subprocess.run(
        [str(python), "-m", "ruff", *arguments], cwd=root, capture_output=True, text=True
    )
    try:
        data = json.loads(result.stdout or "null")
    except ValueError:
        data = None
    if result.returncode not in ok or not isinstance(data, list):
        raise LintError(
            f"ruff could not check the code: {(result.stderr or result.stdout).strip()[:500]}"
        )
    return [item for item in data if isinstance(item, dict)]


def _finding(root: Path, item: dict) -> Finding:
    filename = Path(str(item.get("filename") or ""))
    try:
        path = filename.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        path = filename.as_posix()
    location = item.get("location") or {}
    return Finding(
        path=path,
        line=int(location.get("row") or 0),
        column=int(location.get("column") or 0),
        code=str(item.get("code") or item.get("name") or "syntax-error"),
        message=" ".join(str(item.get("message") or "").split()),
    )


def read_baseline(root: Path) -> Counter[str]:
    """The baseline's lines (each as often as it occurs); empty without the file."""
    try:
        text = (root / BASELINE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return Counter()
    except (OSError, UnicodeError) as error:
        raise LintError(f"{BASELINE} cannot be read ({error}): fix or delete it") from None
    return Counter(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def write_baseline(root: Path, found: Iterable[Finding]) -> int:
    """Write the baseline from `found`; how many lines it holds. No findings, no file."""
    keys = sorted(finding.key for finding in found)
    path = root / BASELINE
    if not keys:
        path.unlink(missing_ok=True)
        return 0
    files.write_atomic(path, baseline_text(keys))
    return len(keys)


def baseline_text(keys: Iterable[str]) -> str:
    """The baseline file listing `keys`."""
    return HEADER + "".join(f"{key}\n" for key in sorted(keys))


def with_files_replaced(
    baseline: Counter[str], paths: Iterable[str], found: Iterable[Finding]
) -> list[str]:
    """The lines of `baseline` with those of `paths` replaced by `found` (theirs, as they are
    now): the baseline of a workspace into which these files were brought."""
    replaced = set(paths)
    kept = [key for key in baseline.elements() if key.partition(": ")[0] not in replaced]
    return kept + [finding.key for finding in found if finding.path in replaced]


def compare(found: Iterable[Finding], baseline: Counter[str]) -> Result:
    """Split `found` into what the baseline lists and what is new."""
    left = Counter(baseline)
    new, known = [], 0
    for finding in found:
        if left[finding.key] > 0:
            left[finding.key] -= 1
            known += 1
        else:
            new.append(finding)
    gone = sorted(left.elements())
    return Result(new, known, gone)


def check(python: Path | str, root: Path) -> Result:
    """`ruff check` of the workspace against its baseline."""
    return compare(findings(python, root), read_baseline(root))
