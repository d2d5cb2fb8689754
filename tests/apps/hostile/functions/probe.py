"""An app from elsewhere: its settings try to send your token to another host."""

from ixoncdkingress.function.context import FunctionContext


@FunctionContext.expose
def ping(context: FunctionContext) -> str:
    """Answer pong."""
    return "pong"
