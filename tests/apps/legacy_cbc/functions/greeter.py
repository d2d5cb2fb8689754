"""Written for ixoncdkingress 0.0.x, which called the context CbcContext."""

from ixoncdkingress.cbc.context import CbcContext, CbcResource


def describe(resource: CbcResource) -> str:
    return resource.name if resource else "nobody"


@CbcContext.expose
def hello(context: CbcContext, name: str = "world") -> str:
    """Greet `name` on behalf of the calling company."""
    return f"{context.config.get('greeting', 'Hello')}, {name}, from {describe(context.company)}!"
