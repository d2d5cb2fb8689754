"""`.devkit/serve.json`: where this workspace's running `invoke serve` listens.

Serve writes it once it listens and removes it when it stops; `invoke call` reads it to find
the server, so a call goes to this workspace's serve on whatever port it took, and never to
whatever else happens to listen on port 8020 (another workspace's serve, another program).
A record left by a serve that was killed names a process that is gone, and is ignored.
Standard library only.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from ixon_devkit.workspace import files

RECORD = Path(".devkit") / "serve.json"


def write(root: Path, port: int) -> None:
    """Record that this process serves the workspace at `root` on `port`."""
    path = root / RECORD
    with contextlib.suppress(OSError):  # without the record, calls run in-process: no harm
        path.parent.mkdir(parents=True, exist_ok=True)
        files.write_atomic(path, json.dumps({"port": port, "pid": os.getpid()}) + "\n")


def remove(root: Path) -> None:
    """Remove the record, if it is this process's (a newer serve may have replaced it)."""
    path = root / RECORD
    if _read(path).get("pid") == os.getpid():
        with contextlib.suppress(OSError):
            path.unlink()


def running_port(root: Path) -> int | None:
    """The port of the workspace's running serve, or None when none is recorded as running."""
    record = _read(root / RECORD)
    port, pid = record.get("port"), record.get("pid")
    if not isinstance(port, int) or not isinstance(pid, int) or not 0 < port <= 65535:
        return None
    return port if _alive(pid) else None


def _read(path: Path) -> dict[str, object]:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if os.name == "nt":  # os.kill(pid, 0) would end the process there
        import ctypes  # noqa: PLC0415 - Windows only

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # QUERY_LIMITED_INFO
        if not handle:
            return False
        ctypes.windll.kernel32.CloseHandle(handle)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    return True
