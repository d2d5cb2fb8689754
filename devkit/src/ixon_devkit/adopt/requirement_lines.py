"""The lines of a requirements file as adopt reads them: each a `Requirement`, named when it is
a plain requirement of a project (normalised as pip compares names), read with `packaging`
through the lock reader.

`requirements` merges them, `review` compares the files before and after; both read them here,
so that neither imports the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ixon_devkit.workspace import lock


@dataclass(frozen=True)
class Requirement:
    """One line of a requirements file: a project name when the line is a plain requirement."""

    name: str | None
    line: str

    @property
    def pin(self) -> str | None:
        found = lock.requirement(self.line)
        return lock.exact_version(found) if found else None

    @property
    def spec(self) -> str:
        return re.sub(r"\s+#.*$", "", self.line).strip()


def parse(text: str) -> list[Requirement]:
    """The lines of a requirements file (a comment or an option has no name)."""
    found = []
    for raw in text.splitlines():
        line = raw.strip()
        read = lock.requirement(line)
        # No name for a comment, an option, a path or a direct reference (`x @ file://...`).
        named = read is not None and not read.url
        found.append(Requirement(lock.normalise(read.name) if named else None, line))
    return found
