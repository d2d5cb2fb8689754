"""The one import world: how ixoncdkingress resolves the modules of `functions/`, checked ahead.

ixoncdkingress (1.0.0, `webserver/utils.py` and `function/caller.py`) turns a called name
`a.b.fn` into module `a.b` and function `fn`; a name without a dot (`fn`) into module
`functions`. It puts the functions folder first on `sys.path` and imports that module, so:

- `functions/functions.py`, when there is one, is IXON's default module: a bare `fn` and
  `functions.fn` both reach it; without it, `functions` is the package folder itself (the
  workspace root is on `sys.path` after the functions folder), whose `__init__.py` may
  re-export names;
- `example.greet` imports `functions/example.py` as the top-level module `example`;
- a module the runtime has already imported (the standard library's `types`, `certifi`, ...)
  is found in `sys.modules` before any folder is looked at.

Tests, `invoke serve`, `invoke call` and `invoke tools` use that same order
(`ixon_devkit.serve.ingress.enter_import_world`, which the tests' plugin calls after loading the
runtime, as IXON Cloud has it loaded), so whatever imports in one imports in all.

`problems` runs that resolution over the sources in advance and names, by file and line, only
what would fail in IXON Cloud:

- `from functions import x`, `import functions.x` or `from functions.x import y` while
  `functions/functions.py` exists: `functions` is then that module, not the package, so `x`
  is found only if `functions.py` itself defines it;
- a bare `import types` (or `from types import X`) meant for `functions/types.py`, when the
  runtime has already imported a `types`: the runtime's module answers (meant for ours: it
  uses a name that our module defines);
- a called name (`types.fn`, in a UI Component's `.call('...')` or a test's `client.call`)
  whose module the runtime's own modules would answer.

A helper named like a library module and reached through its package (`from functions.types
import X`, or a call of `functions.types.fn`) is never refused for its name. Which names the
runtime has loaded is asked of the workspace's runtime (`python -m ixon_devkit.workspace.modules`),
not kept in a list.
"""

from __future__ import annotations

import ast
import json
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ixon_devkit.serve.served_names import DEFAULT_MODULE, PACKAGE
from ixon_devkit.ui import ui_calls
from ixon_devkit.workspace import walk

#: DEFAULT_MODULE: the module a called name without a dot reaches (ixoncdkingress's
#: parse_function_location).
#: Folders whose Python files import in the same world as the functions.
PYTHON_FOLDERS = ("functions", "tests")
#: Where UI Components' sources live, and the files that may call a function.
COMPONENT_FOLDERS = ("components",)
COMPONENT_SUFFIXES = ui_calls.SUFFIXES
_SKIPPED = {"node_modules", "__pycache__", "dist", ".venv", "venv", ".git"}


@dataclass(frozen=True)
class Problem:
    """An import or a call that would fail in IXON Cloud, with where it is."""

    where: str  # path:line, the path relative to the workspace (posix)
    message: str

    def describe(self) -> str:
        return f"{self.where} {self.message}"


@dataclass(frozen=True)
class Resolution:
    """Where a called name's module comes from in IXON Cloud."""

    module: str  # the module ixoncdkingress imports
    function: str
    path: str | None  # the file under functions/ (posix, relative to the workspace), or None
    problem: str | None  # why the call cannot reach the code in functions/, or None


def top_level_modules(names: Iterable[str]) -> dict[str, str]:
    """The names importable from the top of `functions/` (a `.py` file or a folder with an
    `__init__.py`), each with its path; `names` are posix paths relative to the workspace."""
    found: dict[str, str] = {}
    for name in sorted(names):
        parts = name.split("/")
        if parts[0] != PACKAGE or any(part.startswith(".") for part in parts):
            continue
        if len(parts) == 2 and parts[1].endswith(".py") and parts[1] != "__init__.py":
            found.setdefault(parts[1][:-3], name)
        elif len(parts) == 3 and parts[2] == "__init__.py":
            found.setdefault(parts[1], name)
    return found


def parse_call(name: str) -> tuple[str, str]:
    """ixoncdkingress's `parse_function_location`: (module, function)."""
    module, _, function = name.rpartition(".")
    return (module or DEFAULT_MODULE), function


