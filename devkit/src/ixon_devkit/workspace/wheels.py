"""Where the installers find the tooling's wheel besides the index.

A workspace baked from a checkout of the template (not from a release on an index) carries the
wheel that checkout built in `.devkit/wheels/`, ignored by git; its lock names that wheel's
hash. uv and pip are told of the folder through their environment variables, so that neither
the lock's header nor its lines name a folder of this machine.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

#: The tooling's distribution, reinstalled at every sync: a build from a checkout keeps its
#: version while its content changes.
TOOLING = "ixon-devkit"
#: Where a workspace baked from a checkout of the template keeps the tooling's wheel.
WHEELS = Path(".devkit") / "wheels"


#: The hashes of the tooling the environment holds, written after a sync installed it.
INSTALLED = "ixon-devkit.sha256"


def installed_hashes(environment: Path) -> list[str]:
    """What `record_installed` last wrote in `environment` (empty when nothing)."""
    try:
        return (environment / INSTALLED).read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError):
        return []


def record_installed(environment: Path, hashes: list[str]) -> None:
    """Record that `environment` holds the tooling of `hashes` (none: no record)."""
    path = environment / INSTALLED
    if hashes:
        path.write_text("\n".join(hashes) + "\n", encoding="utf-8")
    elif path.exists():
        path.unlink()


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


#: uv's settings for a lock, written where the tasks keep their state.
LOCK_SETTINGS = Path(".devkit") / "uv-lock.toml"


def tooling_unheld(root: Path, environ: dict[str, str]) -> dict[str, str]:
    """Variables that let a lock take the tooling release the declaration pins, however new:
    the lock moment holds every other package back, but a new tooling release is taken by
    changing its pin, then `invoke lock` (not `--upgrade`, which would move everything).

    uv offers this per package only as a setting (`exclude-newer-package`), so it goes in a
    settings file of the workspace's state that UV_CONFIG_FILE names, which leaves the lock's
    header as it was. Nothing when the workspace or the user gives uv settings of their own
    (`uv.toml`, UV_CONFIG_FILE): those are not replaced, and the tooling keeps the moment.
    """
    if (root / "uv.toml").is_file() or environ.get("UV_CONFIG_FILE"):
        return {}
    # uv takes a date, not "none": a day ahead holds nothing back (now, to the second, held
    # back a release published within that second).
    later = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path = root / LOCK_SETTINGS
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Written by `invoke lock`: the tooling's pin is taken whatever the lock moment.\n"
        f'[pip]\nexclude-newer-package = {{ "{TOOLING}" = "{later}" }}\n',
        encoding="utf-8",
    )
    return {"UV_CONFIG_FILE": str(path)}
