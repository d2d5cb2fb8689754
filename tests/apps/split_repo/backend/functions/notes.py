"""Notes kept per company in the document store."""

from ixoncdkingress.function.context import FunctionContext


@FunctionContext.expose
def add(context: FunctionContext, text: str) -> dict:
    """Keep one note."""
    context.document_db_client.insert_one({"text": text})
    return {"text": text}


@FunctionContext.expose
def count(context: FunctionContext) -> int:
    """How many notes are kept."""
    return len(list(context.document_db_client.find({})))
