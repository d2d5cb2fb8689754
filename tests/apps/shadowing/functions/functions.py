"""A module named like the package: with the functions folder first on sys.path it wins."""

from ixoncdkingress.function.context import FunctionContext


@FunctionContext.expose
def ping(context: FunctionContext) -> str:
    return "pong"
