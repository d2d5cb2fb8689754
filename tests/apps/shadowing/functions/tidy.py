from ixoncdkingress.function.context import FunctionContext


@FunctionContext.expose
def tidy(context: FunctionContext, text: str) -> str:
    return text.strip()
