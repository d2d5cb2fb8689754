"""The agentic example: a tool IXON's AI agent sees, called the way the agent calls it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from functions import assistant
from functions.assistant import TemperatureReading


def test_a_reading_within_the_limit_needs_no_action(function_context):
    function_context.config["max_temperature"] = "90"

    check = assistant.check_temperature(function_context, TemperatureReading(value=85))

    assert check["too_hot"] is False
    assert check["limit"] == 90.0
    assert "no action" in check["advice"]


def test_fahrenheit_is_converted_before_the_comparison(function_context):
    function_context.config["max_temperature"] = "80"

    check = assistant.check_temperature(function_context, TemperatureReading(value=212, unit="F"))

    assert check["celsius"] == 100.0
    assert check["too_hot"] is True


def test_the_agent_call_turns_json_into_the_model(client):
    client.config = {"max_temperature": "70"}

    check = client.call("assistant.check_temperature", reading={"value": 75, "unit": "C"})

    assert (check["celsius"], check["limit"], check["too_hot"]) == (75.0, 70.0, True)
    assert "stop the machine" in check["advice"]


def test_ixoncdkingress_refuses_a_reading_that_is_not_a_number(client):
    with pytest.raises(ValidationError, match="valid number"):
        client.call("assistant.check_temperature", reading={"value": "hot"})


def test_the_agent_sees_the_tool_with_its_schemas(client):
    tools = {tool["name"]: tool for tool in client.call("list-agent-tools")["data"]}

    tool = tools["assistant.check_temperature"]
    assert tool["description"].startswith("Check a machine temperature")
    assert tool["inputSchema"]["required"] == ["reading"]
    result = tool["outputSchema"]["$defs"]["TemperatureCheck"]
    assert set(result["properties"]) == {"celsius", "limit", "too_hot", "advice"}


def test_the_agent_is_told_what_the_app_is_for(client):
    description = client.call("app-description")["data"]

    assert description["shortName"]
    assert "temperature" in description["description"]
