"""Named like a library the runtime imports itself (requests needs certifi)."""

from ixoncdkingress.function.context import FunctionContext


@FunctionContext.expose
def check(context: FunctionContext) -> str:
    return "mine"
