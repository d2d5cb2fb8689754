"""The modules ixoncdkingress has imported before it imports yours, as top-level names.

`python -m ixon_devkit.workspace.modules` prints them as a JSON list. It imports what `python -m
ixoncdkingress` imports to serve (its WSGI server, servlet, request parsing and function
caller) in a fresh interpreter, so the answer is the pinned runtime's own, on this Python. A
function module with one of these names would never load: `import` finds the loaded one.

The answer depends only on the environment, so it is kept in the environment's folder
(`sys.prefix`), with what it depends on: this Python, the times its site-packages folders last
changed (an install or removal changes them) and this file. Later asks read it back without
importing the runtime (the tests ask before every run); any change asks the runtime again.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import site
import sys
from pathlib import Path
from typing import Any

#: What `python -m ixoncdkingress` imports before the first call.
SERVER_MODULES = (
    "ixoncdkingress.__main__",
    "ixoncdkingress.webserver.wsgi",
    "ixoncdkingress.webserver.servlet",
    "ixoncdkingress.webserver.utils",
    "ixoncdkingress.function.caller",
    "ixoncdkingress.function.context",
    "ixoncdkingress.types",
)
#: Where the answer is kept, in the environment's folder.
CACHE_FILE = "devkit-runtime-modules.json"


def load_runtime() -> None:
    """Import what `python -m ixoncdkingress` imports before the first call (so that, as in
    IXON Cloud, the functions folder on `sys.path` cannot stand in for one of them)."""
    for name in SERVER_MODULES:
        importlib.import_module(name)


def loaded_by_runtime() -> list[str]:
    """The top-level names in `sys.modules` once the runtime's server modules are imported."""
    load_runtime()
    names = {name.partition(".")[0] for name in sys.modules}
    names.discard("__main__")
    names.discard("ixon_devkit")  # the tooling asks; IXON Cloud has none of it
    return sorted(names)


def environment_key() -> dict[str, Any]:
    """What the answer depends on: this Python, its site-packages as installed, this file."""
    folders = {}
    for folder in site.getsitepackages():
        with contextlib.suppress(OSError):
            folders[folder] = os.stat(folder).st_mtime_ns
    return {
        "python": sys.executable,
        "version": sys.version,
        "site_packages": folders,
        "asker": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
    }


def cached_names() -> list[str] | None:
    """The names kept for this environment as it is now, or None (never asked, or changed)."""
    try:
        kept = json.loads((Path(sys.prefix) / CACHE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(kept, dict) or kept.get("key") != environment_key():
        return None
    names = kept.get("names")
    return names if isinstance(names, list) else None


def keep(names: list[str]) -> None:
    """Keep `names` for this environment (quietly not, where its folder is read-only)."""
    path = Path(sys.prefix) / CACHE_FILE
    partial = path.with_name(f".{CACHE_FILE}.{os.getpid()}")
    with contextlib.suppress(OSError):
        partial.write_text(json.dumps({"key": environment_key(), "names": names}), encoding="utf-8")
        os.replace(partial, path)  # whole or not at all, when two runs ask at once
    with contextlib.suppress(OSError):
        partial.unlink()


def main() -> int:
    names = cached_names()
    if names is None:
        names = loaded_by_runtime()
        keep(names)
    print(json.dumps(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
