"""`.accesstoken` and when it expires: written by `invoke login`, read by doctor, deploy and serve.

The token goes into `.accesstoken` created readable by its owner only (mode 0600 from the start:
a temporary file made with that mode, then renamed over the old one, so there is no moment when
another user could read it and no half-written file). When IXON said when the token expires
(`expiresOn` of the access-tokens answer), that goes into `.devkit/access-token.json` (ignored
by git) with the user's name and the file's size and modification time: the record holds only
for the file that `invoke login` wrote, so a token pasted by hand afterwards is judged by its
file's age again, as IXON's component SDK judges it. The token itself is never in the record.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ixon_devkit.workspace import files, settings

#: What `invoke login` remembers about the token it wrote (the folder is ignored by git).
RECORD = Path(".devkit") / "access-token.json"
#: A token expiring sooner than this draws a warning before it stops working.
RENEW_WITHIN = timedelta(days=3)
LOGIN_HINT = "run `invoke login` for a new one"


@dataclass(frozen=True)
class Expiry:
    """When the token in `.accesstoken` expires, as IXON said when `invoke login` got it."""

    expires_on: datetime
    user: str

    def shown(self) -> str:
        """The moment as people read it: `2026-12-29 20:00 UTC`."""
        return show_time(self.expires_on)


def show_time(moment: datetime) -> str:
    """`moment` as `YYYY-MM-DD HH:MM UTC`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time (`Z` allowed; without a zone, UTC), or None."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def write(root: Path, token: str, expires_on: datetime, user: str) -> None:
    """Store `token` in `.accesstoken` (mode 0600 from the start, written whole) and record
    when it expires."""
    path = root / settings.TOKEN_FILE
    files.write_private(path, token + "\n")
    state = path.stat()
    record = {
        "expires_on": expires_on.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "user": user,
        "file": {"size": state.st_size, "mtime_ns": state.st_mtime_ns},
    }
    (root / RECORD).parent.mkdir(exist_ok=True)
    files.write_atomic(root / RECORD, json.dumps(record, indent=2) + "\n")


def remove(root: Path) -> bool:
    """Remove `.accesstoken` and its record; whether there was a token file."""
    with contextlib.suppress(FileNotFoundError):
        (root / RECORD).unlink()
    try:
        (root / settings.TOKEN_FILE).unlink()
    except FileNotFoundError:
        return False
    return True


def expiry(root: Path) -> Expiry | None:
    """When the token in `.accesstoken` expires, if `invoke login` wrote that very file; None
    for a file written otherwise (or none)."""
    try:
        record = json.loads((root / RECORD).read_text(encoding="utf-8"))
        state = (root / settings.TOKEN_FILE).stat()
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("file"), dict):
        return None
    written = record["file"]
    if written.get("size") != state.st_size or written.get("mtime_ns") != state.st_mtime_ns:
        return None  # the file changed since `invoke login` wrote it: the record is not its
    expires_on = parse_time(str(record.get("expires_on") or ""))
    if expires_on is None:
        return None
    return Expiry(expires_on, str(record.get("user") or "unknown user"))


def warning(
    root: Path, environ: Mapping[str, str] | None = None, now: datetime | None = None
) -> str | None:
    """A WARNING line when the token of `.accesstoken` has expired or soon will (by the expiry
    `invoke login` recorded, else by the file's age); None otherwise, and when the token comes
    from `IXON_API_ACCESS_TOKEN`."""
    environ = os.environ if environ is None else environ
    if environ.get(settings.ACCESS_TOKEN, "").strip():
        return None  # the environment's token wins; the file says nothing about it
    known = expiry(root)
    if known is None:
        return settings.token_age_warning(root, environ, None if now is None else now.timestamp())
    problem = expiry_problem(known, now or datetime.now(UTC))
    return f"WARNING: {problem}; {LOGIN_HINT}" if problem else None


def expiry_problem(known: Expiry, now: datetime) -> str | None:
    """What is wrong with a token expiring at `known` (expired, or expiring soon), or None."""
    if now >= known.expires_on:
        return (
            f"the token in {settings.TOKEN_FILE} (logged in as {known.user}) expired at "
            f"{known.shown()}, so IXON refuses it"
        )
    left = known.expires_on - now
    if left <= RENEW_WITHIN:
        hours = int(left.total_seconds() // 3600)
        return (
            f"the token in {settings.TOKEN_FILE} (logged in as {known.user}) expires at "
            f"{known.shown()}, in {hours} hours"
        )
    return None
