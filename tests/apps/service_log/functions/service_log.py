"""The service log of a machine: entries kept in the document store."""

from __future__ import annotations

from typing import Any

from ixoncdkingress.function.context import FunctionContext
from ixoncdkingress.types import AppDescription
from logbook.entries import make_entry
from logbook.json_result import returns_json
from pydantic import BaseModel, Field

APP_DESCRIPTION = AppDescription(
    short_name="service-log",
    description="Keeps the service log of machines and mails about service work.",
)


class LogSummary(BaseModel):
    """How many entries the log holds."""

    entries: int = Field(description="The number of entries")


@FunctionContext.expose
def add_entry(context: FunctionContext, text: str) -> dict[str, Any]:
    """Add an entry written by the calling user."""
    author = context.user.name if context.user else None
    entry = make_entry(text, author)
    context.document_db_client.insert_one(dict(entry))
    return entry


@FunctionContext.expose
def list_entries(context: FunctionContext) -> list[dict[str, Any]]:
    """Every entry, oldest first."""
    limit = int(context.config.get("max_entries", "50"))
    found = context.document_db_client.find({"kind": "entry"}, {"_id": 0}).limit(limit)
    return list(found)


@FunctionContext.expose
def asset_names(context: FunctionContext) -> list[str]:
    """The names of the company's assets (IXON Cloud must grant the function AssetList)."""
    answer = context.api_client.get("AssetList", query={"fields": "name"})
    return [asset["name"] for asset in answer["data"]]


@FunctionContext.expose(is_agentic=True, description="Count the entries of the service log.")
@returns_json
def summary(context: FunctionContext) -> LogSummary:
    return LogSummary(entries=len(list(context.document_db_client.find({"kind": "entry"}))))
