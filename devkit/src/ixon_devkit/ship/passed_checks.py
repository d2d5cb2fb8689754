"""Remembering that the workspace's code passed a check, so that an unchanged workspace skips it.

Every run of the tests first checks the code as IXON Cloud would import it (the 0.0.x imports
and IXON's module resolution, in `ixon_devkit.testing.fixtures`). That reads and parses every file
of
functions/, tests/ and components/, on every run, and takes longer the more code there is. When
nothing the check reads has changed since it last passed, it would pass again, so the run skips
it.

A change is a file added or removed, a file with another size or modification time, or another
`key` (what else the check depends on: the runtime's module names, the check's own code). Only
a pass is remembered: problems are looked for again on every run until they are gone. A pass
is not remembered while a file is younger than `SETTLING_S`, because a file system that keeps
coarse times could give a second edit made within the same tick the same time. The record
lives in `.devkit/passed-checks.json`, which git ignores. Standard library only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Iterable
from pathlib import Path

from ixon_devkit.workspace import files

#: Where the passes are kept: {check name: fingerprint}.
RECORD = Path(".devkit") / "passed-checks.json"
#: Seconds a file must be left alone before a pass that read it is remembered.
SETTLING_S = 2.0


def fingerprint(root: Path, paths: Iterable[Path], key: object = None) -> tuple[str, bool]:
    """(A digest of `paths` as they are now, plus `key`; whether it may be remembered).

    Each path counts with its name relative to `root`, size and modification time. It may not
    be remembered while one of them changed less than `SETTLING_S` ago.
    """
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode())
    settled = True
    newest_allowed = time.time_ns() - int(SETTLING_S * 1e9)
    for path in sorted(set(paths)):
        try:
            stat = path.stat()
        except OSError:
            continue  # gone since it was listed: not part of what the check reads
        name = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        settled = settled and stat.st_mtime_ns < newest_allowed
    return digest.hexdigest(), settled


def passed(root: Path, check: str, printed: str) -> bool:
    """Whether `check` passed on the workspace exactly as `printed` describes it."""
    try:
        record = json.loads((root / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and record.get(check) == printed


def remember(root: Path, check: str, printed: str) -> None:
    """Keep that `check` passed on the workspace as `printed` describes it (quietly not where
    `.devkit/` cannot be written: the check then simply runs again next time)."""
    path = root / RECORD
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    if not isinstance(record, dict):
        record = {}
    record[check] = printed
    with contextlib.suppress(OSError):
        path.parent.mkdir(exist_ok=True)
        files.write_atomic(path, json.dumps(record, indent=2, sort_keys=True) + "\n")
