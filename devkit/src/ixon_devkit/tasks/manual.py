"""`invoke docs [TOPIC]`: the manual, which travels with the package (`ixon_devkit/docs/*.md`).

Without a topic it lists the pages (each file's stem and its first `#` heading); with one it
prints that page as it is written (Markdown). Light on purpose: every invoke loads the tasks,
so this module imports nothing beyond what they already load, and reads the pages only when
the task runs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from invoke.parser import Argument
from invoke.tasks import Task

from ixon_devkit.errors import UserError
from ixon_devkit.tasks.common import user_task

#: The manual's pages, beside the package's modules (a wheel installs as plain files).
MANUAL = Path(__file__).resolve().parent.parent / "docs"


class UnknownTopicError(UserError):
    """`invoke docs TOPIC` with a topic the manual has no page for."""


def topics(folder: Path = MANUAL) -> dict[str, str]:
    """Every page of the manual: its topic (the file's stem) and its title (first `#` line)."""
    found = {}
    for page in sorted(folder.glob("*.md")):
        title = ""
        for line in page.read_text(encoding="utf-8").splitlines():
            if line.startswith("# "):
                title = line[2:].strip()
                break
        found[page.stem] = title
    return found


def page(topic: str, folder: Path = MANUAL) -> str:
    """The text of the manual's page on `topic`, its file's stem (`testing.md` is taken too)."""
    known = topics(folder)
    name = topic.strip().removesuffix(".md").lower()
    if name not in known:
        raise UnknownTopicError(
            f"the manual has no topic {topic!r}: the topics are {', '.join(known)} "
            "(invoke docs, without a topic, lists them with their titles)"
        )
    return (folder / f"{name}.md").read_text(encoding="utf-8")


class _OptionalPositional(Argument):
    """A positional argument that may be left out (`invoke docs`, `invoke docs testing`).

    invoke takes a token as a positional argument only while that argument's value is None,
    and stops with "did not receive required positional arguments" when one is still None as
    it completes the task's arguments. This one is None while tokens are read and its default
    ("") once invoke completes them.
    """

    @property
    def value(self) -> Any:
        if self._value is not None:
            return self._value
        frame = sys._getframe(1)
        for _ in range(4):  # the parser's check, its list comprehension and property
            if frame is None:
                break
            if frame.f_code.co_name == "complete_context":
                return self.default
            frame = frame.f_back
        return None

    @value.setter
    def value(self, arg: str) -> None:
        self.set_value(arg, cast=True)


class _TopicTask(Task):
    """A task whose positional arguments may be left out."""

    def get_arguments(self, ignore_unknown_help: bool | None = None) -> list[Argument]:
        arguments = super().get_arguments(ignore_unknown_help)
        for index, argument in enumerate(arguments):
            if argument.positional:
                optional = _OptionalPositional(
                    names=argument.names,
                    kind=str,
                    help=argument.help,
                    positional=True,
                    attr_name=argument.attr_name,
                )
                optional.default = ""  # after __init__, which starts the value at the default
                arguments[index] = optional
        return arguments


@user_task(
    klass=_TopicTask,
    positional=["topic"],
    help={"topic": "The page to print, like testing; without it, the list of pages"},
)
def docs(c, topic=""):
    """Show the manual: without TOPIC the list of its topics, with one that topic's page.

    The manual comes with the tooling (ixon-devkit), so it is always the one of the release
    that requirements-dev.in pins.
    """
    try:
        if topic:
            text = page(topic)
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        else:
            known = topics()
            width = max(map(len, known), default=0)
            lines = [f"  {name.ljust(width)}  {title}" for name, title in known.items()]
            sys.stdout.write("The manual: invoke docs TOPIC prints a page.\n\n")
            sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # a pager quit early (invoke docs deploying | less)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - no flush to a closed pipe at exit
