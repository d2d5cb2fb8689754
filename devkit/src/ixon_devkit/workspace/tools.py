"""The tools IXON's AI agent would see, and why a tool is not ready for it.

A function marked `@FunctionContext.expose(is_agentic=True, ...)` is offered to the agent as a
tool. IXON Cloud asks the function for its tools with the special call `list-agent-tools`
and leaves out those that are not ready (`list-agent-tools-issues` says why). This module asks
ixoncdkingress's own code the same questions and says the answers in plain words, adding the
mistakes ixoncdkingress accepts but that fail when the agent calls the tool.

`python -m ixon_devkit.workspace.tools [--strict] [--json]` runs in a subprocess (it imports
the user's code and ixoncdkingress); `invoke tools` runs it. `deploy_warnings()` is for the
tasks' own process and imports nothing of the user's.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import inspect
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

from ixon_devkit.errors import UserError, main_wrapper
from ixon_devkit.workspace import root

ROOT = root.find()


class ToolsNotReadyError(UserError):
    """`invoke tools --strict` found a tool that is not ready."""


#: Plain words for the issue types of ixoncdkingress's `list-agent-tools-issues`.
ISSUE_WORDS = {
    "description_missing": (
        "no description: give the function a docstring or pass description=... to "
        "@FunctionContext.expose"
    ),
    "input_schema_generation_error": (
        "a parameter's type gives no JSON schema: use str, int, float, bool, lists or dicts "
        "of those, or a pydantic model (or pass input_schema=...)"
    ),
    "output_schema_generation_error": (
        "the return type gives no JSON schema, so the agent is not told what comes back: "
        "return a TypedDict, plain types, or pass output_schema=..."
    ),
}
_UNKNOWN_TYPE = re.compile(r"schema for (?:<class '([\w.]+)'>|([^\s.]+))")


# --- runs in the workspace's environment (needs ixoncdkingress) ---------------------------


def collect(root: Path = ROOT) -> dict[str, Any]:
    """Ask ixoncdkingress which tools the agent sees, which not and why, for `root/functions`.

    Answers `{"app": {...}, "tools": [...], "modules": [...]}`: every agentic tool with
    `ready`, `problems` (why it is hidden from the agent) and `warnings` (it is offered,
    but something will go wrong), and every module that does not import.
    """
    from ixoncdkingress.function import caller  # noqa: PLC0415 - only in the environment

    from ixon_devkit.serve import ingress  # noqa: PLC0415
    from ixon_devkit.workspace import modules as runtime  # noqa: PLC0415

    loaded = runtime.loaded_by_runtime()  # before any module of functions/ is imported
    ingress.enter_import_world(root)  # modules resolve as in IXON Cloud
    cbc_path = str(root / "functions")
    lists = (caller.list_agent_tools, caller.list_agent_tools_issues, caller.get_app_description)
    for cached in lists:
        cached.cache_clear()  # they are cached per folder: a second run must look again
    with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
        warnings.simplefilter("ignore")  # import failures come back as issues, said below
        offered = caller.list_agent_tools(cbc_path)["data"]
        hidden = caller.list_agent_tools_issues(cbc_path)["data"]
        app = caller.get_app_description(cbc_path)["data"]
    tools = [_tool(definition, ready=True) for definition in offered]
    modules = []
    for entry in hidden:
        if "module_name" in entry:
            modules.append({"module": entry["module_name"], "problem": _first_line(entry["error"])})
        else:
            tools.append(_tool(entry, ready=False))
    tools.sort(key=lambda tool: tool["name"])
    code = _code_problems(root, loaded)
    clash = next((line for line in code if line.startswith("AppDescription ")), "")
    for module in modules:
        if clash and "App description already created" in module["problem"]:
            module["problem"] += f" ({clash.partition(':')[0]}...: see above)"
    return {"app": dict(app), "tools": tools, "modules": modules, "code": code}


def _code_problems(root: Path, loaded: list[str]) -> list[str]:
    """What keeps modules from importing that the code itself shows: imports of
    ixoncdkingress 0.0.x, imports and called names IXON's resolution cannot take to your code,
    and more than one module creating an AppDescription."""
    from ixon_devkit.workspace import (  # noqa: PLC0415
        import_world,
        legacy,
    )

    found = [old.describe() for old in legacy.find(root, ("functions",))]
    places = []
    for path in legacy.python_files(root, ("functions",)):
        shown = path.relative_to(root).as_posix()
        try:
            tree = ast.parse(path.read_bytes(), filename=shown)
        except (SyntaxError, ValueError):
            continue
        places += [f"{shown}:{line}" for line in import_world.app_descriptions(tree)]
    clash = import_world.app_description_clash(places)
    found += [problem.describe() for problem in import_world.workspace_problems(root, loaded)]
    return found + ([clash] if clash else [])


def _tool(definition: dict[str, Any], *, ready: bool) -> dict[str, Any]:
    function = _function(definition["name"])
    problems, warned = [], []
    for issue in definition.get("issues") or []:
        words = _issue_words(issue, function)
        if issue["type"] == "output_schema_generation_error":
            warned.append(words)
        else:
            problems.append(words)
    if function is not None:
        warned += _call_warnings(function)
    description = (definition.get("description") or "").strip()
    return {
        "name": definition["name"],
        "ready": ready,
        "summary": _summary(description),
        "requires_human_permission": bool(definition.get("requires_human_permission")),
        "problems": problems,
        "warnings": warned,
    }


def _function(name: str) -> Any:
    """The function behind tool `module.function`, imported the way ixoncdkingress did."""
    module_name, _, function_name = name.rpartition(".")
    module = sys.modules.get(module_name)
    return getattr(module, function_name, None) if module else None


def _issue_words(issue: dict[str, Any], function: Any) -> str:
    words = ISSUE_WORDS.get(issue["type"], f"{issue['type']}: {_first_line(issue['error'])}")
    if issue["type"] == "input_schema_generation_error" and function is not None:
        parameters = _parameters_without_schema(function)
        if parameters:
            named = ", ".join(f"`{name}` (type {kind})" for name, kind in parameters)
            words = words.replace("a parameter's type", f"parameter {named}", 1)
    elif issue["type"] == "output_schema_generation_error":
        found = _UNKNOWN_TYPE.search(issue.get("error", ""))
        if found:
            kind = (found.group(1) or found.group(2)).rpartition(".")[2]
            words = words.replace("the return type", f"the return type {kind}", 1)
    return words


def _parameters_without_schema(function: Any) -> list[tuple[str, str]]:
    """The parameters whose type hint pydantic cannot describe, with the type's name."""
    from typing import get_type_hints  # noqa: PLC0415

    from ixoncdkingress.function.context import FunctionContext  # noqa: PLC0415
    from pydantic import TypeAdapter  # noqa: PLC0415

    try:
        hints = get_type_hints(function, include_extras=True)
    except Exception:  # a hint that does not resolve: nothing to name
        return []
    found = []
    for name in inspect.signature(function).parameters:
        hint = hints.get(name)
        if hint is None or hint is FunctionContext or name.startswith("_"):
            continue
        try:
            TypeAdapter(hint).json_schema()
        except Exception:  # any failure means no schema
            found.append((name, getattr(hint, "__name__", repr(hint))))
    return found


