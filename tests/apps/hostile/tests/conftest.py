import pytest


@pytest.fixture
def client():
    return "the app's own client"


@pytest.fixture(name="document_store")
def store():
    return {}
