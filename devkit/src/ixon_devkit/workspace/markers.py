"""Environment markers of requirements (`name==1.0 ; python_version >= "3.12"`, PEP 508).

The bundle asks one question of a marker: can it hold on IXON Cloud's Python? A requirement
whose marker is false there is never installed, so the function would fail to import. Only
what is known about IXON Cloud is decided: the Python version (`python_version`,
`python_full_version`, from the workspace's `python_version`); every other variable (the
platform, `extra`, ...) is unknown, and a marker that depends on one is not refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: A three-valued truth: True, False, or None (cannot be known here).
Truth = bool | None

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'[^']*'|"[^"]*")
      | (?P<op>===|==|!=|<=|>=|~=|<|>|not\s+in\b|in\b)
      | (?P<paren>[()])
      | (?P<bool>and\b|or\b)
      | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
_VERSION_VARIABLES = ("python_version", "python_full_version")


class MarkerError(ValueError):
    """The marker cannot be read (pip would refuse it too)."""


def possible(marker: str, python: str) -> Truth:
    """Whether `marker` holds for Python `python` (`MAJOR.MINOR`): True, False, or None when
    it depends on something other than the Python version. MarkerError when malformed."""
    tokens = _tokens(marker)
    value, rest = _or(tokens, _python(python))
    if rest:
        raise MarkerError(f"unexpected {rest[0][1]!r}")
    return value


def _python(python: str) -> tuple[int, ...]:
    numbers = _numbers(python)
    if numbers is None:
        raise MarkerError(f"{python!r} is no Python version")
    return numbers[:2]


def _tokens(marker: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    text = marker.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise MarkerError(f"cannot read {text[position:].strip()!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, " ".join(match.group(kind).split())))
        position = match.end()
    if not tokens:
        raise MarkerError("empty marker")
    return tokens


def _or(tokens: list[tuple[str, str]], python: tuple[int, ...]) -> tuple[Truth, list]:
    return _chain(tokens, python, "or", _and, _either)


def _and(tokens: list[tuple[str, str]], python: tuple[int, ...]) -> tuple[Truth, list]:
    return _chain(tokens, python, "and", _atom, _both)


def _chain(
    tokens: list[tuple[str, str]],
    python: tuple[int, ...],
    word: str,
    operand: Callable[..., tuple[Truth, list]],
    combine: Callable[[Truth, Truth], Truth],
) -> tuple[Truth, list]:
    """Operands joined by `word` (and, or), combined left to right."""
    value, tokens = operand(tokens, python)
    while tokens and tokens[0] == ("bool", word):
        right, tokens = operand(tokens[1:], python)
        value = combine(value, right)
    return value, tokens


def _either(left: Truth, right: Truth) -> Truth:
    """`or` where None means "cannot tell here"."""
    if True in (left, right):
        return True
    return None if None in (left, right) else False


def _both(left: Truth, right: Truth) -> Truth:
    """`and` where None means "cannot tell here"."""
    if False in (left, right):
        return False
    return None if None in (left, right) else True


def _atom(tokens: list[tuple[str, str]], python: tuple[int, ...]) -> tuple[Truth, list]:
    if not tokens:
        raise MarkerError("the marker ends too early")
    if tokens[0] == ("paren", "("):
        value, rest = _or(tokens[1:], python)
        if not rest or rest[0] != ("paren", ")"):
            raise MarkerError("a parenthesis is not closed")
        return value, rest[1:]
    if len(tokens) < 3 or tokens[1][0] != "op":
        raise MarkerError(f"expected a comparison at {tokens[0][1]!r}")
    (left_kind, left), (_, op), (right_kind, right) = tokens[:3]
    if {left_kind, right_kind} - {"name", "string"} or left_kind == right_kind:
        raise MarkerError(f"cannot compare {left!r} with {right!r}")
    if left_kind == "name":
        return _compare(left, op, right[1:-1], python), tokens[3:]
    return _compare(right, _mirrored(op), left[1:-1], python), tokens[3:]


def _mirrored(op: str) -> str:
    return {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)


def _compare(variable: str, op: str, value: str, python: tuple[int, ...]) -> Truth:
    if variable not in _VERSION_VARIABLES or op in ("in", "not in", "==="):
        return None
    wildcard = value.endswith(".*") and op in ("==", "!=")
    wanted = _numbers(value[:-2] if wildcard else value)
    if wanted is None:
        return None
    if wildcard:
        if len(wanted) > len(python):
            return None  # like == "3.12.*" on python_full_version: the patch is not known
        same = python[: len(wanted)] == wanted
        return same if op == "==" else not same
    if variable == "python_full_version" and (*wanted, 0, 0)[:2] == python:
        # Only MAJOR.MINOR is known: the patch decides, unless the value's patch is 0.
        patch_zero = not any(wanted[2:])
        return (op == ">=") if patch_zero and op in ("<", ">=") else None
    return _holds(op, python, wanted)


def _holds(op: str, have: tuple[int, ...], wanted: tuple[int, ...]) -> Truth:
    size = max(len(have), len(wanted))
    left = have + (0,) * (size - len(have))
    right = wanted + (0,) * (size - len(wanted))
    if op == "~=":
        if len(wanted) < 2:
            return None
        prefix = wanted[:-1]
        return left >= right and have[: len(prefix)] == prefix
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}.get(op)


def _numbers(text: str) -> tuple[int, ...] | None:
    parts = text.strip().split(".")
    if not all(part.isdigit() for part in parts):
        return None
    return tuple(int(part) for part in parts)
