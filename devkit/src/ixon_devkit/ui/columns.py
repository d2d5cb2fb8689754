"""Rows of text as aligned columns, for the tables the tasks print. Standard library only."""

from __future__ import annotations

from collections.abc import Sequence


def table(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """`rows` (the first a header) as lines with every column but the last padded to its
    widest cell, so the last may run long."""
    if not rows:
        return []
    last = len(rows[0]) - 1
    widths = [max(len(row[column]) for row in rows) for column in range(last)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append(indent + "  ".join([*cells, row[last]]).rstrip())
    return lines
