"""Benchmark: `invoke serve` (ixon_devkit.serve.serve) against plain ixoncdkingress, one run.

Both serve the same freshly baked workspace, set up as a developer's is (`invoke setup`,
which byte-compiles tasks.py and bootstrap.py; uv compiled the installed tooling), from the
same environment (the pinned ixoncdkingress). The plain server is ixoncdkingress's own
`__main__` with one thing left out: its Docker start (`setup_mongo_container`), which cannot
run without a Docker daemon. Ours serves with `--docdb memory`. Measured for each, one server
at a time, over loopback only:

- start to first answered call (median of --starts starts, ours and plain in turns), and to
  the first accepted connection (ours listens before it loads the runtime: a call made then
  waits in its queue; plain refuses connections until it answers);
- per-call latency p50 and p99 of a trivial function (`example.greet`), over --calls calls;
- threads and resident memory before and after those calls;
- edit to visible: from writing a changed `functions/helpers.py` to the first call that
  answers with the change (the plain server never shows it: it needs a restart, timed too).

Run from the template repository with the tools environment (it needs cookiecutter):

    python benchmarks/serve.py [--venv PATH] [--calls 3000] [--starts 3]

--venv is the workspace environment (default: $IXON_TEST_VENV, else .bake/workspace-venv,
the one the template's tests set up).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TEMPLATE / "tests"))  # the helpers the tests use too
from support import free_port, proc_status, serve_secret, stdout_to_stderr  # noqa: E402
from support import stop_group as stop  # noqa: E402

GREET = json.dumps({"name": "example.greet", "arguments": {"name": "Ada"}}).encode()
HELPER_LINE = 'return f"{greeting.strip()}, {name}!"'
STALE_AFTER = 5.0  # seconds an edit may take to show before it counts as never shown
PLAIN_LAUNCHER = """
import sys
from ixoncdkingress import __main__ as ingress
from ixoncdkingress.webserver import wsgi
wsgi.setup_mongo_container = lambda config: None  # no Docker daemon here; the rest as shipped
sys.exit(ingress.main(sys.argv[1:]))
"""


@dataclass
class Result:
    """What was measured for one server."""

    name: str
    starts: list[float] = field(default_factory=list)
    listening: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    threads: tuple[int, int] = (0, 0)
    rss_kb: tuple[int, int] = (0, 0)
    edit_visible: float | None = None
    restart_visible: float | None = None


#: The running server's session secret header (ours asks callers from no page for it, as
#: `invoke call` sends it; plain ixoncdkingress ignores it).
SECRET: dict[str, str] = {}


def post(port: int, body: bytes = GREET) -> tuple[int, bytes]:
    return send(http.client.HTTPConnection("127.0.0.1", port, timeout=30), body)


def send(connection: http.client.HTTPConnection, body: bytes = GREET) -> tuple[int, bytes]:
    """POST `body` on `connection` (connected already or not), then close it."""
    try:
        headers = {"Content-Type": "application/json", **SECRET}
        connection.request("POST", "/", body, headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def threads_and_memory(pid: int) -> tuple[int, int]:
    """Threads and resident memory (kB) of process `pid`."""
    fields = proc_status(pid)
    return int(fields["Threads"]), int(fields["VmRSS"].split()[0])


@contextlib.contextmanager
def server(command: list[str], cwd: Path, env: dict[str, str], port: int) -> Iterator[tuple]:
    """Start a server; yield (process, seconds to the first answered call, seconds to the
    first accepted connection); stop it. A refused connection is tried again after 10 ms."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    listening = None
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"ERROR: {' '.join(command[:4])} exited {process.returncode}")
            if time.monotonic() > deadline:
                raise SystemExit(f"ERROR: {' '.join(command[:4])} did not answer within 60 s")
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            with contextlib.suppress(OSError, http.client.HTTPException):
                connection.connect()
                listening = listening or time.perf_counter() - started
                SECRET.update(serve_secret(cwd))  # ours writes it once it listens
                if send(connection)[0] == 200:
                    break
            connection.close()
            time.sleep(0.01)
        yield process, time.perf_counter() - started, listening
    finally:
        stop(process)
        SECRET.clear()


