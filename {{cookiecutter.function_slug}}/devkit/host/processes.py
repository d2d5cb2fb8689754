"""Child processes of the tasks: run one in the foreground, passing Ctrl-C and SIGTERM on; or
hold those signals back while a step must finish or be undone whole.

Works on POSIX and Windows alike: where a signal cannot be sent (Windows has no SIGINT for
another process), a child is started in its own process group and stopped with the event
Windows delivers to a group (CTRL_BREAK_EVENT). Standard library only, Python 3.9+.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

WINDOWS = os.name == "nt"
#: Seconds a stopped child gets to clean up (remove its lock files) before it is killed.
GRACE = 10.0


def stop_signals() -> tuple[int, ...]:
    """The signals that ask a task to stop: Ctrl-C, SIGTERM, and on Windows Ctrl-Break."""
    found = [signal.SIGINT, signal.SIGTERM]
    if WINDOWS:
        found.append(signal.SIGBREAK)  # type: ignore[attr-defined]  # Windows only
    return tuple(found)


def group_options() -> dict[str, Any]:
    """Popen options that start a child in its own process group, so a terminal's Ctrl-C
    reaches only us and we decide what the child gets."""
    if WINDOWS:
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
    return {"start_new_session": True}


def ask_to_stop(process: subprocess.Popen[Any], signum: int = signal.SIGINT) -> None:
    """Ask a child started with `group_options()` (and its children) to stop, as Ctrl-C
    would: SIGINT or SIGTERM to its group on POSIX, CTRL_BREAK_EVENT on Windows."""
    if process.poll() is not None:
        return
    try:
        if WINDOWS:
            process.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
        else:
            os.killpg(process.pid, signum)
    except (OSError, ValueError):
        pass  # it has just ended


def _kill_group(process: subprocess.Popen[Any]) -> None:
    try:
        if WINDOWS:
            process.kill()
        else:
            os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass


def run_foreground(command: list[str], cwd: Path) -> int:
    """Run the server `command` and pass SIGINT and SIGTERM on to it; its exit code.

    Used by the tasks: without it Ctrl-C or a SIGTERM would end invoke before the server had
    removed its Docker container, or leave the server running on its own. The server runs in
    its own process group, so the one Ctrl-C it gets is the one passed on here.
    """
    process = subprocess.Popen(command, cwd=cwd, **group_options())

    def forward(signum: int, frame: Any) -> None:
        ask_to_stop(process, signal.SIGTERM if signum == signal.SIGTERM else signal.SIGINT)

    previous = {sig: signal.signal(sig, forward) for sig in stop_signals()}
    try:
        while True:
            try:
                return process.wait()
            except KeyboardInterrupt:  # pragma: no cover - the handler above takes Ctrl-C
                ask_to_stop(process)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class HeldSignals:
    """SIGINT and SIGTERM (Ctrl-Break on Windows) held back inside a `with` block: the block
    sees `received` and decides to finish or to undo. Outside the main thread (where Python
    cannot take signals) it holds nothing."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    @property
    def received(self) -> bool:
        """Whether a stop signal came since the block began."""
        return self.signum is not None

    def _receive(self, signum: int, frame: Any) -> None:
        self.signum = signum

    def __enter__(self) -> HeldSignals:
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self._receive) for sig in stop_signals()}
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def run_stoppable(
    command: list[str], cwd: Path, stopped: Callable[[], bool], grace: float = GRACE
) -> tuple[subprocess.CompletedProcess[str], bool]:
    """Run `command` in its own process group, output captured as text; when `stopped()`
    turns true while it runs, stop the whole group (hooks it runs too), give it `grace`
    seconds to clean up, then kill it. The result and whether it was stopped."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        **group_options(),
    )
    was_stopped = False
    while True:
        try:
            out, err = process.communicate(timeout=0.1)
            break
        except subprocess.TimeoutExpired:
            if stopped() and not was_stopped:
                was_stopped = True
                ask_to_stop(process, signal.SIGTERM)
                try:
                    out, err = process.communicate(timeout=grace)
                except subprocess.TimeoutExpired:
                    _kill_group(process)
                    out, err = process.communicate()
                break
    code = process.returncode
    return subprocess.CompletedProcess(command, code, out or "", err or ""), was_stopped