def _call_warnings(function: Any) -> list[str]:
    """Mistakes ixoncdkingress accepts in a tool that make the agent's calls fail."""
    from pydantic import BaseModel  # noqa: PLC0415

    try:
        signature = inspect.signature(function, eval_str=True)
    except Exception:  # a hint that does not resolve: ixoncdkingress said so
        return []
    found = []
    parameters = list(signature.parameters.values())[1:]
    for parameter in parameters:
        if parameter.annotation is inspect.Parameter.empty and parameter.kind not in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        ):
            found.append(
                f"parameter `{parameter.name}` has no type hint: the agent is not told about "
                "it and ixoncdkingress does not pass it on (add a type hint)"
            )
    returned = signature.return_annotation
    # A decorator between @expose and the function (functools.wraps) may turn what the
    # function returns into JSON: then its annotation says nothing about what is sent.
    wrapped = hasattr(function, "__wrapped__")
    if not wrapped and inspect.isclass(returned) and issubclass(returned, BaseModel):
        found.append(
            f"it returns a pydantic model ({returned.__name__}), which ixoncdkingress cannot "
            "send as JSON (the call fails): return a TypedDict or model.model_dump(mode='json')"
        )
    return found


def _summary(description: str) -> str:
    """The description's first sentence, for a one-line listing."""
    first = description.splitlines()[0] if description else ""
    sentence, dot, _ = first.partition(". ")
    return sentence + dot.strip() if len(first) > 90 else first


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else "(no message)"