def server_pid(process: subprocess.Popen) -> int:
    """The Python that serves: the process itself, or its child when it is invoke."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    return int(children[0]) if children else process.pid


def wait_for_change(port: int, marker: str, limit: float) -> float | None:
    """Seconds until a call answers with `marker`, or None within `limit`."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        status, body = post(port)
        if status == 200 and marker in body.decode():
            return time.perf_counter() - started
    return None


def edit_helper(workspace: Path, marker: str) -> None:
    helpers = workspace / "functions" / "helpers.py"
    text = helpers.read_text(encoding="utf-8")
    original = text.split("\n# bench:")[0]
    changed = original.replace(HELPER_LINE, f'return f"{{greeting.strip()}}, {{name}}! {marker}"')
    helpers.write_text(changed + f"\n# bench: {marker}\n", encoding="utf-8")


def restore_helper(workspace: Path) -> None:
    helpers = workspace / "functions" / "helpers.py"
    text = helpers.read_text(encoding="utf-8")
    if "\n# bench:" in text:
        original = text.split("\n# bench:")[0]
        marker = text.split("\n# bench: ")[1].strip()
        helpers.write_text(original.replace(f"! {marker}", "!") + "\n", encoding="utf-8")


def measure_starts(
    servers: list[tuple[Result, Callable, Callable]], workspace: Path, starts: int
) -> None:
    """Start each server `starts` times, in turns (so that the machine's load falls on all
    alike), timing each start to its first answer."""
    for _ in range(starts):
        for result, command, env in servers:
            port = free_port()
            with server(command(port), workspace, env(port), port) as (_, first, listening):
                result.starts.append(first)
                result.listening.append(listening)


