"""What every run of a workspace's tests pays before its first test, and what it may skip.

The import checks of the tests' plugin (`ixon_devkit.testing.fixtures`) are skipped while nothing
they read changed since they last passed (`ixon_devkit.ship.passed_checks`); garbage collection
waits until the tests are collected, then freezes what exists (speed: benchmarks/
workspace_tests.py). Neither may hide a problem or change what a test sees.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from conftest import invoke, workspace_module

passed_checks = workspace_module("ixon_devkit.ship.passed_checks")

REFUSED_IMPORT = {  # IXON Cloud's runtime answers `types` with the standard library's module
    "functions/types.py": "class Mode:\n    pass\n",
    "functions/report.py": "from types import Mode\n",
}
GC_TEST = """\
import gc


def test_garbage_is_collected_and_the_start_is_frozen():
    assert gc.isenabled()
    # the objects of the run's start (tens of thousands; Python itself starts with hundreds)
    assert gc.get_freeze_count() > 10_000
"""


#: A moment an hour before the tests began.
AN_HOUR_AGO = time.time() - 3600


def age(root: Path, then: float = AN_HOUR_AGO) -> None:
    """Date every file under `root` back to `then`, as if all were saved a while ago."""
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (then, then))


def test_a_pass_is_remembered_until_what_it_read_changes(tmp_path):
    module = tmp_path / "functions" / "a.py"
    module.parent.mkdir()
    module.write_text("A = 1\n", encoding="utf-8")
    age(tmp_path)

    def printed(key: object = ("x",)) -> str:
        found, settled = passed_checks.fingerprint(
            tmp_path, sorted((tmp_path / "functions").glob("*.py")), key
        )
        assert settled
        return found

    first = printed()
    assert not passed_checks.passed(tmp_path, "import-world", first)
    passed_checks.remember(tmp_path, "import-world", first)
    assert passed_checks.passed(tmp_path, "import-world", first)
    assert printed() == first  # nothing changed: the same print
    assert not passed_checks.passed(tmp_path, "other-check", first)
    assert printed(key=("y",)) != first  # what else it depends on (the runtime's names)

    module.write_text("A = 12\n", encoding="utf-8")
    age(tmp_path)
    edited = printed()
    (tmp_path / "functions" / "b.py").write_text("", encoding="utf-8")
    age(tmp_path)
    added = printed()
    (tmp_path / "functions" / "b.py").unlink()
    assert len({first, edited, added}) == 3
    assert printed() == edited  # b.py removed again
    assert not passed_checks.passed(tmp_path, "import-world", edited)


def test_a_file_saved_a_moment_ago_is_not_taken_as_settled(tmp_path):
    module = tmp_path / "a.py"
    module.write_text("A = 1\n", encoding="utf-8")

    _, settled = passed_checks.fingerprint(tmp_path, [module])
    age(tmp_path)
    _, settled_later = passed_checks.fingerprint(tmp_path, [module])

    assert (settled, settled_later) == (False, True)


def test_a_record_that_cannot_be_read_or_written_only_means_checking_again(tmp_path):
    record = tmp_path / passed_checks.RECORD
    record.parent.mkdir()
    record.write_text("[not a record", encoding="utf-8")
    assert not passed_checks.passed(tmp_path, "import-world", "abc")

    passed_checks.remember(tmp_path, "import-world", "abc")  # replaces what it cannot read
    assert json.loads(record.read_text(encoding="utf-8")) == {"import-world": "abc"}

    record.unlink()
    record.parent.rmdir()
    record.parent.write_text("a file where the folder belongs", encoding="utf-8")
    passed_checks.remember(tmp_path, "import-world", "def")  # quietly not
    assert not passed_checks.passed(tmp_path, "import-world", "def")


def test_the_checks_skipped_on_an_unchanged_workspace_still_refuse_a_new_problem(workspace):
    (workspace / "tests" / "test_gc.py").write_text(GC_TEST, encoding="utf-8")
    age(workspace)
    record = workspace / passed_checks.RECORD

    clean = invoke(workspace, "test", "--verbose")
    assert "test_gc.py::test_garbage_is_collected_and_the_start_is_frozen PASSED" in clean.stdout
    remembered = json.loads(record.read_text(encoding="utf-8"))["import-world"]
    again = invoke(workspace, "test")  # the checks skipped: the same tests pass
    assert again.stdout.count(" passed") == 1

    for name, text in REFUSED_IMPORT.items():
        (workspace / name).write_text(text, encoding="utf-8")
    age(workspace)
    refused = invoke(workspace, "test", check=False)

    assert refused.returncode != 0
    assert "functions/report.py:1 " in refused.stdout + refused.stderr
    assert json.loads(record.read_text(encoding="utf-8"))["import-world"] == remembered

    (workspace / "functions" / "report.py").unlink()
    (workspace / "functions" / "types.py").unlink()
    assert invoke(workspace, "test").returncode == 0
