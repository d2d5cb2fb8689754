"""The pytest plugin with the fixtures for testing Cloud Functions: use them in any test.

pyproject.toml loads it (`-p devkit.runtime.fixtures`), so it needs no conftest.py and a
conftest.py of yours never hides it.

- `function_context`: a real `FunctionContext` with `context_values.yaml`, the calling
  user/company/asset/agent of `call_context.yaml` and a fresh in-memory document store.
- `client`: calls a function by name through ixoncdkingress's own request handling, with the
  JSON body IXON Cloud posts, so a test takes the same path as a call in production.
- `document_store`: the in-memory MongoDB behind both, fresh for every test.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import mongomock
import pytest
from ixoncdkingress.function.context import FunctionContext

from devkit.runtime import request_body as calls
from devkit.runtime import testing

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def document_store() -> mongomock.MongoClient:
    """An empty in-memory MongoDB server, shaped like `pymongo.MongoClient`."""
    return mongomock.MongoClient()


@pytest.fixture(scope="session")
def _call_context() -> dict[str, Any]:
    return calls.load_call_context(ROOT)


@pytest.fixture
def call_context(_call_context: dict[str, Any]) -> dict[str, Any]:
    """The calling context of `call_context.yaml`; change it freely within a test."""
    return copy.deepcopy(_call_context)


@pytest.fixture
def context_values() -> dict[str, Any]:
    """The configuration values of `context_values.yaml`."""
    return testing.context_values(ROOT)


@pytest.fixture
def function_context(
    context_values: dict[str, Any],
    call_context: dict[str, Any],
    document_store: mongomock.MongoClient,
) -> FunctionContext:
    """A real `FunctionContext`, as ixoncdkingress builds it for a call."""
    return testing.make_function_context(
        config=context_values, call_context=call_context, store=document_store
    )


@pytest.fixture
def client(
    call_context: dict[str, Any], document_store: mongomock.MongoClient
) -> testing.FunctionClient:
    """Calls functions through ixoncdkingress: `client.call("example.greet", name="Ada")`."""
    return testing.FunctionClient(ROOT, call_context, store=document_store)
