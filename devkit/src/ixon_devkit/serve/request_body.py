"""Calls as IXON Cloud makes them: the JSON body it posts and the context it describes.

Used by the tests' fixtures, `invoke call` and `invoke serve`; standard library and PyYAML only.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ixon_devkit.errors import UserError
from ixon_devkit.workspace import root, workspace_file

ROOT = root.find()
CALL_CONTEXT_FILE = "call_context.yaml"
RESOURCE_NAMES = ("user", "company", "asset", "agent", "template")
#: The setting of `workspace.json` that gives every served call the company and agent of
#: `call_context.yaml` (`invoke serve --same-caller` for one run).
SAME_CALLER_KEY = "same_caller"
#: What that setting replaces in a call's context.
SHARED_RESOURCES = ("company", "agent")


class CallContextError(UserError):
    """`call_context.yaml` is missing or malformed; the message names the problem."""


def load_call_context(root: Path = ROOT) -> dict[str, Any]:
    """The calling context (user, company, asset, agent, template) from `call_context.yaml`."""
    import yaml  # noqa: PLC0415 - a development dependency, only needed here

    path = root / CALL_CONTEXT_FILE
    try:
        data = safe_yaml(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise CallContextError(f"{path} is missing: restore it from the template") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "it cannot be parsed"
        raise CallContextError(
            f"{path} is not valid YAML{where} ({problem}): fix it there, or restore it from "
            "the template"
        ) from None
    if not isinstance(data, dict):
        raise CallContextError(
            f"{path} must be a mapping with the keys user, company, asset and agent: "
            "restore it from the template"
        )
    for name, resource in data.items():
        if name in RESOURCE_NAMES and resource is not None:
            if not isinstance(resource, dict) or "publicId" not in resource:
                raise CallContextError(
                    f"{path}: `{name}` needs at least a publicId (and a name): add them, or "
                    f"delete `{name}` for a call without one"
                )
            resource.setdefault("name", resource["publicId"])
            resource.setdefault("custom", {})
    return data


def safe_yaml(text: str) -> Any:
    """`text` parsed as `yaml.safe_load` parses it, by libyaml where PyYAML has it (several
    times faster: serve's first call waits for it); malformed text is parsed again by PyYAML's
    own parser, whose error says more."""
    import yaml  # noqa: PLC0415 - a development dependency, only needed here

    if yaml.__with_libyaml__:
        with contextlib.suppress(yaml.YAMLError):
            return yaml.load(text, Loader=yaml.CSafeLoader)
    return yaml.safe_load(text)


def same_caller_setting(root: Path = ROOT) -> bool:
    """Whether `workspace.json` asks `invoke serve` to give every call the company and agent
    of `call_context.yaml` (`"same_caller": true`)."""
    value = workspace_file.read(root).get(SAME_CALLER_KEY, False)
    if not isinstance(value, bool):
        raise CallContextError(
            f'"{SAME_CALLER_KEY}" in {workspace_file.FILE} must be true or false, not '
            f"{json.dumps(value)}: fix it there"
        )
    return value


def with_shared_caller(context: dict[str, Any], call_context: dict[str, Any]) -> dict[str, Any]:
    """`context` (as a caller sent it: IXON's simulator, say) with the company and agent of
    `call_context` instead, so its calls see the data `invoke call` and the tests see. A
    resource `call_context` lacks is taken out; everything else stays as sent."""
    shared = dict(context)
    for name in SHARED_RESOURCES:
        if call_context.get(name) is not None:
            shared[name] = call_context[name]
        else:
            shared.pop(name, None)
    return shared


def request_body(
    name: str,
    arguments: dict[str, Any] | None = None,
    *,
    context: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON body IXON Cloud posts to call function `name` with `arguments`."""
    return {
        "name": name,
        "arguments": arguments or {},
        "context": context or {},
        "config": config or {},
        "created_on": datetime.now(UTC).isoformat(),
    }


def encode(body: dict[str, Any]) -> bytes:
    """The body as bytes on the wire."""
    return json.dumps(body).encode("utf-8")
