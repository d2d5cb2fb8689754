"""Notes kept in the document store (`context.document_db_client`).

IXON Cloud gives every company its own database; locally `invoke serve` and the tests give
you an in-memory one. The store is only there when the call carries a company.
Call these as `notes.add`, `notes.recent` and `notes.remove`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ixoncdkingress.function.context import FunctionContext

MAX_LENGTH = 2000


def _store(context: FunctionContext) -> Any:
    store = context.document_db_client
    if store is None:
        raise ValueError("the document store needs a company in the calling context")
    return store


@FunctionContext.expose
def add(context: FunctionContext, text: str) -> dict[str, Any]:
    """Store a note written by the calling user and return it."""
    text = text.strip()
    if not text or len(text) > MAX_LENGTH:
        raise ValueError(f"a note needs between 1 and {MAX_LENGTH} characters")
    note = {
        "text": text,
        "author": context.user.name if context.user else None,
        "created": datetime.now(UTC).isoformat(),
    }
    inserted = _store(context).insert_one(dict(note))
    return {"id": str(inserted.inserted_id), **note}


@FunctionContext.expose
def recent(context: FunctionContext, limit: int = 10) -> list[dict[str, Any]]:
    """The newest notes first, at most `limit` of them."""
    limit = max(1, min(int(limit), 100))
    cursor = _store(context).find({}).sort("created", -1).limit(limit)
    return [{"id": str(note.pop("_id")), **note} for note in cursor]


@FunctionContext.expose
def remove(context: FunctionContext, id: str) -> bool:
    """Delete the note with this `id`; true when one was deleted."""
    from bson import ObjectId  # noqa: PLC0415 - comes with pymongo
    from bson.errors import InvalidId  # noqa: PLC0415

    try:
        key = ObjectId(id)
    except (InvalidId, TypeError):
        return False
    return _store(context).delete_one({"_id": key}).deleted_count == 1
