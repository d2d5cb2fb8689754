"""The greeting: configuration values from context_values.yaml reach `context.config`."""

from __future__ import annotations

from functions import example


def test_greets_with_the_configured_greeting(function_context):
    function_context.config["greeting"] = "Good morning"

    assert example.greet(function_context, name="Ada") == "Good morning, Ada!"


def test_uses_context_values_yaml(context_values, function_context):
    expected = f"{context_values['greeting']}, world!"

    assert example.greet(function_context) == expected


def test_a_call_by_name_goes_through_ixoncdkingress(client, context_values):
    assert client.call("example.greet", name="Ada") == f"{context_values['greeting']}, Ada!"


def test_the_package_path_reaches_the_same_function(client):
    assert client.call("functions.example.greet", name="Ada") == client.call(
        "example.greet", name="Ada"
    )


def test_company_settings_override_context_values(client):
    client.config = {"greeting": "Hoi"}

    assert client.call("example.greet", name="Ada") == "Hoi, Ada!"


def test_arguments_the_function_does_not_take_are_dropped(client):
    assert client.call("example.greet", name="Ada", shoe_size=44).endswith("Ada!")


def test_an_unknown_function_is_not_found(client):
    answer = client.call("example.does_not_exist")

    assert "does not exist or is not exposed" in answer


def test_a_helper_is_not_callable(client):
    answer = client.call("helpers.format_greeting", greeting="Hi", name="Ada")

    assert "does not exist or is not exposed" in answer
