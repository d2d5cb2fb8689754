"""Child processes of the tasks: run one in the foreground, passing Ctrl-C and SIGTERM on, or
with its output masked; or hold those signals back while a step must finish or be undone whole.

Works on POSIX and Windows alike: where a signal cannot be sent (Windows has no SIGINT for
another process), a child is started in its own process group and stopped with the event
Windows delivers to a group (CTRL_BREAK_EVENT).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

WINDOWS = os.name == "nt"
#: Seconds a stopped child gets to clean up (remove its lock files) before it is killed.
GRACE = 10.0


def stop_signals() -> tuple[int, ...]:
    """The signals that ask a process to stop: Ctrl-C and SIGTERM, and on Windows Ctrl-Break
    (what a process started in its own group receives from `ask_to_stop`)."""
    if WINDOWS:
        return (signal.SIGINT, signal.SIGTERM, signal.SIGBREAK)  # type: ignore[attr-defined]
    return (signal.SIGINT, signal.SIGTERM)


def own_group() -> dict[str, Any]:
    """Popen options that start a child in its own process group, out of reach of the
    terminal's Ctrl-C: we decide what the child gets, and when."""
    if WINDOWS:
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
    return {"start_new_session": True}


def ask_to_stop(process: subprocess.Popen[Any], signum: int, *, group: bool) -> None:
    """Ask a child to stop as Ctrl-C would. With `group` (a child started with `own_group()`)
    its whole group: `signum` to the group on POSIX, CTRL_BREAK_EVENT on Windows, the one
    event Windows delivers to a group. Without it, `signum` to the child alone (POSIX)."""
    if process.poll() is not None:
        return
    try:
        if WINDOWS:
            # SIGINT cannot be sent on Windows; Ctrl-Break reaches a group of its own.
            process.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
        elif group:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
    except (OSError, ValueError):
        pass  # it has just ended


def _kill(process: subprocess.Popen[Any]) -> None:
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
    removed its Docker container, or leave the server running on its own. On POSIX the server
    stays in the terminal's process group (so closing the terminal ends it too) and each
    signal is passed on as it is; on Windows, where no SIGINT can be sent to another process,
    it runs in a group of its own and gets CTRL_BREAK_EVENT.
    """
    process = subprocess.Popen(command, cwd=cwd, **(own_group() if WINDOWS else {}))

    def forward(signum: int, frame: Any) -> None:
        ask_to_stop(process, signum, group=False)

    previous = {sig: signal.signal(sig, forward) for sig in stop_signals()}
    try:
        return process.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_masked(
    command: list[str], cwd: Path, env: Mapping[str, str] | None, masker: Callable[[str], str]
) -> int:
    """Run `command` with its output (stdout and stderr as one stream) shown on our stdout line
    by line, each line through `masker` first; its exit code. For a run that holds a secret,
    such as `invoke test --record`, whose report may print what a server echoed. Ctrl-C
    reaches the child as it reaches us (the same process group)."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env={**(os.environ if env is None else env), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    with process.stdout as output:  # type: ignore[union-attr] - a pipe: stdout=PIPE
        for line in output:
            sys.stdout.write(masker(line))
            sys.stdout.flush()
    return process.wait()


class HeldSignals:
    """Stop signals (and, on POSIX, SIGHUP: a closed terminal) held back inside a `with`
    block: the block sees `received` and decides to finish or to undo. Outside the main thread
    (where Python cannot take signals) it holds nothing."""

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
            held = stop_signals() + (() if WINDOWS else (signal.SIGHUP,))
            self._previous = {sig: signal.signal(sig, self._receive) for sig in held}
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
        **own_group(),
    )
    was_stopped = False
    while True:
        try:
            out, err = process.communicate(timeout=0.1)
            break
        except subprocess.TimeoutExpired:
            if stopped() and not was_stopped:
                was_stopped = True
                ask_to_stop(process, signal.SIGTERM, group=True)
                try:
                    out, err = process.communicate(timeout=grace)
                except subprocess.TimeoutExpired:
                    _kill(process)
                    out, err = process.communicate()
                break
    code = process.returncode
    return subprocess.CompletedProcess(command, code, out or "", err or ""), was_stopped
