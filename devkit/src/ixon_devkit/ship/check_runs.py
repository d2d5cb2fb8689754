"""What the checks said at their last run: `invoke test` and `invoke deploy` record the tests.

`invoke deploy` runs the tests and lint before it uploads (after `invoke bump`, so on the code
it ships); recording that run lets `invoke doctor` see the tests passed on the bumped code
instead of asking for another run. The record lives in `.devkit/` (ignored by git).
The words `invoke deploy` refuses a failed check with are here too, so `invoke doctor` says the
same.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ixon_devkit.workspace import files

#: Where the last run of the tests is recorded (the folder is ignored by git).
LAST_TEST = Path(".devkit") / "last-test.json"
#: pytest's exit code when it collected no test: a state of its own, not a failure (`invoke
#: test` exits 0, `invoke doctor` says so, `invoke deploy` warns).
NO_TESTS = 5
#: What `invoke deploy` warns when there are no tests (`invoke doctor` says the same).
NO_TESTS_WARNING = (
    "there are no tests (pytest found none): deploying untested code; `invoke new NAME` adds "
    "a function with its test"
)


def failed_check(command: str) -> str:
    """Why a deploy stops when one of its checks fails (`invoke doctor` says the same)."""
    return (
        f"`{command}` failed, so nothing was deployed: fix what it reports (or, at your own "
        "risk, deploy with --skip-checks)"
    )


def record_test_run(
    root: Path, exit_code: int, selection: str = "", by: str = "invoke test"
) -> None:
    """Remember the result of a test run for `invoke doctor`: its exit code, the -k selection,
    the time and which task ran it."""
    path = root / LAST_TEST
    path.parent.mkdir(exist_ok=True)
    moment = time.time()
    record = {
        "exit_code": exit_code,
        "selection": selection,
        "by": by,
        "timestamp": moment,
        "time": datetime.fromtimestamp(moment, UTC)
        .replace(microsecond=0)
        .isoformat()
        .replace("+00:00", "Z"),
    }
    files.write_atomic(path, json.dumps(record, indent=2) + "\n")


def last_test_run(root: Path) -> dict[str, Any] | None:
    """The recorded last test run, or None when there is none (or it is unreadable)."""
    try:
        last = json.loads((root / LAST_TEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return last if isinstance(last, dict) else None
