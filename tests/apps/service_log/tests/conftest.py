"""Fixtures of the service log's tests: a FunctionContext on the MongoDB of docker-compose.yml."""

from __future__ import annotations

import os
from unittest.mock import MagicMock

import pytest
from ixoncdkingress.function.context import FunctionContext, FunctionResource
from pymongo import MongoClient

MONGO_HOST = os.environ.get("MONGO_HOST", "localhost")
MONGO_PORT = int(os.environ.get("MONGO_PORT", "27017"))
COMPANY = FunctionResource("1111-2222-3333-4444-5555", "Test Company", {}, {"COMPANY_ADMIN"})


@pytest.fixture
def mongo_client():
    client = MongoClient(host=MONGO_HOST, port=MONGO_PORT, serverSelectionTimeoutMS=3000)
    yield client
    client.drop_database(COMPANY.public_id)
    client.close()


@pytest.fixture
def context(mongo_client) -> FunctionContext:
    return FunctionContext(
        config={"mail_from": "tests@example.com", "max_entries": "10"},
        api_client=MagicMock(),
        mongo_client=mongo_client,
        user=FunctionResource("User00000001", "Ada", {}, None),
        company=COMPANY,
        asset=None,
        agent=None,
        template=None,
        document_db_collection_name="cloud_function_pid",
    )
