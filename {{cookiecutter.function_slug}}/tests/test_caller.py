"""The calling resources: what IXON Cloud says about who calls."""

from __future__ import annotations

from functions import caller


def test_whoami_describes_every_calling_resource(client, call_context):
    answer = client.call("caller.whoami")

    assert answer["user"]["publicId"] == call_context["user"]["publicId"]
    assert answer["company"]["permissions"] == sorted(call_context["company"]["permissions"])
    assert answer["asset"]["custom"] == call_context["asset"]["custom"]
    assert answer["agent"]["name"] == call_context["agent"]["name"]


def test_a_missing_resource_is_null(client, call_context):
    del call_context["asset"]

    assert client.call("caller.whoami")["asset"] is None


def test_can_checks_the_company_permissions(function_context):
    assert caller.can(function_context, "COMPANY_ADMIN") is True
    assert caller.can(function_context, "MANAGE_EVERYTHING") is False