def resolve_call(
    name: str, sources: Iterable[str], runtime_modules: Iterable[str] = ()
) -> Resolution:
    """Where IXON Cloud finds the module of the called `name` (`sources`: the workspace's
    files as posix paths, at least those under functions/)."""
    module, function = parse_call(name)
    files = set(sources)
    top = top_level_modules(files)
    first, _, rest = module.partition(".")
    if first in set(runtime_modules) and first != PACKAGE:
        ours = top.get(first)
        problem = (
            f"module `{first}` is one the runtime has already imported, so `{name}` reaches "
            "that one, not your code"
            + (f": call it as `{PACKAGE}.{module}.{function}` (your {ours})" if ours else "")
        )
        return Resolution(module, function, None, problem)
    path, problem = _module_file(first, rest, top, files)
    return Resolution(module, function, path, problem)


def _module_file(
    first: str, rest: str, top: dict[str, str], files: set[str]
) -> tuple[str | None, str | None]:
    """The file of module `first.rest` under functions/, or why there is none."""
    if first in top:
        base = top[first]
        if not rest:
            return base, None
        if not base.endswith("/__init__.py"):
            return None, f"{base} is a module, not a package: `{first}.{rest}` is not found"
        folder = base[: -len("__init__.py")]
    elif first == PACKAGE:
        folder = f"{PACKAGE}/"
        if not rest:
            init = f"{PACKAGE}/__init__.py"
            return (init if init in files else None), None
    else:
        return None, f"there is no module `{first}` in {PACKAGE}/"
    inner = rest.replace(".", "/")
    for candidate in (f"{folder}{inner}.py", f"{folder}{inner}/__init__.py"):
        if candidate in files:
            return candidate, None
    return None, f"there is no {folder}{inner}.py"


def defined_names(tree: ast.AST) -> set[str] | None:
    """The names a module defines at its top level; None when a `*` import makes it unknown."""
    names: set[str] = set()
    for node in getattr(tree, "body", []):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    return None
                names.add((alias.asname or alias.name).partition(".")[0])
        elif isinstance(node, (ast.If, ast.Try)):
            inner = defined_names(ast.Module(body=branches(node), type_ignores=[]))
            if inner is None:
                return None
            names |= inner
    return names


def branches(node: ast.If | ast.Try) -> list[ast.stmt]:
    """The statements of every branch of an `if` or `try` (each may run on import)."""
    body = [*node.body, *node.orelse]
    if isinstance(node, ast.Try):
        body += [*node.finalbody, *(s for h in node.handlers for s in h.body)]
    return body


def parse_all(sources: Mapping[str, bytes]) -> dict[str, ast.AST]:
    """The Python files of `sources` that parse (the bundle reports syntax errors itself)."""
    trees = {}
    for name, data in sources.items():
        if name.endswith(".py"):
            try:
                trees[name] = ast.parse(data, filename=name)
            except (SyntaxError, ValueError):
                continue
    return trees


def problems(sources: Mapping[str, bytes], runtime_modules: Iterable[str] = ()) -> list[Problem]:
    """What would fail to import or to be called in IXON Cloud, by file and line.

    `sources` maps posix paths relative to the workspace (`functions/x.py`, `tests/...`,
    `components/...`) to their bytes; `runtime_modules` are the names the runtime has loaded.
    """
    loaded = set(runtime_modules)
    trees = parse_all(sources)
    top = top_level_modules(sources)
    defined = {name: defined_names(trees[path]) for name, path in top.items() if path in trees}
    world = _World(top, defined, loaded)
    found: list[Problem] = []
    for path, tree in sorted(trees.items()):
        found += _import_problems(path, tree, world)
    for path, line, name in sorted(called_names(sources, trees)):
        resolution = resolve_call(name, sources, loaded)
        if resolution.problem and not resolution.problem.startswith("there is no"):
            # A name that finds no module at all may be a test of "Not found"; a name that
            # some other module answers is the mistake IXON Cloud would make silently.
            found.append(Problem(f"{path}:{line}", f"calls `{name}`: {resolution.problem}"))
    return found


