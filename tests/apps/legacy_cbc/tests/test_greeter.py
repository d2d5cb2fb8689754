from functions import greeter


def test_hello(function_context):
    assert greeter.hello(function_context, name="Ada").startswith("Howdy, Ada")
