"""The workspace's UI Components: which there are, and adding one (at bake time or later).

IXON's component SDK (npm packages `@ixon-cdk/*`) reads `cdk.config.json`; each component lives
in `components/<name>/` with its `manifest.json` and `icon.svg`, and is deployed to its own
page-component-template ID, kept per component in `workspace.json` (`ui_components`).
The bake and `invoke new-component` both use `add`, so a component added later is the same as
one baked in.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ixon_devkit.errors import UserError
from ixon_devkit.serve import served
from ixon_devkit.workspace import examples, ids, workspace_file
from ixon_devkit.workspace import files as atomic

#: A component name: IXON's custom element tag is `<prefix>-<name>`, so lower case, digits and
#: dashes, starting with a letter.
NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
MAX_NAME = 40
TEMPLATE_ID = ids.PUBLIC_ID
PREFIX = "app"
CONFIG_FILE = "cdk.config.json"
PACKAGE_FILE = "package.json"
LOCK_FILE = "package-lock.json"
WORKSPACE_FILE = "workspace.json"
COMPONENT_ROOT = "components"
BUILDER = "@ixon-cdk/svelte-builder:browser"
TEMPLATE_FOLDER = Path(__file__).resolve().parent / "ui_template"
#: The template's example functions that its demo component calls.
DEMO_CALLS = ("example.greet", "notes.recent", "notes.add")
#: What a new component calls while nothing in functions/ is exposed.
PLACEHOLDER = "your_module.your_function"
#: Names the simulator or the builder would trip over (`dist/<name>`, the SDK's own words).
TAKEN = frozenset({"dist", "node-modules", "components", "simulator", "runner", "core"})


class ComponentError(UserError):
    """A component name, template ID or the SDK's configuration is not usable; the message
    says what to do."""


@dataclass(frozen=True)
class Component:
    """One UI Component as `cdk.config.json` and `workspace.json` describe it."""

    name: str
    tag: str
    folder: Path
    template_id: str

    @property
    def main(self) -> str:
        """The built script's file name, as `manifest.json` must name it."""
        return f"{self.tag}.min.js"


def template_variable(name: str) -> str:
    """The environment variable (or `.env` line) that overrides a component's template ID."""
    return "IXON_UI_TEMPLATE_ID_" + name.upper().replace("-", "_")


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a component name, or None when it can."""
    if not NAME.fullmatch(name) or len(name) > MAX_NAME:
        return (
            f"component name {json.dumps(name)} is not valid: expected lower-case letters, "
            f"digits and dashes, starting with a letter (at most {MAX_NAME} characters), "
            "like status-panel"
        )
    if name in TAKEN:
        return f"component name {json.dumps(name)} is taken by the SDK's own folders: pick another"
    return None


def template_id_problem(template_id: str) -> str | None:
    """Why `template_id` cannot be a page-component-template ID (empty is fine: fill in later)."""
    if template_id and not TEMPLATE_ID.fullmatch(template_id):
        return (
            f"UI Component template ID {json.dumps(template_id)} is not valid: expected 12 "
            "letters or digits like PcT0000000A1 (IXON Studio > UI Components), or empty to "
            "fill in later"
        )
    return None


def _read_json(path: Path, what: str) -> dict:
    return workspace_file.read_object(path, ComponentError, what)


def _dump(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def has_components(root: Path) -> bool:
    """Whether the workspace has the UI half (a `cdk.config.json` naming a component)."""
    return (root / CONFIG_FILE).exists() and bool(listed(root))


def component_root(root: Path) -> str:
    """The folder of the UI Components, relative to `root` (`newComponentRoot` of
    `cdk.config.json`, else `components`)."""
    config = _read_json(root / CONFIG_FILE, "the SDK's configuration")
    return str(config.get("newComponentRoot") or COMPONENT_ROOT)


def listed(root: Path) -> list[Component]:
    """The workspace's UI Components in name order ([] without `cdk.config.json`)."""
    config = _read_json(root / CONFIG_FILE, "the SDK's configuration")
    prefix = config.get("prefix") or ""
    folder = root / component_root(root)
    settings = _read_json(root / WORKSPACE_FILE, "the workspace settings").get("ui_components")
    settings = settings if isinstance(settings, dict) else {}
    components = []
    for name in sorted(config.get("components") or {}):
        entry = settings.get(name) if isinstance(settings.get(name), dict) else {}
        components.append(
            Component(
                name=name,
                tag=f"{prefix}-{name}" if prefix else name,
                folder=folder / name,
                template_id=str(entry.get("template_id") or ""),
            )
        )
    return components


def _render(file_name: str, **values: str) -> str:
    text = (TEMPLATE_FOLDER / file_name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"__{key}__", value)
    return text


