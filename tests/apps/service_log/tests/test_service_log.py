import pytest
import service_log


@pytest.mark.timeout(30)
def test_entries_are_kept(context):
    service_log.add_entry(context, "  Replaced the filter ")

    assert service_log.list_entries(context) == [
        {"kind": "entry", "text": "Replaced the filter", "author": "Ada"}
    ]


def test_summary_is_plain_json(context):
    service_log.add_entry(context, "Oiled the press")

    assert service_log.summary(context) == {"entries": 1}
