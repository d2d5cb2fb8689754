"""Plain helpers the entry points share. Not exposed: only decorated functions can be called."""

from __future__ import annotations

from typing import Any


def format_greeting(greeting: str, name: str) -> str:
    """`greeting` addressed to `name`, with surrounding whitespace tidied away."""
    name = name.strip() or "world"
    return f"{greeting.strip()}, {name}!"


def describe(resource: Any) -> dict[str, Any] | None:
    """A JSON-ready view of a `FunctionResource` (user, company, asset, agent), or None."""
    if resource is None:
        return None
    described: dict[str, Any] = {
        "publicId": resource.public_id,
        "name": resource.name,
        "custom": dict(resource.custom_properties or {}),
    }
    if resource.permissions is not None:
        described["permissions"] = sorted(resource.permissions)
    return described
