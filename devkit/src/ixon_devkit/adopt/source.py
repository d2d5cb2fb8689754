"""Reading the app being adopted, which is untrusted: nothing in it is followed or run.

Like `npm --ignore-scripts` and git's `safe.directory`, adopt reads the app's files as data
only. A symbolic link is never followed (not even one that stays inside the app: what it
points to may change), a hard link (a file with another name, maybe outside the app) is not
brought in, nor a file name with a control character (a newline) or a file over
`MAX_BYTES`; each is one line of the plan. What adopt prints of the app has its control
characters escaped (`escaped`), so no value of the app can rewrite the terminal's lines.
Text that adopt must read (requirements, context values, `.env`, JSON) must be UTF-8; any
other encoding is named. `.env` is read by python-dotenv's parser, without expanding `${NAME}`.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

from dotenv.parser import parse_stream

from ixon_devkit.adopt.model import Plan

#: Folders never brought in, wherever they are.
SKIPPED = {"__pycache__", "node_modules", "dist", ".venv", "venv", ".git"}
#: Files larger than this are not brought in (a Cloud Function bundle holds code, not data).
MAX_BYTES = 10 * 1024 * 1024
_ODD_NAME = re.compile(r"[\x00-\x1f\x7f]")
#: Control characters a terminal acts on (C0, DEL and C1): escaped in what adopt prints.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def shown(result: Plan, path: Path) -> str:
    """`path` as a message shows it: relative to the app, every odd character escaped."""
    try:
        relative = path.relative_to(result.source).as_posix()
    except ValueError:
        relative = str(path)
    return repr(relative)[1:-1] if odd_name(relative) else relative


def escaped(text: str) -> str:
    """`text` with every control character written as `\\xNN`, so that printing it shows it."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def has_control(text: str) -> bool:
    return bool(_CONTROL.search(text))


def odd_name(name: str) -> bool:
    """Whether a file name holds a control character or bytes that were not UTF-8."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # bytes that were not UTF-8 in the name (surrogates)
        return True
    return bool(_ODD_NAME.search(name))


def tree(result: Plan, base: Path) -> Iterator[Path]:
    """Every regular file under `base` that may be brought in, sorted; links, odd names and
    big files are named in `result.refused` instead. Hidden files, caches and environments
    are skipped."""
    for folder, dirs, names in os.walk(base, followlinks=False):
        here = Path(folder)
        kept = []
        for name in sorted(dirs):
            path = here / name
            if name in SKIPPED or name.startswith("."):
                continue
            if path.is_symlink():
                _refuse_link(result, path)
            elif odd_name(name):
                result.refused.append(
                    f"{shown(result, path)}/: a folder name with a control "
                    "character: not brought in; rename it"
                )
            else:
                kept.append(name)
        dirs[:] = kept
        for name in sorted(names):
            path = here / name
            if name.startswith(".") or name.endswith((".pyc", ".pyo")):
                continue
            if accepted(result, path):
                yield path


def accepted(result: Plan, path: Path) -> bool:
    """Whether the single file `path` of the app may be read; else why not, in `refused`."""
    if path.is_symlink():
        _refuse_link(result, path)
        return False
    if odd_name(path.name):
        result.refused.append(
            f"{shown(result, path)}: a file name with a control character (a newline?): not "
            "brought in; rename it in the app if it belongs there, then adopt again"
        )
        return False
    if not path.is_file():
        return False
    status = path.stat()
    if status.st_nlink > 1:
        result.refused.append(
            f"{shown(result, path)}: a hard link (one of {status.st_nlink} names of one file, "
            "which may lie outside the app): not brought in; make it a file of its own in the "
            "app if it belongs there, then adopt again"
        )
        return False
    size = status.st_size
    if size > MAX_BYTES:
        result.refused.append(
            f"{shown(result, path)}: {size / 1024 / 1024:.0f} MB, over the "
            f"{MAX_BYTES // 1024 // 1024} MB adopt brings in: not brought in; copy it yourself "
            "if the app really needs it (a bundle that large may be refused by IXON Cloud)"
        )
        return False
    return True


def _refuse_link(result: Plan, path: Path) -> None:
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    result.refused.append(
        f"{shown(result, path)}: a symbolic link (to {target}), not followed: not brought in; "
        "copy what it points to into the workspace yourself if it belongs to the app"
    )


def text(result: Plan, path: Path) -> str | None:
    """The UTF-8 text of the app's file `path`; None when it is missing, refused, or in
    another encoding (then named in `result.bad_encodings`)."""
    if not path.exists() and not path.is_symlink():
        return None
    if not accepted(result, path):
        return None
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        result.bad_encodings.append(f"{shown(result, path)} (UTF-16)")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        result.bad_encodings.append(
            f"{shown(result, path)} (not UTF-8: byte 0x{data[error.start]:02x} at {error.start})"
        )
        return None


def env(result: Plan, path: Path) -> dict[str, str]:
    """The variables a `.env` file of the app sets ({} without one), as python-dotenv reads
    them; a `${NAME}` stays as it is (no value of this machine goes into the app's), and a line
    python-dotenv would skip is skipped."""
    return {
        binding.key: binding.value
        for binding in parse_stream(io.StringIO(text(result, path) or ""))
        if binding.key and binding.value is not None and not binding.error
    }