def source(root: Path, name: str, tag: str) -> str:
    """The new component's `.svelte` source: it calls a function of yours when functions/
    exposes one (one that needs no arguments first), else the template's demo of its example
    functions while they are all served, else one of the examples, else a placeholder name
    that `invoke doctor` and `invoke deploy` refuse until it is changed."""
    found = served.read(root)
    baked = set(examples.state(root).unchanged)
    own = [f for f in found.functions if f.where.partition(":")[0] not in baked]
    helpers = _render("answered.js").rstrip("\n")
    if not own and all(found.serves(call) for call in DEMO_CALLS):
        return _render("component.svelte", NAME=name, TAG=tag, HELPERS=helpers)
    candidates = own or list(found.functions)
    if not candidates:
        note = (
            f"  // TODO: {PLACEHOLDER} is a placeholder: nothing in functions/ is exposed yet.\n"
            "  // `invoke new NAME` adds functions/NAME.py with NAME.hello: call that here."
        )
        return _render(
            "component_call.svelte", NOTE=note, CALL=PLACEHOLDER, ARGUMENTS="{}", HELPERS=helpers
        )
    chosen = min(candidates, key=lambda function: bool(function.required))
    whose = "a function of yours" if own else "one of the template's examples: call your own"
    note = f"  // It calls {chosen.name} ({chosen.where}), {whose}."
    arguments = "{}"
    if chosen.required:
        arguments = "{ " + ", ".join(f"{parameter}: null" for parameter in chosen.required) + " }"
        note += (
            f"\n  // TODO: give it its arguments ({', '.join(chosen.required)}) in place of null."
        )
    return _render(
        "component_call.svelte", NOTE=note, CALL=chosen.name, ARGUMENTS=arguments, HELPERS=helpers
    )


def _package_files(slug: str) -> dict[str, str]:
    """`package.json` and its lock file, named after the workspace."""
    package = json.loads(_render("package.json", SLUG=slug))
    lock = json.loads(_render("package-lock.json", SLUG=slug))
    return {PACKAGE_FILE: _dump(package), LOCK_FILE: _dump(lock)}


def plan(root: Path, name: str, template_id: str = "", slug: str = "") -> dict[str, str]:
    """The files `add` writes (relative path -> text), after checking everything.

    Nothing is written here, so a refused name leaves the workspace untouched.
    """
    problems = [p for p in (name_problem(name), template_id_problem(template_id)) if p]
    if problems:
        raise ComponentError(problems[0])
    config = _read_json(root / CONFIG_FILE, "the SDK's configuration") or {
        "$schema": "./node_modules/@ixon-cdk/core/config/schema.json",
        "prefix": PREFIX,
        "components": {},
    }
    workspace = _read_json(root / WORKSPACE_FILE, "the workspace settings")
    components = config.setdefault("components", {})
    if not isinstance(components, dict):
        raise ComponentError(f'{CONFIG_FILE}: "components" must be an object: fix it')
    folder_name = str(config.get("newComponentRoot") or COMPONENT_ROOT)
    if name in components or (root / folder_name / name).exists():
        raise ComponentError(
            f"a UI Component named {name} already exists ({folder_name}/{name}): pick another name"
        )
    prefix = config.get("prefix") or ""
    tag = f"{prefix}-{name}" if prefix else name
    components[name] = {"runner": {"build": {"builder": BUILDER, "input": f"{name}.svelte"}}}
    settings = workspace.get("ui_components")
    if not isinstance(settings, dict):
        settings = {}
    settings[name] = {"template_id": template_id}
    workspace["ui_components"] = dict(sorted(settings.items()))
    files = {
        f"{folder_name}/{name}/{name}.svelte": source(root, name, tag),
        f"{folder_name}/{name}/manifest.json": _render(
            "manifest.template.json", NAME=name, TAG=tag
        ),
        f"{folder_name}/{name}/icon.svg": _render("icon.svg"),
        CONFIG_FILE: _dump(config),
        WORKSPACE_FILE: _dump(workspace),
    }
    if not (root / PACKAGE_FILE).exists():
        files.update(_package_files(slug or str(workspace.get("function_slug") or root.name)))
    return files


def add(root: Path, name: str, template_id: str = "", slug: str = "") -> list[str]:
    """Add the UI Component `name` to the workspace at `root`; the files written, in order.

    A workspace without UI Components also gets `package.json`, its lock file and
    `cdk.config.json`. Each file is written whole to a temporary name and then renamed, so an
    interrupted run leaves no half-written file.
    """
    planned = plan(root, name, template_id, slug)
    for relative, text in planned.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_atomic(path, text)
    return list(planned)
