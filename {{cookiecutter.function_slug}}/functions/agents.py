"""The calling company's agents (IXON routers), read through the IXON API.

Call it as `agents.names`. `context.api_client` calls IXON's API v2 by discovery name
(`AgentList`) with the caller's access. A deployed function may call only the names granted to
it in IXON Studio (Cloud Functions > the function > API Access), which `"api_access"` of
workspace.json lists: `invoke api-access` compares the two.
"""

from __future__ import annotations

from typing import Any

from ixoncdkingress.function.context import FunctionContext

#: IXON answers at most this many items a page; `moreAfter` leads to the next one.
PAGE_SIZE = 100
#: A company with more agents than this is cut off (each page is one request).
MAX_PAGES = 20


class IxonApiError(RuntimeError):
    """The IXON API answered an error; the message is IXON's."""


def data_of(answer: dict[str, Any]) -> Any:
    """The `data` of an IXON API answer, or IxonApiError with IXON's messages."""
    if answer.get("status") != "success":
        messages = [item.get("message", "") for item in answer.get("data") or []]
        raise IxonApiError("; ".join(message for message in messages if message) or str(answer))
    return answer["data"]


@FunctionContext.expose
def names(context: FunctionContext) -> list[dict[str, str]]:
    """The public ID and name of every agent of the calling company, sorted by name."""
    found: list[dict[str, str]] = []
    query: dict[str, str | list[str] | None] = {
        "fields": "publicId,name",
        "page-size": str(PAGE_SIZE),
    }
    for _page in range(MAX_PAGES):
        answer = context.api_client.get("AgentList", query=query)
        found += [{"publicId": a["publicId"], "name": a["name"]} for a in data_of(answer)]
        if not answer.get("moreAfter"):
            break
        query["page-after"] = answer["moreAfter"]
    return sorted(found, key=lambda agent: agent["name"].lower())
