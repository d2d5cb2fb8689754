"""The one root of every error a user of the workspace sees, and the one place it is shown.

Every error that ends a task with a single `ERROR:` line derives from `UserError`. Its message
says what is wrong and what to do; `exit_code` is the process's exit status. The invoke tasks
(`ixon_devkit.tasks.user_task`) and the `python -m ixon_devkit.PART.X` entry points (`main_wrapper`)
both turn it into that line through `error_line`, and nothing else catches it.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class UserError(Exception):
    """A task that cannot go on; the message says what is wrong and what to do."""

    exit_code: int = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


def error_line(error: UserError) -> str:
    """The error as the one line a user sees: `ERROR: ...`, folded onto a single line."""
    return "ERROR: " + " ".join(str(error).split())


def main_wrapper(main: F) -> F:
    """Make an entry point's `main` print a UserError as its one line and return its code."""

    @functools.wraps(main)
    def wrapped(*arguments: Any, **keywords: Any) -> Any:
        try:
            return main(*arguments, **keywords)
        except UserError as error:
            print(error_line(error), file=sys.stderr, flush=True)
            return error.exit_code

    return wrapped  # type: ignore[return-value]
