"""Reviewing the adopted code as it will be: what would not import, run or deploy as it is.

Named under "left to do", each with its file and line: imports of ixoncdkingress 0.0.x that
were kept, modules IXON Cloud would not import, two app descriptions, tests that connect to a
MongoDB of their own, pytest markers without a plugin, and fixtures of the app that hide the
workspace's own (`client`, `document_store`, ... read from the workspace's pytest plugin).
Standard library only.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from ixon_devkit.adopt.model import Plan
from ixon_devkit.adopt.requirement_lines import parse
from ixon_devkit.cloud import api_access
from ixon_devkit.workspace import import_world, legacy

#: Markers pytest itself knows.
PYTEST_MARKERS = {"parametrize", "skip", "skipif", "xfail", "usefixtures", "filterwarnings"}
#: Markers of common pytest plugins, and the packages that bring each (any one of them).
PLUGIN_MARKERS = {
    "timeout": ("pytest-timeout",),
    "asyncio": ("pytest-asyncio",),
    "anyio": ("anyio",),
    "django_db": ("pytest-django",),
    "flaky": ("flaky", "pytest-rerunfailures"),
    "order": ("pytest-order",),
    "dependency": ("pytest-dependency",),
    "benchmark": ("pytest-benchmark",),
    "freeze_time": ("pytest-freezer", "pytest-freezegun"),
    "vcr": ("pytest-recording", "pytest-vcr"),
    "block_network": ("pytest-recording",),
    "default_cassette": ("pytest-recording",),
    "httpx_mock": ("pytest-httpx",),
    "no_cover": ("pytest-cov",),
    "repeat": ("pytest-repeat",),
    "xdist_group": ("pytest-xdist",),
    "respx": ("respx",),
    "enable_socket": ("pytest-socket",),
    "disable_socket": ("pytest-socket",),
    "allow_hosts": ("pytest-socket",),
    "datafiles": ("pytest-datafiles",),
}
#: The workspace's pytest plugin, whose fixtures an app's fixture of the same name would hide.
#: The tooling's pytest plugin, whose fixtures an app's own may hide (read, not imported).
FIXTURES_PLUGIN = Path(__file__).resolve().parents[1] / "testing" / "fixtures.py"
#: How messages name it.
FIXTURES_NAME = "ixon_devkit/testing/fixtures.py"


def after(root: Path, result: Plan, folder: str) -> dict[str, bytes]:
    """The Python files under `folder` as they will be once the plan is applied."""
    base = root / folder
    found = (
        {
            path.relative_to(root).as_posix(): path.read_bytes()
            for path in base.rglob("*.py")
            if "__pycache__" not in path.parts and not path.is_symlink()
        }
        if base.is_dir()
        else {}
    )
    for relative in result.deletes:
        found.pop(relative, None)
    for relative, data in result.writes.items():
        if relative.startswith(folder + "/") and relative.endswith(".py"):
            found[relative] = data
    return dict(sorted(found.items()))


def parsed(data: bytes, shown: str) -> ast.AST | None:
    try:
        return ast.parse(data, filename=shown)
    except (SyntaxError, ValueError):
        return None


def adopted_modules(result: Plan, functions: dict[str, bytes]) -> Iterator[tuple[str, ast.AST]]:
    """(path, parsed module) of each function module this adopt writes (tests left out, as
    the bundle leaves them out)."""
    for relative, data in functions.items():
        if relative in result.writes and not api_access.is_test(Path(relative).name):
            tree = parsed(data, relative)
            if tree is not None:
                yield relative, tree


def review(root: Path, result: Plan, runtime_modules: frozenset[str]) -> None:
    """Add to `result.left` what the adopted code still needs."""
    functions = after(root, result, "functions")
    tests = after(root, result, "tests")
    old = []
    for relative, data in {**functions, **tests}.items():
        tree = parsed(data, relative)
        if tree is not None and relative in result.writes:
            old += legacy.imports_of(tree, relative)
    for found in old:
        result.left.append(
            found.describe() + " (adopt without --keep-old-imports, or `invoke rewrite-imports`, "
            "rewrites them)"
        )
    _modules(result, functions, tests, runtime_modules)
    _tests(root, result, tests)
    _fixtures(result, tests)
    if result.writes.keys() & set(functions):
        result.left.append(
            "run `invoke test`; `invoke format` brings the adopted code to the workspace's "
            "style when you choose (then `invoke lint --baseline` shrinks lint-baseline.txt)"
        )


def _modules(
    result: Plan,
    functions: dict[str, bytes],
    tests: dict[str, bytes],
    runtime_modules: frozenset[str],
) -> None:
    # IXON Cloud's import world: only what would fail there, by file and line.
    for problem in import_world.problems({**functions, **tests}, runtime_modules):
        result.left.append(problem.describe())
    described = []
    for relative, data in functions.items():
        tree = parsed(data, relative)
        if tree is not None:
            described += [f"{relative}:{line}" for line in import_world.app_descriptions(tree)]
    clash = import_world.app_description_clash(described)
    if clash:
        result.left.append(clash)


def _tests(root: Path, result: Plan, tests: dict[str, bytes]) -> None:
    installed, added = _dev_packages(root, result)
    # Plugins the app's requirements bring in: a marker adopt does not know may be theirs.
    plugins = sorted(name for name in added if name and name.startswith("pytest-"))
    registered = _registered_markers(root)
    for relative, data in tests.items():
        if relative not in result.writes:
            continue
        tree = parsed(data, relative)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                function = node.func
                name = (
                    function.attr
                    if isinstance(function, ast.Attribute)
                    else getattr(function, "id", "")
                )
                if name == "MongoClient":
                    result.left.append(
                        f"{relative}:{node.lineno} connects to a MongoDB of its own "
                        "(MongoClient): run one where the suite expects it, or hand the suite "
                        "the workspace's in-memory store by making that fixture return the "
                        "`document_store` fixture (invoke docs testing: Tests that bring their own "
                        "MongoDB)"
                    )
            marker = _marker(node)
            if marker and marker not in PYTEST_MARKERS and marker not in registered:
                registered.add(marker)  # said once
                known = PLUGIN_MARKERS.get(marker, ())
                if installed & set(known):
                    continue
                if not known and plugins:
                    result.done.append(
                        f"{relative}:{node.lineno} uses the marker `{marker}`, which adopt does "
                        f"not know; the app's pytest plugins ({', '.join(plugins)}, now in the "
                        "development requirements) may register it (`invoke test` refuses it "
                        "under --strict-markers if none does)"
                    )
                    continue
                brings = (
                    f"the plugin {' or '.join(known)} brings it"
                    if known
                    else "no known plugin brings it"
                )
                result.left.append(
                    f"{relative}:{node.lineno} uses the marker `{marker}` ({brings}), which "
                    "--strict-markers refuses until a plugin in requirements-dev.txt provides it "
                    "or pyproject.toml registers it (invoke docs testing: Adding a pytest plugin)"
                )


def _dev_packages(root: Path, result: Plan) -> tuple[set[str | None], set[str | None]]:
    """The packages of the development requirements once the plan is applied, and those of
    them the plan adds (the lock's, else the declaration's when nothing was locked)."""
    now: set[str | None] = set()
    after: set[str | None] = set()
    for name in ("requirements-dev.txt", "requirements-dev.in"):
        before = {r.name for r in parse(_read(root / name))}
        written = result.writes.get(name)
        now |= before
        after |= {r.name for r in parse(written.decode("utf-8"))} if written else before
    return after, after - now


def workspace_fixtures() -> set[str]:
    """The fixture names the tooling's pytest plugin provides (the same in every workspace)."""
    tree = parsed(_read(FIXTURES_PLUGIN).encode("utf-8"), FIXTURES_NAME)
    return {name for name, _ in _fixtures_of(tree)} if tree else set()


