"""Masking secrets in text: the one masker of every message, log line, recording and report.

A server may echo a token lower-cased, upper-cased or cut short, so a secret is masked wherever
`RUN` or more of its consecutive characters appear, in any case: each such stretch becomes
`MASK`. A secret shorter than `RUN` (a one-time password) is masked whole. The token, the
login's credentials, the API clients, serve's output, recordings and `invoke test --record`'s
report all mask through `mask` here, and nowhere else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "********"
#: The shortest run of a secret's characters that is masked wherever it appears.
RUN = 8


def mask(text: str, *secrets: str, run: int = RUN) -> str:
    """`text` with every stretch made of case-insensitive runs of `run` or more characters of
    any of `secrets` replaced by `MASK` (all of a shorter secret is masked too; empty secrets
    are ignored)."""
    pattern = _pattern(secrets, run)
    if pattern is None:
        return text
    covered: list[tuple[int, int]] = []
    for found in pattern.finditer(text):  # a lookahead: overlapping runs are all found
        start, end = found.start(), found.start() + len(found.group(1))
        if covered and start <= covered[-1][1]:
            covered[-1] = (covered[-1][0], max(end, covered[-1][1]))
        else:
            covered.append((start, end))
    if not covered:
        return text
    pieces: list[str] = []
    done = 0
    for start, end in covered:
        pieces += [text[done:start], MASK]
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


def holds(text: str, *secrets: str, run: int = RUN) -> bool:
    """Whether `text` holds any form of `secrets` that `mask` would mask."""
    pattern = _pattern(secrets, run)
    return pattern is not None and pattern.search(text) is not None


def _pattern(secrets: Iterable[str], run: int) -> re.Pattern[str] | None:
    pieces: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        size = min(run, len(secret))
        pieces.update(secret[i : i + size].lower() for i in range(len(secret) - size + 1))
    if not pieces:
        return None
    # Longest first, so that a secret shorter than `run` masks whole where a longer one could.
    ordered = sorted(pieces, key=lambda piece: (-len(piece), piece))
    return re.compile("(?=(" + "|".join(map(re.escape, ordered)) + "))", re.IGNORECASE)
