"""The tooling of an IXON Cloud Function workspace, installed in the workspace's environment.

`ixon_devkit.tasks` wires the parts into Invoke tasks (the workspace's `tasks.py` imports its
`namespace`); `ixon_devkit.testing.fixtures` is the pytest plugin of the workspace's tests. The
package's README has the layout.

PYTEST_DONT_REWRITE: the package has no assertions for pytest to rewrite, and `invoke test` runs
pytest in a process that has imported it already (pytest would warn that it cannot).
"""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """`__version__`, read from the installed distribution at its first use (not at every
    import: serve's start and every test run import this package)."""
    if name != "__version__":
        raise AttributeError(f"module 'ixon_devkit' has no attribute {name!r}")
    from importlib import metadata  # noqa: PLC0415

    try:
        return metadata.version("ixon-devkit")
    except metadata.PackageNotFoundError:  # imported from a checkout, not installed
        return "0+checkout"