def measure(
    result: Result,
    command: list[str],
    workspace: Path,
    env: dict[str, str],
    calls: int,
) -> None:
    port = free_port()
    with server(command(port), workspace, env(port), port) as (process, _, _):
        for _ in range(200):  # warm up
            post(port)
        time.sleep(0.5)
        pid = server_pid(process)
        before = threads_and_memory(pid)
        for _ in range(calls):
            began = time.perf_counter()
            status, _ = post(port)
            result.latencies.append(time.perf_counter() - began)
            assert status == 200
        after = threads_and_memory(pid)
        result.threads = (before[0], after[0])
        result.rss_kb = (before[1], after[1])

        marker = f"edit{time.time_ns()}"
        edit_helper(workspace, marker)
        result.edit_visible = wait_for_change(port, marker, STALE_AFTER)
        restart_began = time.perf_counter()
    if result.edit_visible is None:
        # What it takes to see the edit: stop, start again, call until it shows.
        port = free_port()
        with server(command(port), workspace, env(port), port):
            if wait_for_change(port, marker, STALE_AFTER) is not None:
                result.restart_visible = time.perf_counter() - restart_began
    restore_helper(workspace)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def table(ours: Result, plain: Result, invoke_start: float, calls: int) -> str:
    def ms(value: float) -> str:
        return f"{value * 1000:.2f} ms"

    def seconds(value: float | None) -> str:
        return "never (stale)" if value is None else f"{value:.3f} s"

    def ratio(a: float | None, b: float | None) -> str:
        return "-" if not a or not b else f"{a / b:.2f}"

    rows = [
        (
            "start to first answer (median)",
            statistics.median(ours.starts),
            statistics.median(plain.starts),
            seconds,
        ),
        ("  ours through `invoke serve`", invoke_start, None, seconds),
        (
            "start to listening (median)",
            statistics.median(ours.listening),
            statistics.median(plain.listening),
            seconds,
        ),
        (
            f"latency p50 ({calls} calls)",
            percentile(ours.latencies, 0.5),
            percentile(plain.latencies, 0.5),
            ms,
        ),
        (
            f"latency p99 ({calls} calls)",
            percentile(ours.latencies, 0.99),
            percentile(plain.latencies, 0.99),
            ms,
        ),
        ("latency mean", statistics.mean(ours.latencies), statistics.mean(plain.latencies), ms),
        ("edit helper -> visible (no restart)", ours.edit_visible, plain.edit_visible, seconds),
        (
            "edit helper -> visible (with restart)",
            ours.edit_visible,
            plain.restart_visible,
            seconds,
        ),
    ]
    lines = [f"{'metric':40} {'ours':>16} {'plain':>16} {'ours/plain':>11}"]
    for label, mine, theirs, show in rows:
        shown_theirs = "" if theirs is None and label.startswith("  ") else show(theirs)
        lines.append(f"{label:40} {show(mine):>16} {shown_theirs:>16} {ratio(mine, theirs):>11}")
    for label, pair_ours, pair_plain in (
        ("threads before -> after", ours.threads, plain.threads),
        (
            "RSS MB before -> after",
            tuple(v / 1024 for v in ours.rss_kb),
            tuple(v / 1024 for v in plain.rss_kb),
        ),
    ):

        def span(pair: tuple) -> str:
            return (
                f"{pair[0]:.0f} -> {pair[1]:.0f}"
                if isinstance(pair[0], float)
                else (f"{pair[0]} -> {pair[1]}")
            )

        growth = ratio(pair_ours[1] - pair_ours[0] or None, pair_plain[1] - pair_plain[0] or None)
        lines.append(f"{label:40} {span(pair_ours):>16} {span(pair_plain):>16} {growth:>11}")
    lines.append("")
    lines.append("ours/plain below 1 means ours is faster or smaller; for threads and RSS it")
    lines.append("compares the growth over the calls ('-' where one side did not grow).")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_venv = os.environ.get("IXON_TEST_VENV", str(TEMPLATE / ".bake" / "workspace-venv"))
    parser.add_argument("--venv", default=default_venv, help="the workspace environment")
    parser.add_argument("--calls", type=int, default=3000, help="calls per server (bounded)")
    parser.add_argument("--starts", type=int, default=3, help="starts per server")
    options = parser.parse_args()
    python = Path(options.venv) / "bin" / "python"
    if not python.exists():
        print(
            f"ERROR: no environment at {options.venv}: run the template's tests once "
            "(they set it up) or pass --venv",
            file=sys.stderr,
        )
        return 2
    if not 1 <= options.calls <= 20000 or not 1 <= options.starts <= 10:
        print("ERROR: --calls must be 1 to 20000 and --starts 1 to 10", file=sys.stderr)
        return 2
    from cookiecutter.main import cookiecutter  # the tools environment has it

    with tempfile.TemporaryDirectory(prefix="bench-serve-") as folder:
        with stdout_to_stderr():  # the hook's greeting is not part of the table
            baked = cookiecutter(
                str(TEMPLATE), no_input=True, output_dir=folder, extra_context={"git_init": "no"}
            )
        workspace = Path(baked)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("IXON_", "VIRTUAL_ENV"))}
        base["IXON_VENV"] = options.venv
        # The workspace as a developer has it: `invoke setup` ran (with an existing environment
        # it only byte-compiles tasks.py and bootstrap.py; uv compiled the installed tooling).
        subprocess.run(
            [sys.executable, "-m", "invoke", "setup"],
            cwd=workspace,
            env=base,
            stdout=subprocess.DEVNULL,
            check=True,
        )

        def ours_command(port: int) -> list[str]:
            return [
                str(python),
                "-m",
                "ixon_devkit.serve.serve",
                "--port",
                str(port),
                "--docdb",
                "memory",
            ]

        def plain_command(port: int) -> list[str]:
            return [str(python), "-c", PLAIN_LAUNCHER]

        def plain_env(port: int) -> dict[str, str]:
            return {**base, "CBC_PATH": "./functions", "HTTP_SERVER_PORT": str(port)}

        print(f"Workspace {workspace}\nEnvironment {options.venv}\n", file=sys.stderr)
        ours = Result("ours")
        plain = Result("plain")
        load_before = os.getloadavg()[0]
        measure_starts(
            [(ours, ours_command, lambda port: base), (plain, plain_command, plain_env)],
            workspace,
            options.starts,
        )
        load_after = os.getloadavg()[0]
        measure(ours, ours_command, workspace, lambda port: base, options.calls)
        measure(plain, plain_command, workspace, plain_env, options.calls)
        port = free_port()
        invoke_command = [
            sys.executable,
            "-m",
            "invoke",
            "serve",
            "--port",
            str(port),
            "--docdb",
            "memory",
        ]
        with server(invoke_command, workspace, base, port) as (_, invoke_start, _):
            pass
    print(table(ours, plain, invoke_start, options.calls))
    print(
        f"Starts: {options.starts} of each, in turns; load average (1 min) {load_before:.1f} "
        f"before them, {load_after:.1f} after, on {os.cpu_count()} cores."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
