"""`invoke docs [TOPIC]`: the manual that travels with the tooling package, listed and printed.

In process: the package's tasks imported from the template's source, run by invoke's own
Program as `invoke docs` runs them.
"""

from __future__ import annotations

import ast
import re

import pytest

from conftest import PACKAGE_SOURCE, workspace_module

MANUAL = PACKAGE_SOURCE / "ixon_devkit" / "docs"


def run_invoke(*arguments: str) -> int:
    """Run `invoke ARGUMENTS` on the package's namespace in this process; its exit code."""
    from invoke import Program

    tasks = workspace_module("ixon_devkit.tasks")
    try:
        Program(namespace=tasks.namespace, name="invoke").run(["invoke", *arguments])
    except SystemExit as stop:
        return stop.code or 0
    return 0


def test_without_a_topic_it_lists_every_page_with_its_title(capsys):
    assert run_invoke("docs") == 0

    out = capsys.readouterr().out
    listed = dict(re.findall(r"^  (\S+) +(.+)$", out, re.MULTILINE))
    pages = sorted(MANUAL.glob("*.md"))
    assert len(pages) >= 7
    assert sorted(listed) == [page.stem for page in pages]
    assert listed["testing"] == "Writing tests"
    for page in pages:
        first_heading = re.search(r"^# (.+)$", page.read_text(encoding="utf-8"), re.M)
        assert listed[page.stem] == first_heading.group(1)


def test_a_topic_prints_its_page(capsys):
    assert run_invoke("docs", "testing") == 0

    out = capsys.readouterr().out
    assert out == (MANUAL / "testing.md").read_text(encoding="utf-8")
    assert out.startswith("# Writing tests\n")


def test_a_topic_may_be_named_as_its_file(capsys):
    assert run_invoke("docs", "serving.md") == 0

    assert capsys.readouterr().out.startswith("# Serving and calling\n")


def test_an_unknown_topic_is_one_error_line_naming_the_topics(capsys):
    code = run_invoke("docs", "testin")

    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("ERROR: the manual has no topic 'testin'")
    for page in MANUAL.glob("*.md"):
        assert page.stem in line


@pytest.mark.parametrize("topic", ["../README", "/etc/passwd", ""])
def test_a_topic_outside_the_manual_is_unknown(topic):
    manual = workspace_module("ixon_devkit.tasks.manual")
    if not topic:
        assert manual.topics()  # the empty topic is the list, not a page
        return
    with pytest.raises(manual.UnknownTopicError):
        manual.page(topic)


def test_the_task_module_imports_nothing_heavy():
    """Tasks load on every invoke: the docs task imports only what the tasks already load
    (no importlib.resources, no Markdown renderer); it reads the pages when it runs."""
    tree = ast.parse((PACKAGE_SOURCE / "ixon_devkit" / "tasks" / "manual.py").read_text())
    imported = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert imported == {
        "__future__",
        "os",
        "sys",
        "pathlib",
        "typing",
        "invoke.parser",
        "invoke.tasks",
        "ixon_devkit.errors",
        "ixon_devkit.tasks.common",
    }


def test_a_baked_workspace_prints_its_manual_from_the_installed_package(default_workspace):
    """End to end: the workspace's tasks.py, through bootstrap.py, in its environment, where
    the manual is the installed wheel's (the workspace itself has no docs/)."""
    from conftest import invoke

    listed = invoke(default_workspace, "docs")
    page = invoke(default_workspace, "docs", "runtime")
    unknown = invoke(default_workspace, "docs", "nope", check=False)

    assert "  troubleshooting  Troubleshooting" in listed.stdout
    assert page.stdout == (MANUAL / "runtime.md").read_text(encoding="utf-8")
    assert unknown.returncode == 1
    assert unknown.stderr.strip().startswith("ERROR: the manual has no topic 'nope'")
    assert not (default_workspace / "docs").exists()
