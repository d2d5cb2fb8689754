"""What the workspace serves: its exposed functions, read from the sources without running them.

`invoke serve` lists the functions it serves by importing the workspace's modules
(`ixon_devkit.workspace.function_names.exposed`); the checks that run before `.venv` exists (doctor,
deploy's refusals, `invoke component-calls`) need the same list without importing anything.
`read` parses `functions/` with `ast` and finds what ixoncdkingress would call:

- a function at the top of a module marked `@FunctionContext.expose` (or `@expose`), called
  as `module.function` (`example.greet`);
- the module of bare names (`greet`: module `functions`, resolved as ixoncdkingress resolves
  it, by `ixon_devkit.workspace.import_world`) also serves what it re-exports
  (`from example import greet` in `functions/__init__.py`);
- the runtime's own names (`list-agent-tools`, ...), whatever the module part.

`Served.serves(name)` resolves a called name the way ixoncdkingress does and says whether an
exposed function answers it; `closest` gives the served names nearest to a misspelt one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from ixon_devkit.serve.served_names import (  # noqa: F401 - re-exported: what serve lists, by name
    DEFAULT_MODULE,
    PACKAGE,
    RUNTIME_NAMES,
    closest,
    is_test,
    module_names,
    module_names_of,
)
from ixon_devkit.workspace import import_world


@dataclass(frozen=True)
class Function:
    """One exposed function as a UI Component calls it, where it is defined, and the
    parameters a call must give (those after the context without a default)."""

    name: str
    where: str
    required: tuple[str, ...] = ()
    agentic: bool = False


@dataclass(frozen=True)
class Served:
    """The functions a workspace serves, found in its sources."""

    functions: tuple[Function, ...]
    #: The posix paths of the workspace's files under functions/ (for the resolution).
    files: frozenset[str]
    #: Each module file's callable functions (own and re-exported) by attribute name; None
    #: for a file that does not parse (what it serves is unknown).
    reachable: Mapping[str, Mapping[str, Function] | None] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [function.name for function in self.functions]

    def serves(self, name: str) -> bool:
        """Whether ixoncdkingress would find an exposed function for the called `name` (a
        module that does not parse counts as serving it: the bundle names its error)."""
        return self.function(name) is not None or self._unknown(name)

    def function(self, name: str) -> Function | None:
        """The exposed function the called `name` reaches, or None."""
        _module, function = import_world.parse_call(name)
        if function in RUNTIME_NAMES:
            return Function(name, "ixoncdkingress")
        path = import_world.resolve_call(name, self.files).path
        functions = self.reachable.get(path) if path else None
        return functions.get(function) if functions else None

    def _unknown(self, name: str) -> bool:
        path = import_world.resolve_call(name, self.files).path
        return path is not None and path in self.reachable and self.reachable[path] is None

    def closest(self, name: str, count: int = 3) -> list[str]:
        """The served names nearest to `name` (a misspelling), best first."""
        return closest(name, self.names, count)


def read(root: Path, without: Iterable[str] = ()) -> Served:
    """The functions the workspace at `root` serves (its `functions/`, tests left out), as if
    the files `without` (posix paths relative to `root`) were gone."""
    gone = set(without)
    sources = import_world.read_sources(root, (PACKAGE,))
    return of_sources({path: data for path, data in sources.items() if path not in gone})


def of_sources(sources: Mapping[str, bytes]) -> Served:
    """`read`, from {posix path relative to the workspace: bytes} of the files under
    functions/ (tests are left out, as the bundle leaves them out)."""
    sources = {
        path: data
        for path, data in sources.items()
        if path.endswith(".py") and not is_test(path.rpartition("/")[2])
    }
    trees = import_world.parse_all(sources)
    files = frozenset(sources)
    own: dict[str, dict[str, Function]] = {}
    for path, tree in trees.items():
        module = _module_name(path)
        own[path] = {
            node.name: _function(node, f"{module}.{node.name}", f"{path}:{node.lineno}")
            for node in _top_level(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and import_world.expose_decorator(node) is not None
        }
    reachable: dict[str, dict[str, Function] | None] = {p: dict(f) for p, f in own.items()}
    for _round in range(5):  # re-exports of re-exports, a few deep
        grown = False
        for path, tree in trees.items():
            for attribute, function in _reexports(path, tree, files, reachable):
                target = reachable[path]
                if target is not None and attribute not in target:
                    target[attribute] = function
                    grown = True
        if not grown:
            break
    reachable.update({path: None for path in sources if path not in trees})
    listed = _listing(files, own, reachable)
    return Served(tuple(listed), files, reachable)


def _listing(
    files: frozenset[str],
    own: Mapping[str, Mapping[str, Function]],
    reachable: Mapping[str, Mapping[str, Function] | None],
) -> list[Function]:
    """The served names as `invoke serve` lists them: each module's own functions, and
    everything the module of bare names serves (by its bare name)."""
    found: list[Function] = []
    prefix = f"{PACKAGE}/"
    for module in module_names_of(p[len(prefix) :] for p in files if p.startswith(prefix)):
        path = import_world.resolve_call(f"{module}._", files).path
        if path is None:
            continue
        if module == DEFAULT_MODULE:
            for attribute, function in sorted((reachable.get(path) or {}).items()):
                found.append(replace(function, name=attribute))
        else:
            found += [function for _name, function in sorted(own.get(path, {}).items())]
    return found


def _module_name(path: str) -> str:
    """The module a file under functions/ is imported as: `functions/x.py` is `x` (the folder
    is first on sys.path), `functions/__init__.py` is `functions`."""
    parts = path[: -len(".py")].split("/")[1:]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) or PACKAGE


def _top_level(tree: ast.AST) -> list[ast.stmt]:
    """A module's statements that run on import: its body, with the branches of `if` and
    `try` at the top."""
    found = []
    for node in getattr(tree, "body", []):
        found.append(node)
        if isinstance(node, (ast.If, ast.Try)):
            found += _top_level(ast.Module(body=import_world.branches(node), type_ignores=[]))
    return found


def _function(node: ast.FunctionDef | ast.AsyncFunctionDef, name: str, where: str) -> Function:
    arguments = node.args
    positional = [*arguments.posonlyargs, *arguments.args][1:]  # the first is the context
    without_default = positional[: len(positional) - len(arguments.defaults)]
    required = [a.arg for a in without_default]
    required += [
        a.arg
        for a, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
        if default is None
    ]
    decorator = import_world.expose_decorator(node)
    agentic = isinstance(decorator, ast.Call) and any(
        keyword.arg == "is_agentic"
        and isinstance(keyword.value, ast.Constant)
        and keyword.value.value is True
        for keyword in decorator.keywords
    )
    return Function(name, where, tuple(required), agentic)


def _reexports(
    path: str,
    tree: ast.AST,
    files: frozenset[str],
    reachable: Mapping[str, Mapping[str, Function] | None],
) -> Iterable[tuple[str, Function]]:
    """The exposed functions a module imports by name (`from example import greet`), as the
    attribute names it binds them to."""
    for node in _top_level(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        module = _absolute(path, node)
        if module is None:
            continue
        source = import_world.resolve_call(f"{module}._", files).path
        functions = reachable.get(source) if source and source != path else None
        for alias in node.names if functions else ():
            if alias.name == "*":
                yield from ((a, f) for a, f in list(functions.items()) if not a.startswith("_"))
            elif alias.name in functions:
                yield alias.asname or alias.name, functions[alias.name]


def _absolute(path: str, node: ast.ImportFrom) -> str | None:
    """The module an import names, a relative one made absolute from the importing file's
    package; None when it cannot be (a relative import in a top-level module)."""
    if node.level == 0:
        return node.module
    module = _module_name(path)
    package = module if path.endswith("/__init__.py") else module.rpartition(".")[0]
    parts = package.split(".") if package else []
    if node.level - 1 > len(parts) or not parts:
        return None
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])]) or None