def _fixtures_of(tree: ast.AST) -> list[tuple[str, int]]:
    """(name, line) of each fixture a module defines (its `name=` when it has one)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            target = call.func if call else decorator
            if ast.unparse(target) not in ("pytest.fixture", "fixture"):
                continue
            name = node.name
            for keyword in call.keywords if call else []:
                if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                    name = str(keyword.value.value)
            found.append((name, node.lineno))
    return found


def _fixtures(result: Plan, tests: dict[str, bytes]) -> None:
    ours = workspace_fixtures()
    for relative, data in tests.items():
        tree = parsed(data, relative) if relative in result.writes else None
        for name, line in _fixtures_of(tree) if tree else []:
            if name in ours:
                result.left.append(
                    f"{relative}:{line} defines the fixture `{name}`, which hides the "
                    f"workspace's own `{name}` ({FIXTURES_NAME}) for the tests "
                    "below it: rename the app's fixture and its uses to keep both, or keep it "
                    "if the app's tests mean their own (then the workspace's examples there "
                    "get the app's)"
                )


def _marker(node: ast.AST) -> str | None:
    """NAME of a `pytest.mark.NAME` attribute."""
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "mark"
        and isinstance(node.value.value, ast.Name)
        and node.value.value.id == "pytest"
    ):
        return node.attr
    return None


def _registered_markers(root: Path) -> set[str]:
    text = _read(root / "pyproject.toml")
    block = re.search(r"markers\s*=\s*\[(.*?)\]", text, re.S)
    return set(re.findall(r"[\"']([A-Za-z_]\w*)", block.group(1))) if block else set()


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""
