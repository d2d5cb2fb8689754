"""`python -m ixon_devkit` (and the `ixon-devkit` command): the workspace's tasks without a
`tasks.py`, for a workspace whose `tasks.py` cannot load (`ixon-devkit upgrade`)."""

from __future__ import annotations

import sys


def main() -> None:
    from invoke import Program  # noqa: PLC0415

    from ixon_devkit.tasks import namespace  # noqa: PLC0415

    Program(namespace=namespace, name="ixon-devkit", binary="ixon-devkit").run(sys.argv)


if __name__ == "__main__":
    main()
