"""The shapes of IXON's identifiers and of the workspace's version: one home for each pattern.

The template's pre-generation hook checks the same shapes at bake time (it runs before this
folder exists, so it keeps its own copy); a test of the template proves the two agree.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

#: A company ID: five groups of four digits, like 7966-5700-7008-0957-0300.
COMPANY_ID = re.compile(r"\d{4}(?:-\d{4}){4}")
#: A public ID (Cloud Function template, page-component template, API application): 12
#: letters or digits, like RHQa2MEa0Dxg.
PUBLIC_ID = re.compile(r"[A-Za-z0-9]{12}")
#: The workspace's version, MAJOR.MINOR.PATCH without leading zeros.
VERSION = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
#: An access token as IXON hands them out (a 32-character string; allow some room), and how
#: every message that refuses one describes it (the settings reader's and `invoke login`'s).
TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{16,2048}")
TOKEN_DESCRIPTION = "one line of 16 to 2048 letters, digits and . _ ~ + / = -"  # noqa: S105

#: The header by which `invoke serve` says which workspace it serves (`invoke call` checks it).
WORKSPACE_HEADER = "X-Devkit-Workspace"
#: The NOTE line of a serve whose token goes to a host neither IXON's nor loopback, on every
#: answer, so that `invoke call` through it says it too (`settings.foreign_destination`).
DESTINATION_HEADER = "X-Devkit-Destination"


def workspace_identity(root: Path) -> str:
    """Which workspace this is, as `invoke serve` announces it: the folder's name and a digest
    of its full path (the path itself stays on this machine)."""
    resolved = root.resolve()
    digest = hashlib.sha256(os.fsencode(resolved)).hexdigest()[:16]
    return f"{resolved.name.encode('ascii', 'replace').decode('ascii')} {digest}"
