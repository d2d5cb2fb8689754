"""Benchmark: one `invoke serve` against the two-terminal way, to the component's first answer.

Measures, for a freshly baked workspace with the status-panel UI Component, the time from
starting the command(s) to the component in headless Chromium showing the greeting that the
Cloud Function returned:

- ours: `invoke serve` (the function server and IXON's simulator, one command);
- two terminals, as IXON's apps' READMEs say: plain `python -m ixoncdkingress` (its Docker
  start left out, which cannot run without a Docker daemon) and `npx cdk simulate NAME`,
  both started at the same moment.

Chromium is started before the clock and opens the simulator's printed address as soon as it
appears. The simulator calls http://localhost:8020/; the browser sends that to the port the
function server got (the DevTools Fetch domain), so a server on 8020 elsewhere does not matter.

Run from the template repository with the tools environment, after the template's UI tests
have filled `.bake/node-cache` (or pass --node-modules):

    python benchmarks/ui_serve.py [--runs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TEMPLATE / "tests"))

from support import free_port  # noqa: E402
from test_ui import SHADOW, Browser  # noqa: E402

COMPONENT = "status-panel"
PLAIN_LAUNCHER = """
import sys
from ixoncdkingress import __main__ as ingress
from ixoncdkingress.webserver import wsgi
wsgi.setup_mongo_container = lambda config: None  # no Docker daemon here; the rest as shipped
sys.exit(ingress.main(sys.argv[1:]))
"""
LIMIT = 180.0


def start(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        # cdk's builder may outlive a killed npx: end the whole group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def simulator_url(log: Path, started: float) -> str:
    while time.monotonic() - started < LIMIT:
        for line in log.read_text(errors="replace").splitlines():
            if "Simulator running at:" in line:
                return line.split("Simulator running at:")[1].strip()
        time.sleep(0.05)
    raise SystemExit(
        f"ERROR: the simulator printed no address within {LIMIT:.0f} s:\n"
        + log.read_text(errors="replace")[-2000:]
    )


def time_to_answer(browser: Browser, log: Path, started: float) -> float:
    """Seconds from `started` until the component shows the function's greeting."""
    url = simulator_url(log, started)
    target = browser.send("Target.createTarget", url="about:blank")["targetId"]
    browser.session = browser.send("Target.attachToTarget", targetId=target, flatten=True)[
        "sessionId"
    ]
    browser.send("Fetch.enable", patterns=[{"urlPattern": "http://localhost:8020/*"}])
    browser.send("Page.navigate", url=url)
    browser.wait_for(
        f"{SHADOW}?.querySelector('.greeting')?.textContent.includes('Hello')", timeout=LIMIT
    )
    elapsed = time.monotonic() - started
    browser.session = ""
    browser.send("Target.closeTarget", targetId=target)
    return elapsed


@contextlib.contextmanager
def chromium(profile: Path, function_port: int) -> Iterator[Browser]:
    browser = Browser(profile)
    browser.function_port = function_port
    try:
        yield browser
    finally:
        browser.close()


def run_ours(workspace: Path, env: dict[str, str], log: Path, profile: Path) -> float:
    function_port, ui_port = free_port(), free_port()
    with chromium(profile, function_port) as browser:
        started = time.monotonic()
        process = start(
            [
                sys.executable,
                "-m",
                "invoke",
                "serve",
                "--docdb",
                "memory",
                "--port",
                str(function_port),
                "--ui-port",
                str(ui_port),
            ],
            workspace,
            env,
            log,
        )
        try:
            return time_to_answer(browser, log, started)
        finally:
            stop([process])


def run_two_terminals(
    workspace: Path, env: dict[str, str], python: Path, log: Path, profile: Path
) -> float:
    function_port, ui_port = free_port(), free_port()
    plain_env = {**env, "CBC_PATH": "./functions", "HTTP_SERVER_PORT": str(function_port)}
    with chromium(profile, function_port) as browser:
        started = time.monotonic()
        processes = [
            start([str(python), "-c", PLAIN_LAUNCHER], workspace, plain_env, log),
            start(
                ["npx", "cdk", "simulate", COMPONENT, "--port", str(ui_port)],
                workspace,
                {**env, "BROWSER": "none"},
                log,
            ),
        ]
        try:
            return time_to_answer(browser, log, started)
        finally:
            stop(processes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_venv = os.environ.get("IXON_TEST_VENV", str(TEMPLATE / ".bake" / "workspace-venv"))
    parser.add_argument("--venv", default=default_venv, help="the workspace environment")
    parser.add_argument(
        "--node-modules",
        default=str(TEMPLATE / ".bake" / "node-cache" / "node_modules"),
        help="installed Node packages of the UI workspace (the tests' cache)",
    )
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    python = Path(options.venv) / "bin" / "python"
    modules = Path(options.node_modules)
    if not python.exists() or not (modules / ".devkit-installed").exists():
        print(
            "ERROR: run the template's tests once (tests/test_ui.py sets up the Python "
            "environment and the Node packages), or pass --venv and --node-modules",
            file=sys.stderr,
        )
        return 1
    if shutil.which("chromium") is None:
        print("ERROR: Debian's chromium is needed (apt-get install chromium)", file=sys.stderr)
        return 1
    from cookiecutter.main import cookiecutter

    with tempfile.TemporaryDirectory(prefix="ui-serve-bench-") as folder:
        workspace = Path(
            cookiecutter(
                str(TEMPLATE),
                no_input=True,
                output_dir=folder,
                extra_context={"git_init": "no", "ui_component": COMPONENT},
            )
        )
        (workspace / "node_modules").symlink_to(modules, target_is_directory=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("IXON_API_")}
        env["IXON_VENV"] = options.venv
        subprocess.run(
            [sys.executable, "-m", "invoke", "setup"],
            cwd=workspace,
            env=env,
            check=True,
            capture_output=True,
        )
        results: dict[str, list[float]] = {"invoke serve": [], "two terminals": []}
        for run in range(options.runs):
            log = Path(folder) / f"ours-{run}.log"
            results["invoke serve"].append(
                run_ours(workspace, env, log, Path(folder) / f"profile-a{run}")
            )
            results["two terminals"].append(
                run_two_terminals(
                    workspace,
                    env,
                    python,
                    Path(folder) / f"theirs-{run}.log",
                    Path(folder) / f"profile-b{run}",
                )
            )
    print(
        f"From the command to the component showing the function's answer ({options.runs} "
        "runs, seconds)"
    )
    print(f"{'way':<16}{'median':>8}{'min':>8}{'max':>8}  commands")
    commands = {
        "invoke serve": "1 (invoke serve)",
        "two terminals": "2 (python -m ixoncdkingress; npx cdk simulate NAME)",
    }
    for name, times in results.items():
        print(
            f"{name:<16}{statistics.median(times):>8.2f}{min(times):>8.2f}{max(times):>8.2f}"
            f"  {commands[name]}"
        )
    ours, theirs = (statistics.median(results[k]) for k in ("invoke serve", "two terminals"))
    print(f"ratio (ours / two terminals): {ours / theirs:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
