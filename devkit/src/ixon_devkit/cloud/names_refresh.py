"""`invoke api-access --refresh`: IXON's list of API names, from the live discovery document.

Asks the discovery document of `IXON_API_BASE_URL` with your token (as every request of the
workspace: only to that origin, masked in every line) and keeps its names for this workspace in
`.devkit/ixon-api-names.json` (`ixon_devkit.cloud.ixon_names`), where `invoke api-access` and
`invoke deploy` read them instead of the list the workspace carries.

Runs in the workspace's environment (requests): `python -m ixon_devkit.cloud.names_refresh`.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Callable
from pathlib import Path

from ixon_devkit.cloud import ixon_api, ixon_names
from ixon_devkit.doctor import doctor_online
from ixon_devkit.errors import main_wrapper
from ixon_devkit.workspace import root

ROOT = root.find()


def refresh(root: Path, echo: Callable[[str], None] = print, client: object = None) -> Path:
    """Write the discovery's names for the workspace at `root`; the file written."""
    config = doctor_online.load_settings(root)
    with client or ixon_api.Client(config, echo=echo) as api:
        links = api.discovery()
    if not links:
        raise doctor_online.OnlineError(
            f"the discovery at {config.base_url.value} lists no links: nothing refreshed"
        )
    today = datetime.date.today().isoformat()
    path = ixon_names.save_refreshed(
        root, list(links), f"the discovery document of {config.base_url.value}", today
    )
    echo(
        f"IXON's list of API names: {len(links)} names from the discovery of "
        f"{config.base_url.value} (taken on {today}) in {path.relative_to(root).as_posix()}"
    )
    return path


@main_wrapper
def main(argv: list[str] | None = None) -> int:
    """`python -m ixon_devkit.cloud.names_refresh`, as `invoke api-access --refresh` runs it."""
    refresh(ROOT, echo=lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
