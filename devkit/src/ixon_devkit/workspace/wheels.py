"""Where the installers find the tooling's wheel besides the index.

A workspace baked from a checkout of the template (not from a release on an index) carries the
wheel that checkout built in `.devkit/wheels/`, ignored by git; its lock names that wheel's
hash. uv and pip are told of the folder through their environment variables, so that neither
the lock's header nor its lines name a folder of this machine.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The tooling's distribution, reinstalled at every sync: a build from a checkout keeps its
#: version while its content changes.
TOOLING = "ixon-devkit"
#: Where a workspace baked from a checkout of the template keeps the tooling's wheel.
WHEELS = Path(".devkit") / "wheels"


def find_links(root: Path) -> list[str]:
    """Folders of wheels the installers look in besides the index (`.devkit/wheels/`)."""
    folder = root / WHEELS
    return [str(folder)] if folder.is_dir() else []


def installer_environ(root: Path, environ: dict[str, str] | None = None) -> dict[str, str]:
    """`environ` (the process's by default) with `find_links` added for uv and pip, so that
    neither the lock's header nor its lines name a folder of this machine."""
    environ = dict(os.environ if environ is None else environ)
    links = find_links(root)
    if links:
        uv_links = [item for item in environ.get("UV_FIND_LINKS", "").split(",") if item]
        environ["UV_FIND_LINKS"] = ",".join([*uv_links, *links])
        environ["PIP_FIND_LINKS"] = " ".join([*environ.get("PIP_FIND_LINKS", "").split(), *links])
    return environ
