"""Notes in the document store: each test starts with an empty one."""

from __future__ import annotations

import pytest

from functions import notes


def test_added_notes_come_back_newest_first(client):
    client.call("notes.add", text="first")
    client.call("notes.add", text="second")

    texts = [note["text"] for note in client.call("notes.recent")]

    assert texts == ["second", "first"]


def test_a_note_records_its_author(client, call_context):
    note = client.call("notes.add", text="  tidy  ")

    assert note["text"] == "tidy"
    assert note["author"] == call_context["user"]["name"]


def test_every_test_starts_with_an_empty_store(client):
    assert client.call("notes.recent") == []


def test_notes_live_in_the_company_database(client, document_store, call_context):
    client.call("notes.add", text="kept")

    database = document_store[call_context["company"]["publicId"]]
    assert database["cloud_function_pid"].count_documents({}) == 1


def test_remove_deletes_one_note(client):
    note = client.call("notes.add", text="gone soon")

    assert client.call("notes.remove", id=note["id"]) is True
    assert client.call("notes.remove", id=note["id"]) is False
    assert client.call("notes.remove", id="not-an-id") is False
    assert client.call("notes.recent") == []


def test_an_empty_note_is_refused(function_context):
    with pytest.raises(ValueError, match="between 1 and"):
        notes.add(function_context, text="   ")


def test_without_a_company_there_is_no_store(function_context):
    function_context.company = None

    assert function_context.document_db_client is None
    with pytest.raises(ValueError, match="needs a company"):
        notes.recent(function_context)


def test_the_form_page_reaches_the_same_store(client, document_store):
    form = (
        "function=notes.add&function_args__key0=text&function_args__value0=from+the+form"
        "&company__public_id=0000-0000-0000-0000-0001&company__name=Test+Company"
    )

    answer = client.post(form.encode(), content_type="application/x-www-form-urlencoded")

    assert answer.status == 200
    assert "from the form" in answer.body.decode()
    stored = document_store["0000-0000-0000-0000-0001"]["cloud_function_pid"]
    assert stored.find_one({})["text"] == "from the form"
