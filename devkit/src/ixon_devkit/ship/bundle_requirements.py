"""The bundle's `requirements.txt`, checked as IXON Cloud will install it, before a bundle is built.

IXON Cloud installs the file as it is, so it must be plain UTF-8 (not UTF-16 or with a byte order
mark, as PowerShell 5 and Notepad write it), list ixoncdkingress, and pin every requirement
with `==` (no options or included files, which do not reach IXON Cloud); an environment
marker that excludes the workspace's Python would keep a requirement from ever being
installed, and a lock that no longer fits its declaration would ship the wrong versions.
`BundleError` (the error of every refusal of `ixon_devkit.ship.bundle`) lives here, where the first
check is. The lines are read by `packaging` (PEP 508), their markers by
`ixon_devkit.workspace.markers`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ixon_devkit.errors import UserError
from ixon_devkit.workspace import legacy, lock, markers, workspace_file

REQUIREMENTS = "requirements.txt"
RUNTIME = "ixoncdkingress"

#: The Python IXON Cloud runs ixoncdkingress 1.x on, when workspace.json does not say.
DEFAULT_PYTHON = "3.12"


class BundleError(UserError):
    """The sources cannot be bundled; the message names the file (and line) and the fix."""


def check_requirements(root: Path) -> None:
    """Refuse a missing requirements.txt, unpinned lines, and a missing ixoncdkingress."""
    path = root / REQUIREMENTS
    if not path.is_file():
        raise BundleError(
            f"{REQUIREMENTS} is missing: IXON Cloud installs it; create it with "
            f"{RUNTIME}==<version> and your other requirements, each pinned with =="
        )
    old = legacy.old_pin(path)
    if old:
        raise BundleError(legacy.pin_message(path, *old))
    python = _python_version(root)
    names = set()
    for number, raw in enumerate(_requirements_text(path).splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        where = f"{REQUIREMENTS}:{number}"
        if line.startswith("-"):
            raise BundleError(
                f"{where} {json.dumps(line)}: options and included files do not reach IXON "
                "Cloud: list each requirement itself, pinned with =="
            )
        # The marker apart: one packaging cannot read is named as such (below), not as unpinned.
        text, semicolon, marker = line.partition(";")
        found = lock.requirement(text)
        if found is None or found.marker or lock.exact_version(found) is None:
            raise BundleError(
                f"{where} {json.dumps(line)} is not pinned: write name==version (IXON Cloud "
                "must install exactly what you tested)"
            )
        _check_marker(where, line, marker if semicolon else None, python)
        names.add(lock.normalise(found.name))
    if RUNTIME not in names:
        raise BundleError(
            f"{REQUIREMENTS} does not list {RUNTIME}: add {RUNTIME}==<version> (the runtime "
            "IXON Cloud runs your functions with)"
        )
    # Last: the lines are readable and pinned, so a lock that no longer fits is all that is left.
    stale = lock.stale_reason(root)
    if stale:
        raise BundleError(f"{stale}: run `invoke lock`, so the bundle ships the current lock")


def _requirements_text(path: Path) -> str:
    """requirements.txt as text; BundleError when it is not plain UTF-8 (IXON Cloud installs
    the file as it is, and PowerShell 5's `>` writes UTF-16)."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (data[:1000].count(b"\x00") > 1):
        raise BundleError(
            f"{REQUIREMENTS} is UTF-16 text (PowerShell 5 writes it so): save it as UTF-8 "
            "(in PowerShell: Get-Content requirements.txt | Set-Content -Encoding ascii "
            "requirements.txt; or your editor's Save with Encoding > UTF-8)"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        raise BundleError(
            f"{REQUIREMENTS} starts with a byte order mark (UTF-8 with BOM, as Notepad and "
            "PowerShell write it): save it as UTF-8 without BOM"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise BundleError(
            f"{REQUIREMENTS}:{line} is not UTF-8 text: save the file as UTF-8"
        ) from None


def _python_version(root: Path) -> str:
    version = workspace_file.read(root).get("python_version")
    return version.strip() if isinstance(version, str) and version.strip() else DEFAULT_PYTHON


def _check_marker(where: str, line: str, marker: str | None, python: str) -> None:
    """Refuse a requirement whose environment marker is false on the workspace's Python."""
    if marker is None:
        return
    try:
        holds = markers.possible(marker, python)
    except markers.MarkerError as error:
        raise BundleError(
            f"{where} {json.dumps(line)}: its environment marker cannot be read ({error}): "
            'fix it, like ; python_version >= "3.12", or remove it'
        ) from None
    if holds is False:
        raise BundleError(
            f"{where} {json.dumps(line)} would never be installed: its environment marker "
            f"{json.dumps(marker.strip())} excludes Python {python}, which IXON Cloud runs "
            "your functions on: remove the marker (or fix it)"
        )