def notes(sources: Mapping[str, bytes], runtime_modules: Iterable[str] = ()) -> list[str]:
    """Modules named like one the runtime has loaded that expose functions: fine through
    their package (`functions.types.fn`), but a call of `types.fn` reaches the library."""
    loaded = set(runtime_modules)
    trees = parse_all(sources)
    found = []
    for name, path in sorted(top_level_modules(sources).items()):
        tree = trees.get(path)
        if name in loaded and name != PACKAGE and tree is not None and exposes(tree):
            found.append(
                f"{path} is named like `{name}`, a module the runtime has already imported: "
                f"call its functions as `{PACKAGE}.{name}.<function>` (a call of "
                f"`{name}.<function>` reaches the runtime's `{name}`)"
            )
    return found


def exposes(tree: ast.AST) -> bool:
    """Whether a module marks a function with `@FunctionContext.expose` (or `@expose`)."""
    return any(
        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and expose_decorator(node)
        for node in ast.walk(tree)
    )


def expose_decorator(node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.expr | None:
    """The `@FunctionContext.expose` (or `@expose`, `@...expose(...)`) marking `node`, or None."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (isinstance(target, ast.Attribute) and target.attr == "expose") or (
            isinstance(target, ast.Name) and target.id == "expose"
        ):
            return decorator
    return None


@dataclass(frozen=True)
class _World:
    """What imports resolve against: the top-level modules of functions/ (name: path), the
    names each defines (None: unknown), and the modules the runtime has loaded."""

    top: dict[str, str]
    defined: dict[str, set[str] | None]
    loaded: set[str]


def _import_problems(path: str, tree: ast.AST, world: _World) -> list[Problem]:
    top, defined, loaded = world.top, world.defined, world.loaded
    found = []
    default = top.get(PACKAGE)
    default_is_module = default is not None and not default.endswith("/__init__.py")
    init = f"{PACKAGE}/__init__.py"  # never runs when functions.py takes the name
    for node in ast.walk(tree):
        where = f"{path}:{getattr(node, 'lineno', 1)}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                first, dot, _ = alias.name.partition(".")
                if first == PACKAGE and dot and default_is_module and path not in (default, init):
                    found.append(_through_default(where, f"import {alias.name}", default))
                elif _meant_for_ours(first, alias, tree, world):
                    found.append(_library_answers(where, f"import {alias.name}", first, top))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            first, dot, _ = node.module.partition(".")
            if first == PACKAGE and default_is_module and path not in (default, init):
                missing = [a.name for a in node.names if not _defines(defined.get(PACKAGE), a.name)]
                if dot or missing:
                    what = f"from {node.module} import {', '.join(missing or ['...'])}"
                    found.append(_through_default(where, what, default))
            elif not dot and first in loaded and first in top and first != PACKAGE:
                ours = defined.get(first)
                if ours and any(alias.name in ours for alias in node.names):
                    found.append(
                        _library_answers(where, f"from {node.module} import ...", first, top)
                    )
    return found


def _defines(names: set[str] | None, name: str) -> bool:
    return names is None or name in names or name == "*"


def _meant_for_ours(first: str, alias: ast.alias, tree: ast.AST, world: _World) -> bool:
    """A bare `import X` of a loaded X that uses a name only our functions/X.py defines."""
    if first not in world.loaded or first not in world.top or first == PACKAGE:
        return False
    if "." in alias.name:
        return False
    ours = world.defined.get(first)
    if not ours:
        return False
    bound = alias.asname or first
    return any(
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == bound
        and node.attr in ours
        for node in ast.walk(tree)
    )


def _through_default(where: str, what: str, default: str) -> Problem:
    return Problem(
        where,
        f"`{what}` cannot resolve in IXON Cloud: ixoncdkingress puts {PACKAGE}/ first on "
        f"sys.path, so `{PACKAGE}` is {default} (the default module that bare names reach), "
        f"not the package: import the helper by its own name (`import helpers`, `from "
        f"helpers import x`), or define the name in {default}",
    )


def _library_answers(where: str, what: str, name: str, top: dict[str, str]) -> Problem:
    return Problem(
        where,
        f"`{what}` gets the runtime's `{name}` (already imported, so found before "
        f"{PACKAGE}/), not your {top[name]}: import yours through its package "
        f"(`from {PACKAGE}.{name} import ...`), or rename it",
    )


def required_imports(tree: ast.AST) -> list[tuple[str, int]]:
    """The top-level modules a module imports absolutely, with their lines, leaving out
    imports that may fail on purpose (inside `try`) or never run (`if TYPE_CHECKING:`)."""
    optional: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) or (
            isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test)
        ):
            optional.update(id(inner) for inner in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if id(node) in optional:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name.partition(".")[0], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module.partition(".")[0], node.lineno))
    return found


def called_names(
    sources: Mapping[str, bytes], trees: Mapping[str, ast.AST] | None = None
) -> list[tuple[str, int, str]]:
    """The function names called by UI Components (`ixon_devkit.ui.ui_calls`) and by tests
    (`client.call("module.fn"`): (path, line, name)."""
    trees = parse_all(sources) if trees is None else trees
    found = []
    for path, data in sources.items():
        if path.startswith(COMPONENT_FOLDERS) and path.endswith(COMPONENT_SUFFIXES):
            for call in ui_calls.calls(data.decode("utf-8", "replace"), path):
                if call.name is not None:
                    found.append((path, call.line, call.name))
    for path, tree in trees.items():
        if not path.startswith("tests/"):
            continue  # elsewhere `.call("...")` is some other API's (subprocess, mocks)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "call"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.append((path, node.lineno, node.args[0].value))
    return found


def source_paths(
    root: Path, folders: Iterable[str] = (*PYTHON_FOLDERS, *COMPONENT_FOLDERS)
) -> list[Path]:
    """The workspace's files that `problems` reads."""
    found = []
    for folder, path in walk.under(root, folders):
        if _SKIPPED.intersection(path.relative_to(root).parts) or not path.is_file():
            continue
        wanted = COMPONENT_SUFFIXES if folder in COMPONENT_FOLDERS else (".py",)
        if path.suffix in wanted or path.suffix == ".py":
            found.append(path)
    return found


def read_sources(root: Path, folders: Iterable[str] = (*PYTHON_FOLDERS, *COMPONENT_FOLDERS)):
    """The workspace's files that `problems` reads, as {posix path: bytes}."""
    found: dict[str, bytes] = {}
    for path in source_paths(root, folders):
        try:
            found[path.relative_to(root).as_posix()] = path.read_bytes()
        except OSError:
            continue
    return found


def workspace_problems(root: Path, runtime_modules: Iterable[str]) -> list[Problem]:
    """`problems` of the workspace at `root`, read from disk."""
    return problems(read_sources(root), runtime_modules)


def summary(found: list[Problem]) -> str:
    """The first problem, and how many more: one line for an ERROR."""
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return found[0].describe() + more


def ask_environment(python: Path | str, root: Path, module: str, timeout: float = 60) -> object:
    """What `python -m MODULE` (a tooling module answering JSON) prints, run in the
    workspace's environment; None when it cannot say."""
    try:
        result = subprocess.run(
            [str(python), "-m", module],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return json.loads(result.stdout) if result.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None


def runtime_modules(python: Path | str, root: Path, timeout: float = 60) -> frozenset[str]:
    """The top-level modules the runtime has imported before your code runs, asked of the
    workspace's `python` (its environment must be set up); empty when it cannot say."""
    names = ask_environment(python, root, "ixon_devkit.workspace.modules", timeout)
    if not isinstance(names, list):
        return frozenset()
    return frozenset(name for name in names if isinstance(name, str))


def app_descriptions(tree: ast.AST) -> list[int]:
    """The lines where a module creates an `AppDescription(...)`: ixoncdkingress allows one
    per app and fails the second module's import with "App description already created"."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else ""
            name = name or getattr(function, "id", "")
            if name == "AppDescription":
                lines.append(node.lineno)
    return lines


def app_description_clash(places: list[str]) -> str | None:
    """The line naming the modules that create an app description, when more than one does;
    `places` are `path:line` strings."""
    if len({place.partition(":")[0] for place in places}) < 2:
        return None
    return (
        f"AppDescription is created in {' and '.join(places)}: ixoncdkingress allows one per "
        'app (the second import fails with "App description already created"): keep one '
        "(`invoke remove-examples` removes the template's, in functions/assistant.py)"
    )
