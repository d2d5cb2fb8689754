"""Helpers shared by the template's tests and benchmarks: ports, processes, a browser.

Nothing here bakes or asserts about a workspace; each helper does one thing for real (a free
loopback port, a process's /proc status, headless chromium over its DevTools pipe).
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: Debian's chromium, when installed (`.ci/run` installs it).
CHROMIUM = shutil.which("chromium")


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Whether a new server could listen on `port` (closed connections may linger in TIME_WAIT)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def processes_in(folder: Path) -> list[str]:
    """The processes (pid and command line) running in `folder` or naming it (Linux /proc):
    what a command started there left behind. Other tests' processes, even of the same
    tools, are not in it."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            cwd = Path(os.readlink(entry / "cwd"))
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if command and (cwd == folder or folder in cwd.parents or str(folder) in command):
            found.append(f"{entry.name} {command}")
    return found


def proc_status(pid: int) -> dict[str, str]:
    """The fields of /proc/PID/status (Linux), like Threads and VmRSS."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send file descriptor 1 to stderr for the block (a bake's hooks print, as subprocesses,
    what a benchmark's table must not mix with)."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


class DevTools:
    """Headless chromium driven over its DevTools pipe (file descriptors 3 and 4)."""

    def __init__(self, profile: Path) -> None:
        to_browser, self._write = os.pipe()
        self._read, from_browser = os.pipe()
        # Move the browser's ends above 10 so placing them on 3 and 4 cannot clobber either.
        child_in = fcntl.fcntl(to_browser, fcntl.F_DUPFD, 10)
        child_out = fcntl.fcntl(from_browser, fcntl.F_DUPFD, 10)
        os.close(to_browser)
        os.close(from_browser)

        def place_pipes() -> None:
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        self.process = subprocess.Popen(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            pass_fds=(3, 4),
            preexec_fn=place_pipes,  # only dup2 runs there
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(child_in)
        os.close(child_out)
        self._buffer = b""
        self._next_id = 0
        self.session = ""

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._receive()
            if answer.get("id") == self._next_id:
                assert "error" not in answer, answer
                return answer["result"]

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._read, 65536)
            if not chunk:
                raise AssertionError("chromium closed its DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def open(self, url: str) -> None:
        target = self.send("Target.createTarget", url=url)["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]

    def evaluate(self, expression: str) -> Any:
        answer = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in answer, answer["exceptionDetails"]
        return answer["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 20) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(AssertionError):  # a page in the middle of loading
                value = self.evaluate(expression)
                if value:
                    return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {expression}")

    def type_into(self, element_id: str, text: str) -> None:
        """Type `text` over what the field holds (the page pre-fills it from cookies)."""
        element = f"document.getElementById({json.dumps(element_id)})"
        self.evaluate(f"{element}.focus(); {element}.select()")
        self.send("Input.insertText", text=text)

    def click(self, selector: str) -> None:
        x, y = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView(); const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def close(self) -> None:
        with contextlib.suppress(OSError, AssertionError):
            self.session = ""
            self.send("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._read)
        os.close(self._write)


def serve_and_call(
    command: list[str], cwd: Path, env: dict[str, str], port: int, name: str, arguments: dict
) -> tuple[object, str, str]:
    """Start `invoke serve` (`command`), call `name` once it answers on `port`, stop it with
    Ctrl-C: the answer and the server's stdout and stderr."""
    server = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        answer = call_when_up(port, name, arguments, server, cwd)
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=60)
    return answer, out, err


def serve_secret(workspace: Path) -> dict[str, str]:
    """The header that shows the workspace's running `invoke serve` its session secret, as
    `invoke call` sends it (none while serve has not written it yet)."""
    path = workspace / ".devkit" / "serve-secret"
    try:
        return {"X-Devkit-Secret": path.read_text(encoding="utf-8").strip()}
    except FileNotFoundError:
        return {}


def call_when_up(
    port: int, name: str, arguments: dict, server: subprocess.Popen, workspace: Path
) -> object:
    """POST a call of `name` to the `invoke serve` of `workspace` starting on `port`, once it
    answers; its JSON answer (AssertionError when `server` ends or nothing answers within
    240 s)."""
    body = json.dumps({"name": name, "arguments": arguments, "context": {}}).encode()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"invoke serve ended (exit {server.returncode})")
        secret = serve_secret(workspace)
        try:
            if not secret:
                raise ConnectionRefusedError("serve has not written its secret yet")
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("POST", "/", body, {"Content-Type": "application/json", **secret})
            return json.loads(connection.getresponse().read())
        except OSError:
            time.sleep(0.3)
    raise AssertionError("invoke serve did not answer within 240 s")


def stop_group(process: subprocess.Popen, timeout: float = 15) -> None:
    """Ctrl-C to a process started in a group of its own, then SIGKILL if it outlives
    `timeout` seconds."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
