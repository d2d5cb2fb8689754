"""`about.version`: a running function says which version it is."""

from __future__ import annotations

from pathlib import Path

from functions import _version, about

ROOT = Path(__file__).resolve().parent.parent


def test_version_answers_the_released_version(client):
    assert client.call("about.version") == _version.__version__


def test_the_bundled_version_equals_the_version_file(function_context):
    # `invoke bump` changes both; a hand edit of one of them fails here.
    assert about.version(function_context) == (ROOT / "VERSION").read_text().strip()
