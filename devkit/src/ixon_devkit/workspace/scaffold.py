"""`invoke new NAME`: a new function module and its test, both working from the start.

`invoke new object-storage`: IXON's Object Storage hooks (`functions/ayayot/objectstorage_v1.py`,
the module IXON calls) with their tests, from `ixon_devkit/workspace/object_storage/`.
"""

from __future__ import annotations

import keyword
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ixon_devkit.errors import UserError

MODULE_NAME = re.compile(r"[a-z][a-z0-9_]*")
MAX_LENGTH = 40
#: Names of the workspace itself and of its test tools: with functions/ first on sys.path
#: (as ixoncdkingress puts it), a module of that name would hide them. The names the runtime
#: has imported are asked of the runtime itself (`runtime_modules` of `check_name`).
TAKEN = frozenset(
    {"functions", "ixon_devkit", "bootstrap", "tests", "conftest", "tasks", "pytest", "mongomock"}
)

FUNCTION_TEMPLATE = '''\
"""Say here what the functions of this module are for.

A UI Component calls them by name, here `{name}.hello`:

    context.createBackendComponentClient().call(
        "{name}.hello", {{name: "Ada"}}
    )
"""

from __future__ import annotations

from ixoncdkingress.function.context import FunctionContext


@FunctionContext.expose
def hello(context: FunctionContext, name: str = "world") -> dict[str, str | None]:
    """Greet `name` on behalf of the calling company."""
    company = context.company.name if context.company else None
    return {{"message": f"Hello, {{name}}!", "company": company}}
'''

TEST_TEMPLATE = '''\
"""Tests of functions/{name}.py.

Call a function directly with `function_context`, or by name through ixoncdkingress with
`client`, the way IXON Cloud calls it.
"""

from __future__ import annotations

{import_line}


def test_hello_directly(function_context):
    answer = {name}.hello(function_context, name="Ada")

    assert answer["message"] == "Hello, Ada!"


def test_hello_by_name_through_ixoncdkingress(client, call_context):
    answer = client.call("{name}.hello", name="Ada")

    assert answer == {{"message": "Hello, Ada!", "company": call_context["company"]["name"]}}
'''


#: The name that asks for the Object Storage hooks (a dash: never a module's name).
OBJECT_STORAGE_NAME = "object-storage"
#: IXON calls the Object Storage hooks in this module (`ayayot.objectstorage_v1.authorize_*`).
OBJECT_STORAGE = {
    Path("functions") / "ayayot" / "__init__.py": None,
    Path("functions") / "ayayot" / "objectstorage_v1.py": "objectstorage_v1.py.txt",
    Path("tests") / "test_objectstorage_v1.py": "test_objectstorage_v1.py.txt",
}


class ScaffoldError(UserError):
    """The name cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Created:
    """The files `create` wrote, relative to the workspace."""

    module: Path
    test: Path


def stdlib_modules() -> frozenset[str]:
    """The standard library's top-level module names (empty before Python 3.10)."""
    return frozenset(getattr(sys, "stdlib_module_names", ()))


def check_name(root: Path, name: str, runtime_modules: Iterable[str] = ()) -> None:
    """Raise ScaffoldError when `name` cannot be a new function module of the workspace.

    `runtime_modules` are the modules the runtime has imported before yours
    (`ixon_devkit.workspace.import_world.runtime_modules`): ixoncdkingress imports a function
    module by
    its bare name, so a loaded module of that name would run instead of yours.
    """
    if not MODULE_NAME.fullmatch(name) or len(name) > MAX_LENGTH:
        suggestion = re.sub(r"\W+", "_", name.strip().lower()).strip("_")[:MAX_LENGTH]
        if not MODULE_NAME.fullmatch(suggestion) or keyword.iskeyword(suggestion):
            suggestion = "thermometer"
        raise ScaffoldError(
            f"{name!r} is not a valid function module name: use lower-case letters, digits "
            f"and _ (starting with a letter, at most {MAX_LENGTH} characters), like {suggestion}"
        )
    if name.startswith("test_") or name.endswith("_test"):
        stem = name.removeprefix("test_").removesuffix("_test") or "thermometer"
        raise ScaffoldError(
            f"{name!r} looks like a test module, which the bundle leaves out (as IXON's "
            f"workspace does), so it would never reach IXON Cloud: pick another name, like {stem}"
        )
    if keyword.iskeyword(name):
        raise ScaffoldError(f"{name!r} is a Python keyword: pick another name, like {name}_tools")
    if name in TAKEN or name in stdlib_modules() or name in set(runtime_modules):
        raise ScaffoldError(
            f"{name!r} is the name of a module Python or ixoncdkingress already imports, so "
            f"ixoncdkingress would load that one instead of yours: pick another name, like "
            f"{name}_tools"
        )
    for existing in (
        root / "functions" / f"{name}.py",
        root / "functions" / name,
        root / "tests" / f"test_{name}.py",
    ):
        if existing.exists():
            raise ScaffoldError(
                f"{existing.relative_to(root).as_posix()} already exists: pick another name "
                "(or edit that file)"
            )


def test_import(root: Path, name: str) -> str:
    """How the new test imports the module: through the package, unless IXON's default module
    `functions/functions.py` takes the name `functions` (then by its own name, which works
    either way: the functions folder is first on sys.path)."""
    if (root / "functions" / "functions.py").is_file():
        return f"import {name}"
    return f"from functions import {name}"


def create(
    root: Path, name: str, *, dry_run: bool = False, runtime_modules: Iterable[str] = ()
) -> Created:
    """Write `functions/NAME.py` and `tests/test_NAME.py`; all or nothing."""
    check_name(root, name, runtime_modules)
    created = Created(Path("functions") / f"{name}.py", Path("tests") / f"test_{name}.py")
    if dry_run:
        return created
    _write(
        [
            (root / created.module, FUNCTION_TEMPLATE.format(name=name)),
            (
                root / created.test,
                TEST_TEMPLATE.format(name=name, import_line=test_import(root, name)),
            ),
        ]
    )
    return created


def create_object_storage(root: Path, *, dry_run: bool = False) -> list[Path]:
    """Write IXON's Object Storage hooks and their tests; all or nothing. The files."""
    hooks = Path("functions") / "ayayot" / "objectstorage_v1.py"
    existing = [path for path in OBJECT_STORAGE if path.name != "__init__.py"]
    for path in existing:
        if (root / path).exists():
            raise ScaffoldError(
                f"{path.as_posix()} already exists: the Object Storage hooks are there (edit "
                f"{hooks.as_posix()})"
            )
    wanted = [path for path in OBJECT_STORAGE if not (root / path).exists()]
    if dry_run:
        return wanted
    (root / hooks).parent.mkdir(parents=True, exist_ok=True)
    source = Path(__file__).with_name("object_storage")
    _write(
        [
            (root / path, (source / name).read_text(encoding="utf-8") if name else "")
            for path, name in OBJECT_STORAGE.items()
            if path in wanted
        ]
    )
    return wanted


def _write(files: list[tuple[Path, str]]) -> None:
    """Write new files; all or nothing."""
    written: list[Path] = []
    try:
        for path, text in files:
            with open(path, "x", encoding="utf-8", newline="\n") as file:
                written.append(path)
                file.write(text)
    except OSError as error:
        for path in written:
            path.unlink()
        raise ScaffoldError(f"cannot write {path}: {error.strerror or error}") from None
