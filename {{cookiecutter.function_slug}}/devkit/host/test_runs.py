"""The result of the last `invoke test`, kept for `invoke doctor` (in `.devkit/`, ignored by git).

Standard library only, Python 3.9+; light, since every `invoke test` writes it.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

from devkit.host import files

LAST_TEST = Path(".devkit") / "last-test.json"


def record_test_run(root: Path, exit_code: int, selection: str = "") -> None:
    """Remember the result of `invoke test` for `invoke doctor`."""
    path = root / LAST_TEST
    path.parent.mkdir(exist_ok=True)
    moment = time.time()
    record = {
        "exit_code": exit_code,
        "selection": selection,
        "timestamp": moment,
        "time": datetime.fromtimestamp(moment, timezone.utc)
        .replace(microsecond=0)
        .isoformat()
        .replace("+00:00", "Z"),
    }
    files.write_atomic(path, json.dumps(record, indent=2) + "\n")
