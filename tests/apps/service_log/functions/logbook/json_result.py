"""The app's own decorator: a pydantic model returned by a function goes out as plain JSON."""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel


def returns_json(function: Any) -> Any:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        return result.model_dump(mode="json") if isinstance(result, BaseModel) else result

    return wrapper
