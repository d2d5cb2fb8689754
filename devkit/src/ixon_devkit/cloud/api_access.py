"""API access: the IXON API names a deployed function may call, and the names its code calls.

A deployed Cloud Function's own token can call only the IXON API resources granted to it in
IXON Studio (Cloud Functions > the function > API Access); locally, with your own token, every
call works. So `workspace.json` lists the discovery names granted (`"api_access": [...]`), and:

- `scan` finds the names the code calls: literal names in calls of the API client's `get`,
  `post`, `patch`, `put` and `delete` (`context.api_client.get("AgentList")`);
- `record_seen` / `read_seen` keep the names called at run time (tests, serve, call) in
  `.devkit/api-calls.json` (ignored by git);
- `report` sets both beside the list for `invoke api-access`;
- `check_before_deploy` refuses a deploy whose code calls names the list lacks, or names that
  are not on IXON's list of API names at all (`ixon_devkit.cloud.ixon_names`: a misspelt
  `AgentLst`).
"""

from __future__ import annotations

import ast
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ixon_devkit.cloud import ixon_names
from ixon_devkit.errors import UserError
from ixon_devkit.ui import columns
from ixon_devkit.workspace import files, workspace_file

KEY = "api_access"
SEEN_FILE = Path(".devkit") / "api-calls.json"
#: Set to 1 to let serve and tests call names that are not in the list (never in IXON Cloud).
ALLOW_UNLISTED = "IXON_API_ALLOW_UNLISTED"
METHODS = ("get", "post", "patch", "put", "delete")
#: A discovery name: letters and digits, starting with a letter (`AgentList`, `MyUser`).
NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,99}")
STUDIO = "IXON Studio > Cloud Functions > the function > API Access"
DEPLOY_OPTION = "--ignore-api-access"


class ApiAccessError(UserError):
    """The API access list is malformed, or a deploy would call names it lacks."""


@dataclass(frozen=True)
class Use:
    """One call of the API client in the code; `name` is None when it is not a literal."""

    name: str | None
    method: str
    path: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class Report:
    """What `invoke api-access` shows."""

    listed: list[str]
    in_code: dict[str, list[Use]]
    seen: dict[str, list[str]]
    dynamic: list[Use] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    @property
    def used(self) -> list[str]:
        """Every name the code calls or was seen calling."""
        return sorted(set(self.in_code) | set(self.seen))

    @property
    def missing(self) -> list[str]:
        """Names used but not in the list: calls IXON Cloud would refuse."""
        return [name for name in self.used if name not in self.listed]

    @property
    def unused(self) -> list[str]:
        """Names in the list that nothing calls."""
        return [name for name in self.listed if name not in self.used]


def not_listed_message(name: str) -> str:
    """The one line for a call of `name` that IXON Cloud would refuse."""
    return (
        f'IXON API access: {name} is not in "{KEY}" of {workspace_file.FILE}, so a deployed '
        f'function cannot call it: add "{name}" to "{KEY}" and grant it in {STUDIO} '
        f"(`invoke api-access` shows every name the code uses; {ALLOW_UNLISTED}=1 allows it "
        "locally)"
    )


def unlisted_allowed(environ: Mapping[str, str] | None = None) -> bool:
    """Whether IXON_API_ALLOW_UNLISTED switches the local check off."""
    environ = os.environ if environ is None else environ
    return environ.get(ALLOW_UNLISTED, "").strip().lower() in ("1", "true", "yes", "on")


def listed(root: Path) -> list[str]:
    """The names `workspace.json` grants (`"api_access"`), checked; [] when it has none."""
    try:
        value = workspace_file.read(root).get(KEY, [])
    except workspace_file.WorkspaceFileError as error:
        raise ApiAccessError(str(error)) from None
    shape = (
        f'"{KEY}" in {workspace_file.FILE} must be a list of IXON API discovery names, like '
        '["AgentList", "MyUser"]'
    )
    if not isinstance(value, list):
        raise ApiAccessError(f"{shape}: fix it")
    for item in value:
        if not isinstance(item, str) or not NAME.fullmatch(item):
            raise ApiAccessError(f"{shape}; {json.dumps(item)} is not one: fix it")
    return sorted(set(value))


def scan(root: Path) -> tuple[list[Use], list[str]]:
    """Every call of the API client under `functions/` (tests left out) and the files that
    could not be parsed."""
    uses: list[Use] = []
    unreadable: list[str] = []
    folder = root / "functions"
    for path in sorted(folder.rglob("*.py")) if folder.is_dir() else []:
        relative = path.relative_to(root).as_posix()
        if "__pycache__" in path.parts or _is_test(path.name):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8-sig"), filename=relative)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            unreadable.append(relative)
            continue
        uses.extend(_calls(tree, relative))
    return uses, unreadable


