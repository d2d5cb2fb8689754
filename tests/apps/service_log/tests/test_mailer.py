from functions import send_email


def test_mail_is_queued(context):
    answer = send_email(context, to="ops@example.com", subject="Press serviced")

    assert answer["queued"] is True
    assert answer["from"] == "tests@example.com"
    assert (
        context.document_db_client.find_one(filter_map={"kind": "mail"})["to"] == "ops@example.com"
    )
