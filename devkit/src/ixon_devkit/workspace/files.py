"""Writing files whole or not at all, and one process at a time.

`write_atomic`: the new content goes to a temporary file with a unique name beside the target
(so two processes writing at once never share one), is flushed to disk, then renamed over the
target: a reader sees the old file or the new one, never half of one. `write_private` does the
same for a secret: the file is readable by its owner only from its first byte, whatever was
there before (a link is replaced, never written through; an old file's mode is not kept).

`locked`: an exclusive lock on a lock file (flock on POSIX, msvcrt on Windows), released by the
system when its process ends, so a crash never leaves a stale lock. Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ixon_devkit.errors import UserError

if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt
else:
    import fcntl


class LockBusyError(UserError):
    """Another process held a lock for longer than we were willing to wait."""


def write_atomic(path: Path, content: str | bytes, *, encoding: str = "utf-8") -> None:
    """Replace `path` with `content` (text is written with `encoding` and no newline
    translation); on any failure the old file stays and no temporary file is left."""
    data = content.encode(encoding) if isinstance(content, str) else content
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".partial", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def write_private(path: Path, content: str | bytes, *, encoding: str = "utf-8") -> None:
    """Replace `path` with `content`, readable and writable by its owner only (0600) from the
    start: a temporary file that `mkstemp` creates with that mode, renamed over `path`. A
    link at `path` is replaced (its target is never written) and an old file's mode is not
    kept; on any failure the old file stays and no temporary file is left."""
    data = content.encode(encoding) if isinstance(content, str) else content
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".partial", dir=path.parent
    )  # mkstemp creates the file with mode 0600: nobody else can read it, ever
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def locked(
    path: Path,
    *,
    wait: float = 900.0,
    waiting: Callable[[], None] | None = None,
    poll: float = 0.05,
) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created when missing, left in place) for the block.

    Waits up to `wait` seconds for another holder, calling `waiting` once when it has to wait;
    then LockBusyError.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        give_up = time.monotonic() + wait
        announced = False
        while not _try_lock(handle):
            if time.monotonic() >= give_up:
                raise LockBusyError(
                    f"another process has held {path.name} for more than {wait:g} s: if no other "
                    "deploy is running, try again"
                )
            if waiting is not None and not announced:
                waiting()
                announced = True
            time.sleep(poll)
        try:
            yield
        finally:
            _unlock(handle)


def _try_lock(handle) -> bool:
    try:
        if os.name == "nt":  # pragma: no cover
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(handle) -> None:
    if os.name == "nt":  # pragma: no cover
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
