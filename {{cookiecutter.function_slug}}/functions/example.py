"""A greeting that reads its wording from the configuration values.

Locally the values come from `context_values.yaml`; in IXON Cloud they are set per company
in the portal. Call it as `example.greet`.
"""

from __future__ import annotations

from ixoncdkingress.function.context import FunctionContext

from functions import helpers


@FunctionContext.expose
def greet(context: FunctionContext, name: str = "world") -> str:
    """Greet `name` with the `greeting` configuration value (default "Hello")."""
    greeting = str(context.config.get("greeting", "Hello"))
    return helpers.format_greeting(greeting, name)
