"""Production mode locally: `invoke serve --production` runs the functions as IXON Cloud does.

IXON Cloud runs ixoncdkingress with `PRODUCTION_MODE` on. Its own code (`webserver/servlet.py`,
`webserver/wsgi.py`, `function/caller.py` of the pinned release) then:

- accepts only JSON posts: no form page at GET / (405), no form bodies;
- refuses (401) a call without `created_on`, with one older than a minute, or whose body is not
  signed: `Authorization: signature <hex>`, an Ed25519 signature of the exact body bytes,
  checked against the public keys of `CBC_SIGNATURE_PUBLIC_KEYS`;
- reads no `context_values.yaml`: configuration values come only from the call's `config`;
- does not reload the called module between calls.

Here that same code runs (ixoncdkingress's servlet, with its config switched to production
and this workspace's public key); ours are only the key pair and the signing of `invoke call`:
the workspace makes an Ed25519 key pair in `.devkit/production-key.pem` (ignored by git, never
bundled: bundles hold only `functions/`), whose public half the server checks and whose private
half `invoke call` signs with. What still differs from IXON Cloud is said where it matters: the
document store is the local one, and the IXON API calls go to `IXON_API_BASE_URL`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from ixon_devkit.workspace import files

KEY_FILE = Path(".devkit") / "production-key.pem"
#: IXON Cloud refuses a call whose `created_on` is older than this (ixoncdkingress's servlet).
WINDOW_SECONDS = 60
MODE_HEADER = "X-Devkit-Mode"


@dataclass(frozen=True)
class KeyPair:
    """The workspace's signing key and the PEM of its public half."""

    private: ed25519.Ed25519PrivateKey
    public_pem: str


def load_keys(root: Path) -> KeyPair | None:
    """The workspace's key pair, or None when none was made yet."""
    path = root / KEY_FILE
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError):
        return None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        return None
    return KeyPair(key, _public_pem(key))


def ensure_keys(root: Path) -> KeyPair:
    """The workspace's key pair, made (readable by its owner only) when there is none."""
    found = load_keys(root)
    if found is not None:
        return found
    key = ed25519.Ed25519PrivateKey.generate()
    path = root / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Whole or not at all, 0600 whatever was there, never through a link (as .accesstoken).
    files.write_private(path, pem)
    return KeyPair(key, _public_pem(key))


def _public_pem(key: ed25519.Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def configure(config: Any, keys: KeyPair) -> Any:
    """ixoncdkingress's `config`, switched to production mode with the workspace's public key
    (what `PRODUCTION_MODE=True` and `CBC_SIGNATURE_PUBLIC_KEYS` give it in IXON Cloud)."""
    config.production_mode = True
    config.cbc_signature_public_keys = [keys.public_pem]
    config._signature_public_keys = None  # ixoncdkingress caches the loaded keys
    return config


def authorization(body: bytes, keys: KeyPair) -> str:
    """The Authorization header IXON Cloud sends with `body`."""
    return f"signature {keys.private.sign(body).hex()}"


def fresh(body: bytes) -> bytes:
    """`body` (a JSON call) with `created_on` set to now, as IXON Cloud stamps it."""
    parsed = json.loads(body)
    parsed["created_on"] = datetime.now(UTC).isoformat()
    return json.dumps(parsed).encode("utf-8")


def lines(keys_made: bool) -> list[str]:
    """What `invoke serve --production` says when it starts."""
    return [
        "Production mode, as IXON Cloud runs the functions: only signed JSON calls at most "
        f"{WINDOW_SECONDS} s old (Authorization: signature, checked against "
        f"{KEY_FILE.as_posix()}{', made now' if keys_made else ''}); no form page; no "
        "context_values.yaml (values only from the call's config); no reload",
        "`invoke call` signs its calls with the workspace's key; other callers get 401",
    ]


#: Said after a function's failure in production mode: what differs from development mode.
FAILED_NOTE = (
    "; it failed in production mode, as IXON Cloud runs it: no context_values.yaml (values "
    "only from the call's config, set per company in the IXON portal), no form page, no reload"
    ": if it works under plain `invoke serve`, it relies on development mode"
)


def refusal_hint(status: int) -> str:
    """What an answer of a production-mode server means (empty when nothing to add)."""
    if status == 401:
        return (
            " (invoke serve --production refuses, as IXON Cloud does, a call that is not "
            f"signed with {KEY_FILE.as_posix()} or is older than {WINDOW_SECONDS} s)"
        )
    if status == 405:
        return " (production mode has no form page: POST JSON calls)"
    return ""
