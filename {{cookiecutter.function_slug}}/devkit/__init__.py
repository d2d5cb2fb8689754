"""The workspace's own tooling: environment, serving, calling, bundling, deploying, versions.

`devkit.tasks` wires these modules into `invoke` tasks; each module has one job. `devkit.host`
runs in the Python that runs invoke and uses the standard library only; `devkit.runtime` runs
in the workspace's environment.

A `tasks.py` from a template release before 2.0.0 imports modules that have moved (`from
devkit import bundle`): importing one of those names ends the program with one line naming the
upgrade step (`python3 -m devkit.host.upgrade`) instead of an ImportError's traceback.
"""

from __future__ import annotations

#: Modules that `devkit` had before 2.0.0 and that now live elsewhere (or no longer exist).
MOVED_IN_2_0 = frozenset(
    {
        "bundle", "call", "calls", "deploy", "deployments", "docstore", "environment", "git",
        "ixon_api", "scaffold", "serve", "settings", "testing", "tools", "version", "walk",
        "workspace",
    }
)  # fmt: skip

#: The one line an old `tasks.py` gets (see CHANGELOG.md in the template, "Upgrading to 2.0.0").
UPGRADE_LINE = (
    "ERROR: tasks.py is from a template release before 2.0.0 and imports `devkit.{name}`, "
    "which has moved: run `python3 -m devkit.host.upgrade` to move your own tasks into the new "
    "tasks.py (the template's CHANGELOG.md, 'Upgrading to 2.0.0', says what changed)"
)


def __getattr__(name: str) -> object:
    if name in MOVED_IN_2_0:
        raise SystemExit(UPGRADE_LINE.format(name=name))
    raise AttributeError(f"module 'devkit' has no attribute {name!r}")
