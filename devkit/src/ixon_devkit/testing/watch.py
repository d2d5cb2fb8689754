"""`invoke test --watch`: run the tests, then again after every save, until Ctrl-C.

The watching is watchfiles' (`watchfiles.watch`: the operating system's file events, a save's
burst of events taken as one change). What runs after a change:

- only test files changed (`tests/**/test_*.py`, `*_test.py`): those files;
- anything else the tests depend on (a module of `functions/`, a conftest.py or other helper
  under `tests/`, `context_values.yaml`, `call_context.yaml`, `workspace.json`,
  `pyproject.toml`): every test, the ones that failed last time first.

Every run is a fresh `python -m pytest` (so every edit is imported afresh), with the arguments
given here passed on (`-k`, `-v`). Run in the workspace environment with the workspace as the
working directory: `python -m ixon_devkit.testing.watch [pytest arguments]`.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

from ixon_devkit.workspace import processes, root

ROOT = root.find()
#: Folders whose Python files the tests run.
WATCHED_FOLDERS = ("functions", "tests")
#: Files of the workspace's root that change what the tests see.
WATCHED_FILES = ("context_values.yaml", "call_context.yaml", "workspace.json", "pyproject.toml")
#: When the first run starts, once the watcher is watching (milliseconds; also how often the
#: idle watcher wakes up).
STARTUP_MS = 200


class TestInputs:
    """Python files under the watched folders and the watched root files; never bytecode,
    caches or an editor's temporary files (watchfiles' default ignores)."""

    def __init__(self, root: Path) -> None:
        from watchfiles import DefaultFilter  # noqa: PLC0415 - `selection` works without it

        self._default = DefaultFilter()
        self._files = {str(root / name) for name in WATCHED_FILES}

    def __call__(self, change: object, path: str) -> bool:
        if not self._default(change, path):
            return False
        return path.endswith(".py") or path in self._files


def is_test_file(path: Path) -> bool:
    """Whether pytest collects `path` as a test module (its default file patterns)."""
    return path.suffix == ".py" and (path.name.startswith("test_") or path.stem.endswith("_test"))


def selection(changed: Iterable[Path], root: Path = ROOT) -> list[str]:
    """What pytest runs after `changed`: those test files when only test files changed (and
    still exist), else every test with the last failures first."""
    changed = sorted(set(changed))
    tests = root / "tests"
    if changed and all(is_test_file(path) and tests in path.parents for path in changed):
        present = [path for path in changed if path.exists()]
        if present:
            return [path.relative_to(root).as_posix() for path in present]
    return ["--failed-first"]


def run_tests(arguments: list[str], root: Path, stop: threading.Event) -> int | None:
    """One pytest run in a fresh interpreter: its exit code, or None when `stop` ended it."""
    process = subprocess.Popen([sys.executable, "-m", "pytest", *arguments], cwd=root)
    while True:
        try:
            return process.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            if stop.is_set():
                process.terminate()
                process.wait()
                return None


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    passed_on = list(sys.argv[1:] if argv is None else argv)
    paths = [root / name for name in WATCHED_FOLDERS if (root / name).is_dir()]
    paths += [root / name for name in WATCHED_FILES if (root / name).is_file()]
    from watchfiles import watch  # noqa: PLC0415 - `selection` works without it

    # Ctrl-C (and SIGTERM, which `invoke test --watch` passes on) only asks to stop: a second
    # one, as a terminal's Ctrl-C and invoke's passing it on make, cannot cut the stop short.
    stop = threading.Event()
    for sig in processes.stop_signals():
        signal.signal(sig, lambda signum, frame: stop.set())
    waiting = "\nWatching functions/ and tests/ for saves; Ctrl-C stops"
    first = True
    # The watcher starts before the first run, and keeps collecting while a run goes on: a
    # save during a run is run right after it. Its first wake-up (an empty set, after
    # STARTUP_MS) starts the first run; later empty ones are only wake-ups.
    for changes in watch(
        *paths,
        watch_filter=TestInputs(root),
        rust_timeout=STARTUP_MS,
        yield_on_timeout=True,
        stop_event=stop,
    ):
        if first:
            first = False
            run_tests(passed_on, root, stop)
        elif changes:
            changed = [Path(path) for _, path in changes]
            shown = ", ".join(sorted({path.relative_to(root).as_posix() for path in changed}))
            print(f"\nChanged: {shown}", flush=True)
            run_tests([*selection(changed, root), *passed_on], root, stop)
        else:
            continue
        if stop.is_set():
            break
        print(waiting, flush=True)
    print("Stopped watching", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
