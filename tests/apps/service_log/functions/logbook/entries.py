"""Log entries as they are stored."""

from __future__ import annotations

from typing import Any


def make_entry(text: str, author: str | None) -> dict[str, Any]:
    """A log entry: the text, tidied, and who wrote it."""
    return {"kind": "entry", "text": text.strip(), "author": author}
