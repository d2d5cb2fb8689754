"""Writing files whole or not at all: one atomic write for every tool of the workspace.

The new content goes to a temporary file with a unique name beside the target (so two
processes writing at once never share one), is flushed to disk, then renamed over the target:
a reader sees the old file or the new one, never half of one. Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
