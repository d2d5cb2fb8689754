"""The lines of a requirements file as adopt reads them: each a `Requirement`, named when it is
a plain requirement of a project (normalised as pip compares names).

`requirements` merges them, `review` compares the files before and after; both read them here,
so that neither imports the other. Standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: A requirement's project name, its extras, and the rest of the line.
NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")
_VERSION_START = re.compile(r"^(==|>=|<=|~=|!=|<|>|===|;|$)")


@dataclass(frozen=True)
class Requirement:
    """One line of a requirements file: a project name when the line is a plain requirement."""

    name: str | None
    line: str

    @property
    def pin(self) -> str | None:
        found = re.search(r"(?<![=<>!~])==\s*([^\s;#,]+)", self.line)
        return found.group(1) if found and "," not in self.spec else None

    @property
    def spec(self) -> str:
        return re.sub(r"\s+#.*$", "", self.line).strip()


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse(text: str) -> list[Requirement]:
    """The lines of a requirements file (a comment or an option has no name)."""
    found = []
    for raw in text.splitlines():
        line = raw.strip()
        bare = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not bare or bare.startswith("-"):
            found.append(Requirement(None, line))
            continue
        match = NAME.match(bare)
        rest = match.group(3).strip() if match else ""
        if not match or not _VERSION_START.match(rest):
            found.append(Requirement(None, line))  # a URL, a path, `x @ file://...`
            continue
        found.append(Requirement(normalise(match.group(1)), line))
    return found
