"""The Jinja extension that gives the template the tooling package's wheel.

A module of its own, not part of `local_extensions.py`: `cruft update` renders the workspace's
old template and the new one in one process, and Python imports a module name once, so the new
render would see the old release's `local_extensions`, which has no `DevkitWheel`. The wheel is
built from the template the render runs in (the current folder), whichever render imported this
module first. Standard library and Jinja only.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from pathlib import Path

from jinja2 import Environment
from jinja2.ext import Extension


def _package_folder() -> Path:
    """The package's folder in this template: beside the files cookiecutter renders (they are
    rendered from the workspace folder, the hooks from the template's own)."""
    here = Path.cwd()
    for folder in (here, here.parent):
        if (folder / "devkit" / "build_backend.py").is_file():
            return folder / "devkit"
    raise RuntimeError(f"the template's devkit/ package is not beside {here}")


#: What `devkit_wheel` built, by the package folder's state: a bake asks three times (the pin,
#: the lock, the hook), and the template's tests bake hundreds of times.
_BUILT: dict[tuple[object, ...], dict[str, str]] = {}


def _state(folder: Path) -> tuple[object, ...]:
    """The package folder's files with their sizes and times: changes when a file does."""
    files = [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    stats = sorted((str(path), path.stat()) for path in files)
    return (str(folder), *((name, st.st_size, st.st_mtime_ns) for name, st in stats))


def devkit_wheel() -> dict[str, str]:
    """The tooling package's wheel as this template builds it: its file `name`, `version` and
    `sha256`, and its `path` (built into a temporary folder once per template state)."""
    folder = _package_folder()
    state = _state(folder)
    if state not in _BUILT:
        _BUILT[state] = _build(folder)
    return _BUILT[state]


def _build(folder: Path) -> dict[str, str]:
    spec = importlib.util.spec_from_file_location(
        "_ixon_build_backend", folder / "build_backend.py"
    )
    backend = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(backend)
    name, data = backend.wheel_bytes(folder)
    digest = hashlib.sha256(data).hexdigest()
    target = Path(tempfile.gettempdir()) / f"ixon-devkit-wheels-{digest[:16]}" / name
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(data)
        os.replace(partial, target)
    return {
        "name": name,
        "version": backend.project(folder)["version"],
        "sha256": digest,
        "path": str(target),
    }


class DevkitWheel(Extension):
    """`{{ devkit_wheel() }}`: the tooling's wheel (see `devkit_wheel`), for the pin and its
    hash in the workspace's locks and for the hook that places the wheel in the workspace."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.globals["devkit_wheel"] = devkit_wheel
