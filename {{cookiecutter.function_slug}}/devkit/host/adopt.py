"""`invoke adopt PATH`: bring an existing IXON workspace or app repository into this one.

The code moves in unchanged: the `functions/` package whole (its `__init__.py` included), the
tests beside the workspace's fixtures (a pytest plugin, so the suite's own `conftest.py` keeps
working), the requirements (the app's pins kept, development requirements merged, conflicts
named), the context values (`context_values.yaml`, `.json`, or the legacy
`context_config.json` turned into YAML), the `.env` settings mapped to the workspace's, and the
UI Components (`components/`, `cdk.config.json`, `package.json`) when the app has them.

It plans first and writes nothing until the plan holds: a file that would replace one you
changed is refused without `force` (a file still as the template baked it may be replaced).
The result says what was done and what is left (old runtime imports, modules that would not
load, fixtures with a MongoDB of their own, pytest markers without a plugin, API access to
grant, lint). Standard library only, Python 3.9+.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from devkit.errors import UserError
from devkit.host import examples, files, import_world, legacy, workspace_file

#: Folders never brought in, wherever they are.
SKIPPED = {"__pycache__", "node_modules", "dist", ".venv", "venv", ".git"}
DEV_REQUIREMENTS = (
    "requirements-dev.txt",
    "requirements_dev.txt",
    "dev-requirements.txt",
    "requirements-test.txt",
)
CONTEXT_FILES = ("context_values.yaml", "context_values.json", "context_config.json")
UI_FILES = ("cdk.config.json", "package.json", "package-lock.json")
#: Markers pytest itself knows.
PYTEST_MARKERS = {"parametrize", "skip", "skipif", "xfail", "usefixtures", "filterwarnings"}
#: Markers of common pytest plugins, and the package that brings each.
PLUGIN_MARKERS = {
    "timeout": "pytest-timeout",
    "asyncio": "pytest-asyncio",
    "anyio": "anyio",
    "django_db": "pytest-django",
    "flaky": "flaky",
    "order": "pytest-order",
    "dependency": "pytest-dependency",
    "benchmark": "pytest-benchmark",
    "freeze_time": "pytest-freezer",
    "vcr": "pytest-recording",
    "httpx_mock": "pytest-httpx",
}
API_METHODS = {"get", "post", "put", "patch", "delete"}
FROM_APP = "# from the adopted app (invoke adopt)"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(==|>=|<=|~=|!=|<|>|$)")
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
_YAML_KEY = re.compile(r"^([A-Za-z0-9_\"'][^:#]*?)\s*:")


class AdoptError(UserError):
    """The app cannot be adopted as asked; the message says why and what to do."""


@dataclass
class Options:
    """What `invoke adopt` was told."""

    remove_examples: bool
    force: bool = False
    dry_run: bool = False
    rewrite_imports: bool = False


@dataclass
class Plan:
    """What adopting would do: files to write and delete, what it says, what is left to do."""

    source: Path
    writes: dict[str, bytes] = field(default_factory=dict)
    deletes: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    existing: set[str] = field(default_factory=set)  # files written over, not new


# --- reading the app ------------------------------------------------------------------------


def _tree(base: Path) -> Iterator[Path]:
    """Every file under `base`, without hidden files, caches and environments, sorted."""
    for path in sorted(base.rglob("*")):
        parts = path.relative_to(base).parts
        if any(part in SKIPPED or part.startswith(".") for part in parts):
            continue
        if path.is_file() and path.suffix not in (".pyc", ".pyo"):
            yield path


def _requirement_name(line: str) -> str | None:
    """The normalised project name of a requirement line, or None for options and comments."""
    line = re.sub(r"(^|\s)#.*$", "", line).strip()
    if not line or line.startswith("-"):
        return None
    found = _NAME.match(line)
    return re.sub(r"[-_.]+", "-", found.group(1)).lower() if found else None


def _requirements(path: Path) -> list[tuple[str | None, str]]:
    if not path.is_file():
        return []
    return [
        (_requirement_name(line), line.strip())
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def _env(path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    if not path.is_file():
        return found
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _ENV_LINE.match(line)
        if match and not line.lstrip().startswith("#"):
            found[match.group(1)] = match.group(2).strip("'\"")
    return found


# --- planning ---------------------------------------------------------------------------------


def plan(root: Path, source: Path, options: Options, runtime_modules: Iterable[str] = ()) -> Plan:
    """What adopting `source` into the workspace at `root` would do; raises AdoptError when
    `source` is no IXON workspace or app."""
    root, source = root.resolve(), source.resolve()
    if not source.is_dir():
        raise AdoptError(f"{source} is not a folder: give the folder of the app to adopt")
    if source == root:
        raise AdoptError("that is this workspace: give the folder of another app to adopt")
    if not (source / "functions").is_dir():
        raise AdoptError(
            f"{source} has no functions/ folder: give the folder of an IXON Cloud Function "
            "workspace or app repository (the one that holds functions/ and requirements.txt)"
        )
    result = Plan(source)
    removing = examples.state(root).unchanged if options.remove_examples else ()
    _copy_folder(root, result, "functions", options, removing)
    _copy_folder(root, result, "tests", options, removing)
    _merge_requirements(root, result)
    _merge_dev_requirements(root, result)
    _context_values(root, result, options)
    _settings(root, result)
    _ui_components(root, result, options)
    _examples(root, result, options)
    _left_behind(result)
    _review(root, result, frozenset(runtime_modules), options)
    result.existing = {relative for relative in result.writes if (root / relative).exists()}
    return result


def _replaceable(root: Path, relative: str, removing: Iterable[str]) -> bool:
    """Whether the workspace file `relative` may be overwritten without --force."""
    return relative in removing or examples.is_as_baked(root, relative)


def _put(
    root: Path,
    result: Plan,
    relative: str,
    data: bytes,
    options: Options,
    *,
    removing: Iterable[str] = (),
) -> bool:
    """Plan writing `data` to `relative`; False when it is already there as it is."""
    target = root / relative
    if target.is_file():
        if target.read_bytes() == data:
            return False
        if not options.force and not _replaceable(root, relative, removing):
            result.conflicts.append(relative)
    result.writes[relative] = data
    return True


def _copy_folder(
    root: Path, result: Plan, folder: str, options: Options, removing: Iterable[str]
) -> None:
    base = result.source / folder
    if not base.is_dir():
        return
    count, rewritten = 0, 0
    for path in _tree(base):
        relative = f"{folder}/{path.relative_to(base).as_posix()}"
        data = path.read_bytes()
        if options.rewrite_imports and path.suffix == ".py":
            text = data.decode("utf-8", errors="surrogateescape")
            new = legacy.rewrite(text)
            if new != text:
                data = new.encode("utf-8", errors="surrogateescape")
                rewritten += 1
        count += _put(root, result, relative, data, options, removing=removing)
    result.done.append(f"{folder}/: {count} file{'s' if count != 1 else ''} from the app")
    if rewritten:
        result.done.append(
            f"rewrote the ixoncdkingress 0.0.x imports of {rewritten} file"
            f"{'s' if rewritten != 1 else ''} for 1.x (CbcContext is now FunctionContext)"
        )


def _declaration(root: Path, lock: str) -> str:
    """Where the app's requirements go: the declaration of `lock` (`requirements.in` for
    `requirements.txt`), which the next `invoke setup` or `invoke lock` compiles into the lock;
    the lock itself in a workspace that has no declarations."""
    declared = lock.replace(".txt", ".in")
    return declared if (root / declared).is_file() else lock


def _merge_requirements(root: Path, result: Plan) -> None:
    theirs = _requirements(result.source / "requirements.txt")
    if not theirs:
        result.left.append("the app has no requirements.txt: the workspace's is kept as it is")
        return
    target = _declaration(root, "requirements.txt")
    path = root / target
    # The lock's pins too: an app pin the runtime's own pins contradict is not brought in.
    ours = _requirements(path) + _requirements(root / "requirements.txt")
    names = {name: line for name, line in ours if name}
    added = []
    for name, line in theirs:
        if name is None:
            if line and not line.startswith("#"):
                result.left.append(
                    f"requirements.txt of the app: {line!r} not brought in (IXON Cloud "
                    "installs only the listed requirements, each pinned with ==)"
                )
            continue
        if name == "ixoncdkingress":
            old = legacy.old_pin(result.source / "requirements.txt")
            if old:
                result.done.append(
                    f"requirements.txt: the app pinned ixoncdkingress=={old[1]} (0.0.x); the "
                    f"workspace keeps {names.get(name, 'its pin')}, the 1.x runtime"
                )
            elif name in names and names[name].replace(" ", "") != line.replace(" ", ""):
                result.left.append(
                    f"requirements.txt: the app pins {line}, the workspace {names[name]} (its "
                    "tooling is tested with that one): kept the workspace's; change it on "
                    "purpose if you need the other"
                )
            continue
        if name in names:
            if names[name].replace(" ", "") != line.replace(" ", ""):
                result.left.append(
                    f"requirements.txt: the app pins {line}, the workspace {names[name]}: "
                    "kept the workspace's"
                )
            continue
        added.append(line)
        names[name] = line
    if added:
        result.writes[target] = _with_lines_from_app(path, added, "")
        result.done.append(f"{target}: added {', '.join(added)}{_relock(target)}")


def _relock(target: str) -> str:
    return " (the next `invoke setup` or `invoke lock` locks it)" if target.endswith(".in") else ""


def _with_lines_from_app(path: Path, added: list[str], empty: str) -> bytes:
    """The requirements file at `path` (`empty` when there is none) with `added` at its end,
    under the line that says they came from the app."""
    text = path.read_text(encoding="utf-8") if path.is_file() else empty
    return (text.rstrip("\n") + "\n" + FROM_APP + "\n" + "\n".join(added) + "\n").encode("utf-8")


def _merge_dev_requirements(root: Path, result: Plan) -> None:
    source = next(
        (result.source / name for name in DEV_REQUIREMENTS if (result.source / name).is_file()),
        None,
    )
    if source is None:
        return
    target = _declaration(root, "requirements-dev.txt")
    path = root / target
    ours = [
        *_requirements(path),
        *_requirements(root / "requirements-dev.txt"),
        *_requirements(root / _declaration(root, "requirements.txt")),
        *_requirements(root / "requirements.txt"),
    ]
    for name, line in _requirements(result.source / "requirements.txt"):
        if name and name != "ixoncdkingress":
            ours.append((name, line))
    names = {name: line for name, line in ours if name}
    added = []
    for name, line in _requirements(source):
        if name is None or name == "ixoncdkingress":
            continue
        if name in names:
            if _pin(names[name]) and _pin(line) and _pin(names[name]) != _pin(line):
                result.left.append(
                    f"{source.name} of the app pins {line}, the workspace {names[name]}: "
                    f"kept the workspace's (change {target} if the tests need the "
                    "other)"
                )
            continue
        if not _pin(line):
            result.left.append(
                f"{target}: {line} is not pinned: pin it with == so every "
                "machine tests with the same version"
            )
        added.append(line)
        names[name] = line
    if added:
        empty = "-r requirements.in\n-c requirements.txt\n" if target.endswith(".in") else ""
        result.writes[target] = _with_lines_from_app(path, added, empty or "-r requirements.txt\n")
        result.done.append(
            f"{target}: added {', '.join(added)} (from the app's {source.name}){_relock(target)}"
        )


def _pin(line: str) -> str | None:
    found = re.search(r"==\s*([^\s;#]+)", line)
    return found.group(1) if found else None


def _context_values(root: Path, result: Plan, options: Options) -> None:
    present = [name for name in CONTEXT_FILES if (result.source / name).is_file()]
    if not present:
        return
    used = present[0]  # ixoncdkingress's order: YAML, then JSON, then the legacy file
    ignored = (
        f" ({', '.join(present[1:])} ignored, as ixoncdkingress ignores it)" if present[1:] else ""
    )
    target = "context_values.yaml"
    ours_path = root / target
    ours = ours_path.read_text(encoding="utf-8") if ours_path.is_file() else ""
    replace = not ours or options.force or examples.is_as_baked(root, target)
    if used == "context_values.yaml":
        theirs = (result.source / used).read_text(encoding="utf-8")
        if replace:
            _put(root, result, target, theirs.encode("utf-8"), Options(True, force=True))
        elif _yaml_keys(theirs) & _yaml_keys(ours):
            result.conflicts.append(target)
            return
        else:
            merged = ours.rstrip("\n") + "\n# from the adopted app\n" + theirs
            result.writes[target] = merged.encode("utf-8")
        result.done.append(f"{target}: the app's values{ignored}")
        return
    try:
        data = json.loads((result.source / used).read_text(encoding="utf-8"))
    except ValueError as error:
        result.left.append(
            f"{used} of the app is not valid JSON ({error}): move its values by hand"
        )
        return
    values = data.get("values") if used == "context_config.json" else data
    if not isinstance(values, dict):
        result.left.append(f"{used} of the app holds no values to move: nothing taken from it")
        return
    legacy_note = " (IXON's legacy file; its `values`)" if used == "context_config.json" else ""
    header = (
        "# Configuration values for local development: `context.config` in your functions.\n"
        "# IXON Cloud ignores this file: there the values are set per company in the IXON\n"
        f"# portal, and every value arrives as a string. Moved from the app's {used}.\n"
    )
    if replace:
        kept: set[str] = set()
        text = header
    else:
        kept = _yaml_keys(ours)
        text = ours.rstrip("\n") + f"\n# from the adopted app's {used}\n"
    clashes = sorted(kept & set(values))
    if clashes:
        result.left.append(
            f"{target}: kept the workspace's {', '.join(clashes)}; the app's {used} has "
            "other values for them"
        )
    text += "".join(
        f"{json.dumps(str(key))}: {json.dumps(value)}\n"
        for key, value in values.items()
        if key not in kept
    )
    result.writes[target] = text.encode("utf-8")
    result.done.append(f"{target}: the values of the app's {used}{legacy_note}{ignored}")


def _yaml_keys(text: str) -> set[str]:
    keys = set()
    for line in text.splitlines():
        match = _YAML_KEY.match(line)
        if match:
            keys.add(match.group(1).strip("\"'"))
    return keys


def _settings(root: Path, result: Plan) -> None:
    env = _env(result.source / ".env")
    if not env and not (result.source / ".accesstoken").exists():
        return
    settings = workspace_file.read(root)
    changed = {}
    for variable, key in (
        ("IXON_API_COMPANY_ID", "company_id"),
        ("IXON_API_TEMPLATE_ID", "template_id"),
    ):
        value = env.get(variable, "")
        if not value:
            continue
        current = str(settings.get(key) or "")
        if not current:
            changed[key] = value
        elif current != value:
            result.left.append(
                f"{workspace_file.FILE}: kept {key} {current}; the app's .env says {value}"
            )
    if changed:
        settings.update(changed)
        result.writes[workspace_file.FILE] = (json.dumps(settings, indent=2) + "\n").encode()
        result.done.append(f"{workspace_file.FILE}: {' and '.join(changed)} from the app's .env")
    ours = _env(root / ".env")
    carried = [
        f"{name}={value}"
        for name, value in env.items()
        if name.startswith("IXON_API_")
        and name not in ("IXON_API_COMPANY_ID", "IXON_API_TEMPLATE_ID", "IXON_API_ACCESS_TOKEN")
        and name not in ours
    ]
    if carried:
        path = root / ".env"
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        text = (text.rstrip("\n") + "\n" if text else "") + "\n".join(carried) + "\n"
        result.writes[".env"] = text.encode("utf-8")
        result.done.append(
            ".env: "
            + ", ".join(line.partition("=")[0] for line in carried)
            + " from the app's .env"
        )
    if "IXON_API_ACCESS_TOKEN" in env or (result.source / ".accesstoken").exists():
        result.left.append(
            "the app's access token was not copied: put it in .accesstoken (or the CI secret "
            "IXON_API_ACCESS_TOKEN) yourself"
        )


def _ui_components(root: Path, result: Plan, options: Options) -> None:
    components = result.source / "components"
    present = [name for name in UI_FILES if (result.source / name).is_file()]
    if not components.is_dir() and not present:
        return
    names = (
        sorted(path.name for path in components.iterdir() if path.is_dir())
        if components.is_dir()
        else []
    )
    if components.is_dir():
        for path in _tree(components):
            relative = f"components/{path.relative_to(components).as_posix()}"
            _put(root, result, relative, path.read_bytes(), options)
    copied = []
    for name in present:
        theirs = (result.source / name).read_bytes()
        ours = root / name
        if name == "cdk.config.json" and ours.is_file() and ours.read_bytes() != theirs:
            merged = _merge_cdk_config(ours, theirs, result)
            if merged is not None:
                result.writes[name] = merged
                copied.append(f"{name} (components merged)")
            continue
        if name != "cdk.config.json" and ours.is_file() and ours.read_bytes() != theirs:
            result.left.append(
                f"{name}: kept the workspace's; compare it with the app's and merge by hand"
            )
            continue
        if _put(root, result, name, theirs, options):
            copied.append(name)
    described = (
        [
            f"components/ ({len(names)} UI Component{'s' if len(names) != 1 else ''}: "
            f"{', '.join(names)})"
        ]
        if names
        else []
    )
    result.done.append("UI Components: " + ", ".join(described + copied))


def _merge_cdk_config(ours: Path, theirs: bytes, result: Plan) -> bytes | None:
    try:
        mine = json.loads(ours.read_text(encoding="utf-8"))
        other = json.loads(theirs)
        mine_components = mine.setdefault("components", {})
        for name, value in (other.get("components") or {}).items():
            if name in mine_components and mine_components[name] != value:
                result.left.append(f"cdk.config.json: kept the workspace's component {name}")
            else:
                mine_components[name] = value
    except (ValueError, AttributeError, TypeError):
        result.left.append("cdk.config.json: not merged (not the JSON expected); merge by hand")
        return None
    return (json.dumps(mine, indent=2) + "\n").encode("utf-8")


def _examples(root: Path, result: Plan, options: Options) -> None:
    state = examples.state(root)
    if not options.remove_examples:
        if state.unchanged:
            result.done.append(
                "kept the template's examples (`invoke remove-examples` removes them; a deploy "
                "refuses them unless --keep-examples)"
            )
        return
    removed = [path for path in state.unchanged if path not in result.writes]
    result.deletes += removed
    if removed:
        result.done.append(f"removed the template's examples: {', '.join(removed)}")
    if state.changed:
        result.left.append(
            f"kept the examples you changed: {', '.join(state.changed)} (delete them if unwanted)"
        )


def _left_behind(result: Plan) -> None:
    handled = {
        "functions",
        "tests",
        "components",
        ".env",
        "requirements.txt",
        *DEV_REQUIREMENTS,
        *CONTEXT_FILES,
        *UI_FILES,
    }
    behind = sorted(
        path.name + ("/" if path.is_dir() else "")
        for path in result.source.iterdir()
        if path.name not in handled and not path.name.startswith(".") and path.name not in SKIPPED
    )
    if behind:
        result.done.append(
            f"not brought in (the workspace's tasks and files replace them): {', '.join(behind)}"
        )


# --- reviewing the result -------------------------------------------------------------------


def _after(root: Path, result: Plan, folder: str) -> dict[str, bytes]:
    """The Python files under `folder` as they will be once the plan is applied."""
    found = (
        {
            path.relative_to(root).as_posix(): path.read_bytes()
            for path in (root / folder).rglob("*.py")
            if "__pycache__" not in path.parts
        }
        if (root / folder).is_dir()
        else {}
    )
    for relative in result.deletes:
        found.pop(relative, None)
    for relative, data in result.writes.items():
        if relative.startswith(folder + "/") and relative.endswith(".py"):
            found[relative] = data
    return dict(sorted(found.items()))


def _parse(data: bytes, shown: str) -> ast.AST | None:
    try:
        return ast.parse(data, filename=shown)
    except (SyntaxError, ValueError):
        return None


def _review(root: Path, result: Plan, runtime_modules: frozenset[str], options: Options) -> None:
    functions = _after(root, result, "functions")
    tests = _after(root, result, "tests")
    adopted = set(result.writes)
    old = []
    for relative, data in {**functions, **tests}.items():
        tree = _parse(data, relative)
        if tree is not None and relative in adopted:
            old += _old_imports(tree, relative)
    for found in old:
        result.left.append(
            found.describe() + " (`invoke adopt PATH --rewrite-imports` or "
            "`invoke rewrite-imports` rewrites them)"
        )
    for problem in import_world.problems({**functions, **tests}, runtime_modules):
        result.left.append(problem.describe())
    described = []
    for relative, data in functions.items():
        tree = _parse(data, relative)
        if tree is not None:
            described += [f"{relative}:{line}" for line in import_world.app_descriptions(tree)]
    clash = import_world.app_description_clash(described)
    if clash:
        result.left.append(clash)
    _review_tests(root, result, tests)
    grants = sorted(
        {name for relative, data in functions.items() for name in _api_names(data, relative)}
    )
    if grants:
        result.left.append(
            f"grant the function API access to {', '.join(grants)} (IXON Studio > Cloud "
            "Functions > the function > API Access): deployed, it cannot call them before"
        )
    result.left.append(
        "run `invoke test`, then `invoke lint` (`invoke format` fixes the formatting; the "
        "workspace's ruff rules may find more in the adopted code)"
    )


def _old_imports(tree: ast.AST, shown: str) -> list[legacy.OldImport]:
    return legacy.imports_of(tree, shown)


def _api_names(data: bytes, shown: str) -> list[str]:
    tree = _parse(data, shown)
    found = []
    for node in ast.walk(tree) if tree else ():
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in API_METHODS
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "api_client"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append(node.args[0].value)
    return found


def _review_tests(root: Path, result: Plan, tests: dict[str, bytes]) -> None:
    target = _declaration(root, "requirements-dev.txt")
    dev = result.writes.get(target)
    dev_text = (dev.decode("utf-8") if dev else _read(root / target)) + _read(
        root / "requirements-dev.txt"
    )
    installed = {_requirement_name(line) for line in dev_text.splitlines()}
    registered = _registered_markers(root)
    for relative, data in tests.items():
        if relative not in result.writes:
            continue
        tree = _parse(data, relative)
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
                        "`document_store` fixture (docs/testing.md: Tests that bring their own "
                        "MongoDB)"
                    )
            marker = _marker(node)
            if marker and marker not in PYTEST_MARKERS and marker not in registered:
                plugin = PLUGIN_MARKERS.get(marker)
                if plugin and plugin in installed:
                    continue
                brings = f"the plugin {plugin} brings it" if plugin else "no known plugin brings it"
                result.left.append(
                    f"{relative}:{node.lineno} uses the marker `{marker}` ({brings}), which "
                    f"--strict-markers refuses until a plugin in {target} provides it "
                    "or pyproject.toml registers it (docs/testing.md: Adding a pytest plugin)"
                )
                registered.add(marker)  # said once


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


# --- acting -------------------------------------------------------------------------------------


def check(result: Plan) -> None:
    """Refuse a plan that would overwrite files the user changed (unless --force)."""
    if result.conflicts:
        shown = ", ".join(result.conflicts[:5]) + (", ..." if len(result.conflicts) > 5 else "")
        raise AdoptError(
            f"adopting would overwrite {len(result.conflicts)} file(s) you changed: {shown}: "
            "move them aside, or run again with --force to overwrite them (--dry-run shows "
            "the whole plan); nothing was written"
        )


def apply(root: Path, result: Plan) -> None:
    """Write and delete what the plan says."""
    for relative, data in result.writes.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        files.write_atomic(target, data)
    for relative in result.deletes:
        (root / relative).unlink(missing_ok=True)


def adopt(root: Path, source: Path, options: Options, runtime_modules: Iterable[str] = ()) -> Plan:
    """Plan, check and (unless a dry run) apply; the plan, to be shown with `describe`."""
    result = plan(root, source, options, runtime_modules)
    if not options.dry_run:
        check(result)
        apply(root, result)
    return result


def describe(root: Path, result: Plan, *, dry_run: bool) -> list[str]:
    """What was done (or would be) and what is left, as `invoke adopt` prints it."""
    lines = [f"{'Would adopt' if dry_run else 'Adopted'} {result.source}:"]
    lines += [f"  {line}" for line in result.done]
    lines.append("Files:")
    lines += [
        f"  {'~' if relative in result.existing else '+'} {relative}" for relative in result.writes
    ]
    lines += [f"  - {relative}" for relative in result.deletes]
    if result.conflicts:
        lines.append(
            "Would overwrite files you changed (--force to do so): " + ", ".join(result.conflicts)
        )
    lines.append("Left to do:")
    lines += [f"  - {line}" for line in result.left]
    return lines
