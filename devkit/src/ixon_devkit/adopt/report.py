"""What `invoke adopt` prints: what was done (or would be), the files, and what is left to do.

Standard library only.
"""

from __future__ import annotations

from ixon_devkit.adopt.model import Plan
from ixon_devkit.adopt.source import escaped


def describe(result: Plan, *, dry_run: bool) -> list[str]:
    """The lines `invoke adopt` prints for `result`, every control character escaped (the
    app's values and names are in them)."""
    return [escaped(line) for line in _lines(result, dry_run=dry_run)]


def _lines(result: Plan, *, dry_run: bool) -> list[str]:
    lines = [f"{'Would adopt' if dry_run else 'Adopted'} {result.source}:"]
    if result.layout is not None:
        layout = result.layout
        halves = [
            f"the Cloud Function from {layout.shown(layout.function)}" if layout.function else "",
            f"the UI Components from {layout.shown(layout.ui)}" if layout.ui else "",
        ]
        lines.append("  " + " and ".join(half for half in halves if half))
    lines += [f"  {line}" for line in result.done]
    lines.append("Files:")
    if not result.writes and not result.deletes:
        lines.append("  none changed: the workspace already holds what the app brings")
    lines += [
        f"  {'~' if relative in result.existing else '+'} {relative}" for relative in result.writes
    ]
    lines += [f"  - {relative}" for relative in result.deletes]
    if result.conflicts:
        lines.append(
            "Would overwrite files you changed (--force to do so): " + ", ".join(result.conflicts)
        )
    if result.refused:
        lines.append("Not brought in:")
        lines += [f"  - {line}" for line in result.refused]
    lines.append("Left to do:")
    lines += [f"  - {line}" for line in result.left] or ["  nothing"]
    return lines