def not_ready(report: dict[str, Any]) -> str:
    """What keeps tools from the agent, counted in words; empty when nothing does."""
    tools = sum(not tool["ready"] for tool in report["tools"])
    modules = len(report["modules"])
    parts = []
    if tools:
        parts.append(f"{tools} tool{'s' if tools > 1 else ''} not ready for IXON's AI agent")
    if modules:
        parts.append(f"{modules} module{'s that do' if modules > 1 else ' that does'} not import")
    return " and ".join(parts)


def render(report: dict[str, Any]) -> str:
    """The report as people read it."""
    lines = []
    app = report["app"]
    if app.get("shortName") or app.get("description"):
        lines.append(f"App description: {app.get('shortName') or '(no short name)'}: ")
        lines[-1] += _first_line(app.get("description") or "(no description)")
    else:
        lines.append(
            "No app description: create AppDescription(short_name=..., description=...) "
            "from ixoncdkingress.types in a function module, so the agent knows the app"
        )
    lines += [f"Problem: {line}" for line in report.get("code", [])]
    ready = [tool for tool in report["tools"] if tool["ready"]]
    hidden = [tool for tool in report["tools"] if not tool["ready"]]
    if not report["tools"] and not report["modules"]:
        lines.append(
            "No agentic tools: expose a function with @FunctionContext.expose(is_agentic=True, "
            "description=...) to offer it to IXON's AI agent"
        )
        return "\n".join(lines)
    if ready:
        lines.append(f"Tools the agent sees ({len(ready)}):")
        for tool in ready:
            asks = " [asks the user first]" if tool["requires_human_permission"] else ""
            lines.append(f"  {tool['name']}{asks}: {tool['summary']}")
            lines += [f"    warning: {warning}" for warning in tool["warnings"]]
    if hidden:
        lines.append(f"Not ready, hidden from the agent ({len(hidden)}):")
        for tool in hidden:
            lines.append(f"  {tool['name']}")
            lines += [f"    - {problem}" for problem in tool["problems"]]
            lines += [f"    warning: {warning}" for warning in tool["warnings"]]
    if report["modules"]:
        count = len(report["modules"])
        lines.append(f"Modules that do not import, so none of their functions work ({count}):")
        for module in report["modules"]:
            lines.append(f"  {module['module']}: {module['problem']}")
    return "\n".join(lines)


@main_wrapper
def main(argv: list[str] | None = None) -> int:
    """`python -m ixon_devkit.workspace.tools`: print the report; --strict fails on a tool
    not ready."""
    parser = argparse.ArgumentParser(
        prog="python -m ixon_devkit.workspace.tools", description=__doc__
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a tool is not ready")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    options = parser.parse_args(argv)
    report = collect(ROOT)
    if options.json:
        print(json.dumps(report, indent=2))
        return 0
    print(render(report))
    problems = not_ready(report)
    if not problems:
        return 0
    message = f"{problems}: fix the problems listed above"
    if options.strict:
        raise ToolsNotReadyError(message)
    print(f"Note: {message}; `invoke tools --strict` fails on this")
    return 0


# --- runs in the tasks' own process (imports nothing of the user's) -------------------------


def deploy_warnings(root: Path, python: Path | str, timeout: float = 120) -> list[str]:
    """One line per agentic tool that is not ready, for `invoke deploy` to warn with.

    `python` is the workspace environment's interpreter (`Environment.python`). Never raises:
    when the check itself cannot run, the one line returned says so. Empty when all is well.
    """
    try:
        result = subprocess.run(
            [str(python), "-m", "ixon_devkit.workspace.tools", "--json"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        report = json.loads(result.stdout) if result.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError):
        report = None
    if report is None:
        return ["the agentic tools could not be checked: run `invoke tools` to see why"]
    found = [
        f"tool {tool['name']} is not ready for IXON's AI agent: {'; '.join(tool['problems'])}"
        for tool in report["tools"]
        if not tool["ready"]
    ]
    found += [
        f"tool {tool['name']}: {warning}"
        for tool in report["tools"]
        for warning in tool["warnings"]
    ]
    found += [
        f"module {module['module']} does not import: {module['problem']}"
        for module in report["modules"]
    ]
    found += report.get("code", [])
    if found:
        found.append("run `invoke tools` for details")
    return found


if __name__ == "__main__":
    sys.exit(main())
