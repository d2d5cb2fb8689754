"""Run several servers as one: output on one screen with a prefix each, one Ctrl-C stops all.

`invoke serve` uses it for the function server and IXON's UI simulator. Each server runs in its
own process group, so the stop reaches the programs a server starts itself (npm starts the
simulator, which starts the builder) and none is left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

#: How long a server may take to stop after the interrupt before it is killed.
STOP_TIMEOUT = 10.0
WINDOWS = os.name == "nt"


@dataclass
class Server:
    """One program to run: a label for its output lines, the command, where and how."""

    label: str
    command: Sequence[str]
    cwd: Path
    env: Mapping[str, str] | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    #: When it fails, the others keep running, and this says how to fix it (empty: they stop).
    optional_hint: str = ""


class Together:
    """Start servers, copy their output with prefixes, stop all when one ends or on a signal."""

    def __init__(self, servers: Sequence[Server], out: IO[str] | None = None) -> None:
        self.servers = list(servers)
        self.out = out or sys.stdout
        self.width = max(len(server.label) for server in self.servers)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._readers: list[threading.Thread] = []

    def say(self, label: str, line: str) -> None:
        """Write one line of `label`'s output with its prefix."""
        with self._lock:
            try:
                self.out.write(f"{label.ljust(self.width)} | {line}\n")
                self.out.flush()
            except (OSError, ValueError):  # a closed terminal or pipe: keep serving
                pass

    def _start(self, server: Server) -> None:
        options: dict[str, Any] = {}
        if WINDOWS:
            options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
        else:
            options["start_new_session"] = True
        server.process = subprocess.Popen(
            list(server.command),
            cwd=server.cwd,
            env=dict(server.env) if server.env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            **options,
        )
        reader = threading.Thread(target=self._copy, args=(server,), daemon=True)
        reader.start()
        self._readers.append(reader)

    def _copy(self, server: Server) -> None:
        process = server.process
        if process is None or process.stdout is None:
            return
        for raw in iter(process.stdout.readline, b""):
            self.say(server.label, raw.decode("utf-8", "replace").rstrip("\r\n"))

    def _interrupt(self, server: Server, sig: int) -> None:
        process = server.process
        if process is None or (WINDOWS and process.poll() is not None):
            return
        try:
            if WINDOWS:
                process.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
            else:
                os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError, OSError):
            pass

    def stop(self) -> None:
        """Interrupt every server (its whole process group), then kill what did not stop."""
        for server in self.servers:
            self._interrupt(server, signal.SIGINT)
        deadline = time.monotonic() + STOP_TIMEOUT
        for server in self.servers:
            if server.process is None:
                continue
            try:
                server.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(server.label, f"did not stop within {STOP_TIMEOUT:.0f} s: killed")
                if WINDOWS:
                    server.process.kill()
                else:
                    self._interrupt(server, signal.SIGKILL)
                server.process.wait()
        # The group may hold children that outlived their parent (npm's, the builder's).
        if not WINDOWS:
            for server in self.servers:
                self._interrupt(server, signal.SIGKILL)
        for reader in self._readers:
            reader.join(timeout=2)

    def run(self) -> int:
        """Run until a signal or until a server ends; the exit code (0 after Ctrl-C)."""

        def on_signal(signum: int, frame: Any) -> None:
            self._stop.set()

        handled = [signal.SIGINT, signal.SIGTERM]
        previous = {sig: signal.signal(sig, on_signal) for sig in handled}
        code = 0
        try:
            for server in self.servers:
                self._start(server)
            watched = list(self.servers)
            while not self._stop.wait(0.2):
                ended = [
                    s for s in watched if s.process is not None and s.process.poll() is not None
                ]
                if not ended:
                    continue
                server = ended[0]
                returncode = server.process.returncode if server.process else 1
                if server.optional_hint and returncode and len(watched) > 1:
                    watched.remove(server)
                    self.say(
                        server.label,
                        f"stopped (exit {returncode}), the rest keep running: "
                        f"{server.optional_hint}",
                    )
                    continue
                code = returncode or 1
                self.say(server.label, f"stopped (exit {returncode}): stopping the rest")
                break
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return code


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on `port` now (a quick check for a clear message)."""
    import socket  # noqa: PLC0415 - only this check needs it

    with socket.socket() as probe:
        if not WINDOWS:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    # The simulator listens on every address: a server on ::1 or 0.0.0.0 counts too.
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("localhost", port)) != 0
