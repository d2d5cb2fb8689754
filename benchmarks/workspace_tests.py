"""Benchmark: a workspace's `invoke test` against the floor, the runtime and pytest imported.

Bakes one default workspace (its example functions and their tests) and times, in turns so
that the machine's load falls on both alike:

- the floor: the workspace's Python importing ixoncdkingress's `FunctionContext` and pytest,
  what any run of the tests must pay before its first test;
- `invoke test`: what a developer types, from the command to its exit (invoke, the
  environment check, pytest and every test);
- `python -m pytest`: pytest alone, in the same environment, for where the rest goes.

Each is shown as wall-clock time (what the developer waits) and as the CPU seconds its
processes used, which a busy shared machine disturbs less.

The workspace is first set up as a developer's is (`invoke setup`: with an existing
environment it only byte-compiles tasks.py and bootstrap.py). The first `invoke test` of the fresh
workspace (no bytecode of its tests and functions yet) is shown on a row of its own and
left out of the medians. With --watch it also times `invoke test --watch`: from saving an
edited test file to the rerun's result on the watcher's output.

Run from the template repository with the tools environment (it needs cookiecutter, invoke):

    python benchmarks/workspace_tests.py [--venv PATH] [--runs 7] [--watch]

--venv is the workspace environment (default: $IXON_TEST_VENV, else .bake/workspace-venv,
the one the template's tests set up, which they byte-compile where PYTHONDONTWRITEBYTECODE is
set); --fresh-venv sets up a new one with the workspace's own `invoke setup` instead (uv
installs packages without bytecode).
"""

from __future__ import annotations

import argparse
import os
import resource
import selectors
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TEMPLATE / "tests"))  # the helpers the tests use too
from support import stdout_to_stderr, stop_group  # noqa: E402

FLOOR = "from ixoncdkingress.function.context import FunctionContext; import pytest"
WATCHED_TEST = "tests/test_example.py"


def timed(command: list[str], cwd: Path, env: dict[str, str], cpu: list[float]) -> float:
    """Seconds `command` takes (its processes' CPU seconds appended to `cpu`); fails loudly
    when it fails."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append(after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime)
    if result.returncode != 0:
        raise SystemExit(f"ERROR: {' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return elapsed


def read_until(process: subprocess.Popen, text: str, limit: float) -> float | None:
    """Seconds until a line of `process`'s output contains `text`, or None within `limit`."""
    assert process.stdout is not None
    started = time.perf_counter()
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    buffered = b""
    while time.perf_counter() - started < limit:
        if not selector.select(timeout=0.2):
            continue
        chunk = os.read(process.stdout.fileno(), 65536)
        if not chunk:
            return None
        buffered += chunk
        if text.encode() in buffered:
            return time.perf_counter() - started
    return None


