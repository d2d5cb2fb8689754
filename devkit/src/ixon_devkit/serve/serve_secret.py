"""The secret of one `invoke serve` session: what a caller that is no browser page shows.

Serve gives calls the developer's IXON access token, and any process of this machine can reach
its port. So each serve makes a new random secret when it starts listening and writes it to
`.devkit/serve-secret` (readable by the user only, written whole, never through a link); a
call that comes from no trusted browser page (no `Origin`: curl, scripts, other tools) must send
it in the `X-Devkit-Secret` header, or is refused (401). `invoke call` reads the file and sends
it; for other local tools:

    curl -H "X-Devkit-Secret: $(cat .devkit/serve-secret)" -H "Content-Type: application/json" \
        -d '{"name": "example.greet", "arguments": {"name": "Ada"}}' http://127.0.0.1:8020/

Serve removes the file when it stops (unless a later serve of the workspace wrote its own).
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
from pathlib import Path

from ixon_devkit.errors import UserError
from ixon_devkit.workspace import files

FILE = Path(".devkit") / "serve-secret"
HEADER = "X-Devkit-Secret"
#: The header as WSGI's environ names it.
ENVIRON_KEY = "HTTP_X_DEVKIT_SECRET"


class SecretError(UserError):
    """The secret file cannot be written; the message says what to do."""

    exit_code = 2


def create(root: Path) -> str:
    """A new secret for this session, written to `.devkit/serve-secret` (0600)."""
    secret = secrets.token_urlsafe(32)
    path = root / FILE
    try:
        path.parent.mkdir(exist_ok=True)
        files.write_private(path, secret + "\n")
    except OSError as error:
        raise SecretError(
            f"cannot write {FILE.as_posix()} ({error.strerror or error}), the secret that "
            "invoke call and your tools show serve: make .devkit/ writable, then start again"
        ) from None
    return secret


def read(root: Path) -> str | None:
    """The secret of the serve running for this workspace, or None when there is none."""
    try:
        text = (root / FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


def headers(root: Path) -> dict[str, str]:
    """The header that shows a running serve its secret (none when there is no secret)."""
    secret = read(root)
    return {HEADER: secret} if secret else {}


def matches(presented: str | None, secret: str) -> bool:
    """Whether `presented` is `secret` (compared in constant time)."""
    return presented is not None and hmac.compare_digest(
        presented.strip().encode("utf-8", "replace"), secret.encode("utf-8")
    )


def remove(root: Path, secret: str) -> None:
    """Remove the file when it still holds `secret` (a later serve's own is left alone)."""
    if read(root) == secret:
        with contextlib.suppress(OSError):
            (root / FILE).unlink()
