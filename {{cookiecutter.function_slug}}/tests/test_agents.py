"""The company's agents, from the IXON API stand-in (`ixon_api`): no network, real HTTP."""

from __future__ import annotations

import pytest

from functions import agents

PUMP = {"publicId": "Agent0000001", "name": "Pump house", "serialNumber": "1"}
BOILER = {"publicId": "Agent0000002", "name": "boiler room", "serialNumber": "2"}


def test_lists_the_agents_sorted_by_name(client, ixon_api):
    ixon_api.answer("AgentList", data=[PUMP, BOILER])

    assert client.call("agents.names") == [
        {"publicId": "Agent0000002", "name": "boiler room"},
        {"publicId": "Agent0000001", "name": "Pump house"},
    ]


def test_calls_with_the_callers_access(client, ixon_api, call_context):
    ixon_api.answer("AgentList", data=[])

    client.call("agents.names")

    (request,) = ixon_api.calls("AgentList")
    assert request.method == "GET"
    assert request.query["fields"] == "publicId,name"
    assert request.headers["Api-Company"] == call_context["company"]["publicId"]
    assert request.headers["Authorization"] == "Bearer ********"


def test_follows_more_after_to_the_next_page(function_context, ixon_api):
    ixon_api.answer("AgentList", pages=[[PUMP], [BOILER]])

    assert [agent["name"] for agent in agents.names(function_context)] == [
        "boiler room",
        "Pump house",
    ]
    assert [request.query.get("page-after") for request in ixon_api.calls("AgentList")] == [
        None,
        "page-1",
    ]


def test_an_error_answer_says_what_ixon_said(function_context, ixon_api):
    ixon_api.answer("AgentList", status=403, error="Insufficient permissions")

    with pytest.raises(agents.IxonApiError, match="Insufficient permissions"):
        agents.names(function_context)
