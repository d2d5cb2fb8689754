"""Deploy targets: where a deploy goes (company, Cloud Function template, UI Component
templates), by name, from `workspace.json`.

A baked workspace has one implicit target: `company_id`, `template_id` and the `template_id`
of each entry of `ui_components`, at the top of `workspace.json`. A workspace that deploys to
more than one place names them under `targets`, one of them the `default_target`:

    "targets": {
      "test": {"company_id": "...", "template_id": "...",
               "ui_components": {"status-panel": {"template_id": "..."}}},
      "production": {"company_id": "...", "template_id": "..."}
    },
    "default_target": "test"

A key a target leaves out comes from the top of the file. `invoke deploy --target NAME` and
`invoke doctor --target NAME` pick one; the environment (`IXON_API_COMPANY_ID`, ...) and `.env`
still override the chosen target's values for one run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ixon_devkit.errors import UserError
from ixon_devkit.workspace import workspace_file

TARGETS = "targets"
DEFAULT = "default_target"
#: A target's name: lower case, digits, `-` and `_` (it appears in commands and records).
NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")
#: The keys a target sets (the rest of `workspace.json` is the same for every target).
KEYS = ("company_id", "template_id")


class TargetError(UserError):
    """The targets of `workspace.json`, or the one asked for, cannot be used; the message says
    what to fix."""


@dataclass(frozen=True)
class Target:
    """One place to deploy to. `name` is "" for the implicit target of a workspace without
    `targets`."""

    name: str
    company_id: str
    template_id: str
    ui_template_ids: dict[str, str] = field(default_factory=dict)
    #: Where each value came from, as messages name it: `workspace.json targets.test.company_id`.
    sources: dict[str, str] = field(default_factory=dict)

    def shown(self) -> str:
        """The target as messages name it."""
        return f"target {self.name}" if self.name else "the workspace's company and template"


def named(workspace: Mapping[str, object]) -> dict[str, dict[str, object]]:
    """The named targets of `workspace.json` ({} for a workspace with the implicit one only)."""
    listed = workspace.get(TARGETS)
    if listed is None:
        return {}
    if not isinstance(listed, dict) or not all(isinstance(v, dict) for v in listed.values()):
        raise TargetError(
            f'"{TARGETS}" in {workspace_file.FILE} must map each target\'s name to an object '
            'like {"company_id": "...", "template_id": "..."}: fix it'
        )
    for name in listed:
        if not NAME.fullmatch(name):
            raise TargetError(
                f"target name {json.dumps(name)} in {workspace_file.FILE} is not valid: expected "
                "lower-case letters, digits, - and _, starting with a letter, like production"
            )
    return listed


def default_name(workspace: Mapping[str, object]) -> str:
    """The target a deploy goes to without `--target` ("" for the implicit one)."""
    listed = named(workspace)
    if not listed:
        return ""
    default = workspace.get(DEFAULT)
    if default is None and len(listed) == 1:
        return next(iter(listed))
    if default not in listed:
        raise TargetError(
            f'"{DEFAULT}" in {workspace_file.FILE} must name one of the targets '
            f"({', '.join(listed)}), the one a deploy without --target goes to: set it"
        )
    return str(default)


def choose(workspace: Mapping[str, object], name: str | None = None) -> Target:
    """The target `name` (the default one when empty or None), checked."""
    listed = named(workspace)
    wanted = name or default_name(workspace)
    if wanted and wanted not in listed:
        known = ", ".join(listed) or f'none: {workspace_file.FILE} has no "{TARGETS}"'
        raise TargetError(f"no deploy target named {wanted}; the targets are: {known}")
    entry = listed.get(wanted, {}) if wanted else {}
    values, sources = {}, {}
    for key in KEYS:
        if str(entry.get(key) or "").strip():
            values[key] = str(entry[key]).strip()
            sources[key] = f"{workspace_file.FILE} {TARGETS}.{wanted}.{key}"
        else:
            values[key] = str(workspace.get(key) or "").strip()
            sources[key] = f"{workspace_file.FILE} {key}"
    ui_ids = _ui_ids(entry, wanted)
    own = workspace.get("ui_components")
    unknown = sorted(set(ui_ids) - set(own if isinstance(own, dict) else {}))
    if unknown:
        # A deploy would leave them out without a word: say so before anything is deployed.
        have = ", ".join(own) if isinstance(own, dict) and own else "none"
        raise TargetError(
            f'target {wanted} names UI Component {", ".join(unknown)} in its "ui_components", '
            f'which {workspace_file.FILE}\'s "ui_components" does not have (it has: {have}): '
            "correct the name, or remove it from the target"
        )
    return Target(wanted, values["company_id"], values["template_id"], ui_ids, sources)


def every(workspace: Mapping[str, object]) -> list[Target]:
    """Every target, the default one first (the implicit one alone when none is named)."""
    first = default_name(workspace)
    return [choose(workspace, first)] + [
        choose(workspace, name) for name in named(workspace) if name != first
    ]


def view(workspace: Mapping[str, object], target: Target) -> dict[str, object]:
    """`workspace.json` as the target sees it: its company, template and UI Component
    template IDs at the top, where the tools read them."""
    merged = dict(workspace)
    merged["company_id"] = target.company_id
    merged["template_id"] = target.template_id
    components = workspace.get("ui_components")
    if isinstance(components, dict):
        # Only the workspace's own components: a target names their templates, not new ones.
        merged["ui_components"] = {
            str(name): {
                **(entry if isinstance(entry, dict) else {}),
                **(
                    {"template_id": target.ui_template_ids[name]}
                    if name in target.ui_template_ids
                    else {}
                ),
            }
            for name, entry in components.items()
        }
    return merged


def _ui_ids(entry: Mapping[str, object], name: str) -> dict[str, str]:
    components = entry.get("ui_components")
    if components is None:
        return {}
    if not isinstance(components, dict) or not all(
        isinstance(value, dict) for value in components.values()
    ):
        raise TargetError(
            f'"ui_components" of target {name} in {workspace_file.FILE} must map each UI '
            'Component to {"template_id": "..."}: fix it'
        )
    return {
        str(component): str(value.get("template_id") or "").strip()
        for component, value in components.items()
        if str(value.get("template_id") or "").strip()
    }
