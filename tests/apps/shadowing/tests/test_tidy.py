import tidy


def test_tidy(function_context):
    assert tidy.tidy(function_context, " a ") == "a"
