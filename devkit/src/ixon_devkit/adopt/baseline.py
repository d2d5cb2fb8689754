"""The adopted code's lint findings, listed so that it deploys as it came.

Code brought in as it was keeps its style: adopt runs `ruff check` and `ruff format --check`
(the workspace's ruff, with its `pyproject.toml`) on the Python files of `functions/` and
`tests/` as they will be, in a temporary copy, and lists the findings of the files it writes
in `lint-baseline.txt` (the lines of every other file are kept). `invoke lint` and `invoke
deploy` then count them and fail only on new ones; `invoke format` fixes the formatting when
you choose to. Without the workspace's environment (ruff lives there) the file is left as it
is, and that is said. Standard library only.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ixon_devkit.adopt import review
from ixon_devkit.adopt.model import Plan
from ixon_devkit.workspace import lint

#: The folders whose Python files lint checks, and adopt brings in.
FOLDERS = ("functions", "tests")
#: The workspace's files that hold ruff's settings.
SETTINGS = ("pyproject.toml", "ruff.toml", ".ruff.toml")


def plan(root: Path, result: Plan, python: Path | None) -> None:
    """Plan `lint-baseline.txt` with the findings of the Python files `result` writes."""
    written = sorted(r for r in result.writes if _checked(r))
    gone = [r for r in result.deletes if _checked(r)]
    if not written and not gone:
        return
    if python is None:
        result.left.append(
            f"{lint.BASELINE}: not written (the workspace's environment, where ruff runs, is "
            "not set up): run `invoke lint --baseline` once, so that `invoke deploy` does not "
            "stop on the adopted code's findings, formatting included"
        )
        return
    try:
        found = [f for f in _findings(root, result, python) if f.path in written]
    except lint.LintError as error:
        result.left.append(f"{lint.BASELINE}: not written ({error}): run `invoke lint --baseline`")
        return
    keys = lint.with_files_replaced(lint.read_baseline(root), written + gone, found)
    path = root / lint.BASELINE
    text = lint.baseline_text(keys).encode("utf-8") if keys else None
    if text is None and path.exists():
        result.deletes.append(lint.BASELINE)
    elif text is not None and (not path.is_file() or path.read_bytes() != text):
        result.writes[lint.BASELINE] = text
        result.derived.add(lint.BASELINE)  # made from the code: never recorded as adopt's
    if found:
        result.done.append(
            f"{lint.BASELINE}: the adopted code's {len(found)} finding(s) of "
            f"{lint.checks_named(found)}, as it came (`invoke lint` and `invoke deploy` count "
            "them and fail only on new ones; `invoke format` fixes the formatting, then "
            "`invoke lint --baseline` shrinks the file)"
        )


def _checked(relative: str) -> bool:
    return relative.endswith(".py") and relative.split("/", 1)[0] in FOLDERS


def _findings(root: Path, result: Plan, python: Path) -> list[lint.Finding]:
    """The findings of the Python files of `functions/` and `tests/` as the plan leaves them."""
    with tempfile.TemporaryDirectory(prefix="adopt-lint-") as folder:
        copy = Path(folder)
        for name in SETTINGS:
            if (root / name).is_file():
                shutil.copyfile(root / name, copy / name)
        for name in FOLDERS:
            for relative, data in review.after(root, result, name).items():
                (copy / relative).parent.mkdir(parents=True, exist_ok=True)
                (copy / relative).write_bytes(data)
        return lint.findings(python, copy)
