"""The modules ixoncdkingress has imported before it imports yours, as top-level names.

`python -m devkit.runtime.modules` prints them as a JSON list. It imports what `python -m
ixoncdkingress` imports to serve (its WSGI server, servlet, request parsing and function
caller) in a fresh interpreter, so the answer is the pinned runtime's own, on this Python. A
function module with one of these names would never load: `import` finds the loaded one.
"""

from __future__ import annotations

import importlib
import json
import sys

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
    names.discard("devkit")
    return sorted(names)


def main() -> int:
    print(json.dumps(loaded_by_runtime()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