def watch_reruns(workspace: Path, env: dict[str, str], edits: int) -> list[float]:
    """Seconds from saving an edited test file to `invoke test --watch` reporting its rerun."""
    process = subprocess.Popen(
        [sys.executable, "-m", "invoke", "test", "--watch"],
        cwd=workspace,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    test_file = workspace / WATCHED_TEST
    original = test_file.read_text(encoding="utf-8")
    seen = []
    try:
        if read_until(process, " passed", 60) is None:
            raise SystemExit("ERROR: invoke test --watch did not run the tests within 60 s")
        for edit in range(edits):
            time.sleep(0.5)  # the watcher is waiting again
            marker = f"test_bench_edit_{edit}"
            test_file.write_text(
                original + f"\n\ndef {marker}():\n    assert {edit} == {edit}\n", encoding="utf-8"
            )
            saved = time.perf_counter()
            if read_until(process, " passed", 60) is None:
                raise SystemExit("ERROR: the edit was not rerun within 60 s")
            seen.append(time.perf_counter() - saved)
    finally:
        test_file.write_text(original, encoding="utf-8")
        stop_group(process)
    return seen


def bytecode_state(python: Path) -> str:
    """Whether Python writes bytecode here, and whether the environment's packages have it:
    both change every time above (uv installs without bytecode; PYTHONDONTWRITEBYTECODE then
    makes every run compile all it imports)."""
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import ixoncdkingress, os; print(os.path.dirname(ixoncdkingress.__file__))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    compiled = (Path(where) / "__pycache__").is_dir()
    writes = "set" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "not set"
    return (
        f"PYTHONDONTWRITEBYTECODE {writes}; the environment's packages "
        f"{'have' if compiled else 'have no'} bytecode."
    )


def row(
    label: str, values: list[float], floor: float, cpu: list[float] | None = None, cpu_floor=1.0
) -> str:
    median = statistics.median(values)
    line = (
        f"{label:<34}{median:>9.2f} s{min(values):>8.2f}{max(values):>8.2f}{median / floor:>10.2f}"
    )
    if cpu:
        used = statistics.median(cpu)
        line += f"{used:>10.2f} s{used / cpu_floor:>10.2f}"
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_venv = os.environ.get("IXON_TEST_VENV", str(TEMPLATE / ".bake" / "workspace-venv"))
    parser.add_argument("--venv", default=default_venv, help="the workspace environment")
    parser.add_argument("--runs", type=int, default=7, help="runs of each (1 to 30)")
    parser.add_argument("--watch", action="store_true", help="also time invoke test --watch")
    parser.add_argument(
        "--fresh-venv",
        action="store_true",
        help="measure in a new environment, as the workspace's `invoke setup` leaves it",
    )
    options = parser.parse_args()
    python = Path(options.venv) / "bin" / "python"
    if not python.exists() and not options.fresh_venv:
        print(
            f"ERROR: no environment at {options.venv}: run the template's tests once "
            "(they set it up) or pass --venv",
            file=sys.stderr,
        )
        return 2
    if not 1 <= options.runs <= 30:
        print("ERROR: --runs must be 1 to 30", file=sys.stderr)
        return 2
    from cookiecutter.main import cookiecutter  # the tools environment has it

    with tempfile.TemporaryDirectory(prefix="bench-tests-") as folder:
        with stdout_to_stderr():
            workspace = Path(
                cookiecutter(
                    str(TEMPLATE),
                    no_input=True,
                    output_dir=folder,
                    extra_context={"git_init": "no"},
                )
            )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("IXON_", "VIRTUAL_ENV"))}
        if options.fresh_venv:
            options.venv = str(Path(folder) / "venv")
            python = Path(options.venv) / "bin" / "python"
        env["IXON_VENV"] = options.venv
        # The workspace as a developer has it: `invoke setup` ran (with an existing environment
        # it only byte-compiles tasks.py and bootstrap.py; with --fresh-venv it builds one too).
        timed([sys.executable, "-m", "invoke", "setup"], workspace, env, [])
        load_before = os.getloadavg()
        state = bytecode_state(python)
        invoke_test = [sys.executable, "-m", "invoke", "test"]
        first_cpu: list[float] = []
        first = timed(invoke_test, workspace, env, first_cpu)
        floor, invoked, pytest_alone = [], [], []
        cpu: dict[str, list[float]] = {"floor": [], "invoke": [], "pytest": []}
        for _ in range(options.runs):
            floor.append(timed([str(python), "-c", FLOOR], workspace, env, cpu["floor"]))
            invoked.append(timed(invoke_test, workspace, env, cpu["invoke"]))
            pytest_alone.append(
                timed([str(python), "-m", "pytest", "-q"], workspace, env, cpu["pytest"])
            )
        reruns = watch_reruns(workspace, env, options.runs) if options.watch else []
    load_after = os.getloadavg()

    base, cpu_base = statistics.median(floor), statistics.median(cpu["floor"])
    print(
        f"{'what':<34}{'median':>11}{'min':>8}{'max':>8}{'/ floor':>10}{'CPU':>12}{'/ floor':>10}"
    )
    print(row("floor (FunctionContext + pytest)", floor, base, cpu["floor"], cpu_base))
    print(row("invoke test", invoked, base, cpu["invoke"], cpu_base))
    print(row("python -m pytest", pytest_alone, base, cpu["pytest"], cpu_base))
    print(row("invoke test, first on the bake", [first], base, first_cpu, cpu_base))
    if reruns:
        print(row("invoke test --watch: save->rerun", reruns, base))
    print(
        f"\n{options.runs} runs each, in turns; load average (1 min) {load_before[0]:.1f} "
        f"before, {load_after[0]:.1f} after, on {os.cpu_count()} cores."
    )
    print(state)
    print(f"ratio (invoke test / floor): {statistics.median(invoked) / base:.2f}")
    print(f"CPU ratio (invoke test / floor): {statistics.median(cpu['invoke']) / cpu_base:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
