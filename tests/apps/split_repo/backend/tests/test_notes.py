from functions import notes


def test_a_note_is_kept(function_context):
    notes.add(function_context, text="Oiled")
    assert notes.count(function_context) == 1