def uses_in(tree: ast.AST, path: str) -> list[Use]:
    """The calls of the API client in one parsed module (`path` names its file)."""
    return list(_calls(tree, path))


def is_test(name: str) -> bool:
    """Whether a file name is a test's (left out of the bundle)."""
    return _is_test(name)


def _is_test(name: str) -> bool:
    return name.startswith("test_") or name.endswith("_test.py")


def _calls(tree: ast.AST, path: str) -> Iterable[Use]:
    clients = _client_names(tree)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in METHODS or not _is_client(node.func.value, clients):
            continue
        argument = node.args[0] if node.args else None
        for keyword in node.keywords:
            if keyword.arg == "url_name":
                argument = keyword.value
        name = None
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            name = argument.value
        yield Use(name, node.func.attr, path, node.lineno)


def _is_client(node: ast.AST, clients: set[str]) -> bool:
    """`x.api_client`, or a name bound to one (`api = context.api_client`)."""
    if isinstance(node, ast.Attribute):
        return node.attr == "api_client"
    return isinstance(node, ast.Name) and node.id in clients


def _client_names(tree: ast.AST) -> set[str]:
    """Names the module binds to the API client: `api = context.api_client`, or parameters
    annotated `ApiClient`."""
    names = {"api_client"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_client(node.value, names):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.value is not None
            and _is_client(node.value, names)
        ):
            names.add(node.target.id)
        elif (
            isinstance(node, ast.arg)
            and node.annotation is not None
            and "ApiClient" in ast.unparse(node.annotation)
        ):
            names.add(node.arg)
    return names


