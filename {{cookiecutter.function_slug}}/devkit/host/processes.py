"""Child processes of the tasks: run one in the foreground, passing Ctrl-C and SIGTERM on.

Standard library only, Python 3.9+.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Any


def run_foreground(command: list[str], cwd: Path) -> int:
    """Run the server `command` and pass SIGINT and SIGTERM on to it; its exit code.

    Used by `tasks.py`: without it Ctrl-C or a SIGTERM would end invoke before the server
    had removed its Docker container, or leave the server running on its own.
    """
    process = subprocess.Popen(command, cwd=cwd)

    def forward(signum: int, frame: Any) -> None:
        if process.poll() is None:
            process.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return process.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
