"""`invoke test --watch` in a baked workspace: a saved test file is run again, alone."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import workspace_env, workspace_module

WAITING = "Watching functions/ and tests/ for saves; Ctrl-C stops"
#: Seconds any one step may take (the first run includes pytest's start on a busy machine).
STEP = 120


class Output:
    """The lines a process prints, read on a thread, waited for with a deadline."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, args=(process,), daemon=True).start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def until(self, text: str, limit: float = STEP) -> list[str]:
        """The lines up to and including the first one that contains `text`."""
        deadline = time.monotonic() + limit
        seen: list[str] = []
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            seen.append(line)
            self.lines.append(line)
            if text in line:
                return seen
        raise AssertionError(f"no {text!r} within {limit} s; printed:\n" + "\n".join(self.lines))


def test_a_saved_test_file_runs_again_alone(workspace: Path) -> None:
    test_file = workspace / "tests" / "test_example.py"
    original = test_file.read_text(encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "invoke", "test", "--watch", "--verbose"],
        cwd=workspace,
        env=workspace_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output = Output(process)
        first = output.until(WAITING)
        assert any("tests/test_notes.py::" in line for line in first)  # every test, first

        test_file.write_text(
            original + "\n\ndef test_added_while_watching():\n    assert 2 + 2 == 4\n",
            encoding="utf-8",
        )
        rerun = output.until(WAITING)
        assert "Changed: tests/test_example.py" in rerun
        assert any("test_added_while_watching PASSED" in line for line in rerun)
        assert not any("tests/test_notes.py::" in line for line in rerun)  # that file alone
        assert any("9 passed" in line for line in rerun)

        test_file.write_text(
            original + "\n\ndef test_added_while_watching():\n    assert 2 + 2 == 5\n",
            encoding="utf-8",
        )
        failed = output.until(WAITING)
        assert any("test_added_while_watching FAILED" in line for line in failed)
        assert any("1 failed, 8 passed" in line for line in failed)

        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal
        assert process.wait(timeout=30) == 0
        assert "Stopped watching" in output.until("Stopped watching", 10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_what_runs_after_a_change(tmp_path: Path) -> None:
    watch = workspace_module("ixon_devkit.testing.watch")
    (tmp_path / "tests").mkdir()
    one, two = tmp_path / "tests" / "test_one.py", tmp_path / "tests" / "test_two.py"
    one.write_text("", encoding="utf-8")
    two.write_text("", encoding="utf-8")

    assert watch.selection([two, one], tmp_path) == ["tests/test_one.py", "tests/test_two.py"]
    everything = ["--failed-first"]
    assert watch.selection([one, tmp_path / "functions" / "example.py"], tmp_path) == everything
    assert watch.selection([tmp_path / "tests" / "conftest.py"], tmp_path) == everything
    assert watch.selection([tmp_path / "tests" / "test_gone.py"], tmp_path) == everything
    assert watch.selection([], tmp_path) == everything