def read_seen(root: Path) -> dict[str, list[str]]:
    """Names called at run time: name -> where (tests, serve, call); {} when none recorded."""
    try:
        data = json.loads((root / SEEN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    names = data.get("names") if isinstance(data, dict) else None
    if not isinstance(names, dict):
        return {}
    return {
        str(name): sorted(str(where) for where in places)
        for name, places in names.items()
        if isinstance(places, list) and NAME.fullmatch(str(name))
    }


def record_seen(root: Path, name: str, where: str) -> None:
    """Remember that `name` was called at run time in `where` (tests, serve or call)."""
    seen = read_seen(root)
    if where in seen.get(name, []):
        return
    seen[name] = sorted({*seen.get(name, []), where})
    path = root / SEEN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "about": "IXON API names called at run time, for `invoke api-access`; safe to delete",
        "names": dict(sorted(seen.items())),
    }
    files.write_atomic(path, json.dumps(document, indent=2) + "\n")


def report(root: Path) -> Report:
    """The names in the list, in the code and seen at run time."""
    uses, unreadable = scan(root)
    in_code: dict[str, list[Use]] = {}
    for use in uses:
        if use.name is not None:
            in_code.setdefault(use.name, []).append(use)
    return Report(
        listed=listed(root),
        in_code=in_code,
        seen=read_seen(root),
        dynamic=[use for use in uses if use.name is None],
        unreadable=unreadable,
    )


def describe(found: Report, root: Path) -> list[str]:
    """The lines `invoke api-access` prints."""
    settings = _workspace(root)
    lines = [f'IXON API names: used by the code and "{KEY}" of {workspace_file.FILE}', ""]
    rows = [("name", "in the code", "seen at run time", f"in {KEY}")]
    for name in sorted(set(found.used) | set(found.listed)):
        code = ", ".join(use.where for use in found.in_code.get(name, [])) or "-"
        seen = ", ".join(found.seen.get(name, [])) or "-"
        granted = "yes" if name in found.listed else "NO"
        if name in found.listed and name not in found.used:
            granted = "yes (unused)"
        rows.append((name, code, seen, granted))
    if len(rows) == 1:
        lines.append("  No IXON API calls found in functions/ and none seen at run time.")
    else:
        lines += columns.table(rows)
    lines.append("")
    function = settings.get("function_name") or "this Cloud Function"
    if found.used:
        lines.append(f"Grant in {STUDIO.replace('the function', str(function))}:")
        lines.append("  " + ", ".join(found.used))
    if found.missing:
        lines.append(
            f'Missing from "{KEY}" (IXON Cloud refuses these calls): '
            + ", ".join(found.missing)
            + f' -> add them to "{KEY}" in {workspace_file.FILE} and grant them'
        )
    if found.unused:
        lines.append(
            f'Granted but unused: {", ".join(found.unused)} -> remove them from "{KEY}" unless '
            "code you have not run yet needs them"
        )
    for use in found.dynamic:
        lines.append(
            f"Not a literal name: {use.method}(...) at {use.where} -> check by hand which names "
            "it calls (it is seen at run time once a test or serve calls it)"
        )
    for path in found.unreadable:
        lines.append(f"Not scanned: {path} does not parse -> fix it and run this again")
    lines += _unknown_lines(sorted(set(found.used) | set(found.listed)), root)
    wanted = sorted(set(found.used) | set(found.listed))
    if wanted:
        template = settings.get("template_id") or "<template ID>"
        company = settings.get("company_id") or "<company ID>"
        lines += [
            "",
            "To paste into a request to IXON (when you cannot grant API access yourself):",
            f'  Please grant the Cloud Function "{function}" (template {template}, company '
            f"{company}) API access to: {', '.join(wanted)}.",
        ]
    return lines


def _unknown_lines(names: list[str], root: Path) -> list[str]:
    known = ixon_names.load(root)
    unknown = ixon_names.unknown(names, known)
    if known is None or not unknown:
        return []
    return [
        "Not IXON API names ("
        + known.describe()
        + "): "
        + "; ".join(ixon_names.hint(name, close) for name, close in unknown.items())
        + " -> fix the spelling, or `invoke api-access --refresh` if IXON added them since"
    ]


def _workspace(root: Path) -> dict[str, object]:
    try:
        return workspace_file.read(root)
    except workspace_file.WorkspaceFileError:
        return {}


def unknown_refusal(root: Path, found: Report | None = None) -> str | None:
    """The names the code calls or the list grants that are not on IXON's list of API names
    (`ixon_devkit.cloud.ixon_names`: most likely misspelt), with the closest names; or None."""
    found = found or report(root)
    known = ixon_names.load(root)
    unknown = ixon_names.unknown(sorted(set(found.in_code) | set(found.listed)), known)
    if not unknown or known is None:
        return None
    where = "; ".join(
        ixon_names.hint(name, close)
        + (
            f" at {', '.join(use.where for use in found.in_code[name])}"
            if name in found.in_code
            else f' in "{KEY}"'
        )
        for name, close in unknown.items()
    )
    return (
        f"not IXON API names ({known.describe()}): {where}; IXON would answer 404 in "
        "production: fix the spelling (or `invoke api-access --refresh` if IXON added them "
        "since)"
    )


def refusal(root: Path) -> str | None:
    """Why `invoke deploy` refuses the code (names that are not IXON's, or that the list
    lacks), or None. `invoke doctor` shows the same words."""
    found = report(root)
    unknown = unknown_refusal(root, found)
    if unknown is not None:
        return f"{unknown} ({DEPLOY_OPTION} deploys anyway)"
    missing_in_code = [name for name in found.in_code if name not in found.listed]
    if not missing_in_code:
        return None
    return (
        f'the code calls IXON API names that "{KEY}" of {workspace_file.FILE} does not list: '
        f"{_where(found, missing_in_code)}; a deployed function cannot call them until they "
        f'are granted: add them to "{KEY}", grant them in {STUDIO} and deploy again '
        f"(`invoke api-access` shows the details; {DEPLOY_OPTION} deploys anyway)"
    )


def _where(found: Report, names: Iterable[str]) -> str:
    return "; ".join(
        f"{name} ({', '.join(use.where for use in found.in_code[name])})" for name in sorted(names)
    )


def check_before_deploy(
    root: Path, *, skip: bool = False, warn: Callable[[str], None] = print
) -> None:
    """Refuse (ApiAccessError) when the code calls names the list lacks; warn about names
    seen at run time but not listed, and when `skip` says to go on anyway."""
    found = report(root)
    seen_only = [name for name in found.missing if name not in found.in_code]
    if seen_only:
        warn(
            f'WARNING: IXON API names called at run time but not in "{KEY}": '
            f"{', '.join(seen_only)} (from {SEEN_FILE.as_posix()}): add them if the "
            "deployed function calls them"
        )
    refused = refusal(root)
    if refused is None:
        return
    if skip:
        unknown = unknown_refusal(root, found)
        if unknown is not None:
            warn(f"WARNING: {DEPLOY_OPTION}: deploying code with {unknown}")
        missing_in_code = [name for name in found.in_code if name not in found.listed]
        warn(
            f'WARNING: {DEPLOY_OPTION}: deploying code that calls IXON API names not in "{KEY}": '
            f"{_where(found, missing_in_code)}; IXON Cloud refuses those calls until they are "
            f"granted in {STUDIO}"
        )
        return
    raise ApiAccessError(refused)


def granted_names(root: Path) -> list[str]:
    """The names the deployed function needs granted: those the code calls and those seen at
    run time (tests, serve), as deploy's summary names them."""
    return report(root).used


def used_names(root: Path) -> list[str]:
    """The literal discovery names the code under `functions/` calls (for `invoke doctor`)."""
    uses, _unreadable = scan(root)
    return sorted({use.name for use in uses if use.name is not None})
