"""IXON's list of API endpoint names (discovery names), to catch a misspelt one before deploy.

The workspace carries the list in `ixon_devkit/cloud/ixon_api_names.json`: the operation tags of
IXON's OpenAPI description, version 0.1.294, taken on 2026-11-29 (the file says where from).
IXON adds endpoints over time, so `invoke api-access --refresh` replaces it, for this workspace,
with the names of the live discovery document (asked with your token, see
`ixon_devkit.cloud.names_refresh`), kept in `.devkit/ixon-api-names.json`; the newer of the two
is used.

A name that is on neither list is most likely misspelt (`AgentLst`): `unknown` gives it with
the closest names IXON has.

Standard library only.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path

BUNDLED = Path(__file__).with_name("ixon_api_names.json")
REFRESHED = Path(".devkit") / "ixon-api-names.json"
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,99}")


@dataclass(frozen=True)
class Names:
    """IXON's endpoint names, and where and when they were taken."""

    names: frozenset[str]
    source: str
    taken_on: str

    def describe(self) -> str:
        return f"IXON's list of API names ({self.source}, taken on {self.taken_on})"


def _read(path: Path) -> Names | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        names = frozenset(name for name in document["names"] if _NAME.fullmatch(name))
        return Names(names, str(document["source"]), str(document["taken_on"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def load(root: Path) -> Names | None:
    """The newest list: this workspace's refreshed one, else the one the workspace carries."""
    lists = [found for found in (_read(root / REFRESHED), _read(BUNDLED)) if found is not None]
    if not lists:
        return None
    return max(lists, key=lambda found: found.taken_on)


def closest(name: str, known: Names) -> list[str]:
    """Up to three of IXON's names closest to `name`."""
    by_lower = {item.lower(): item for item in known.names}
    matches = difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.75)
    return [by_lower[match] for match in matches]


def unknown(names: list[str], known: Names | None) -> dict[str, list[str]]:
    """The names IXON's list lacks, each with its closest names ({} without a list)."""
    if known is None:
        return {}
    return {name: closest(name, known) for name in names if name not in known.names}


def hint(name: str, close: list[str]) -> str:
    """`AgentLst (did you mean AgentList? also close: Agent, AgentTypeList)`."""
    if not close:
        return f"{name} (no IXON name is close)"
    also = f" also close: {', '.join(close[1:])}" if close[1:] else ""
    return f"{name} (did you mean {close[0]}?{also})"


def save_refreshed(root: Path, names: list[str], source: str, taken_on: str) -> Path:
    """Write the list a live discovery gave, for this workspace; the file's path."""
    path = root / REFRESHED
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"source": source, "taken_on": taken_on, "names": sorted(set(names))}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    temporary.replace(path)
    return path
