"""The workspace's settings as `invoke doctor` reads them: as `invoke deploy` does.

Environment, then `.env`, then `workspace.json` (with named deploy targets, as the chosen
target sees it: `ixon_devkit.ship.targets`); a broken file becomes a blocking step rather than a
traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ixon_devkit.doctor.doctor_report import MISSING, Step
from ixon_devkit.ship import targets
from ixon_devkit.workspace import settings, workspace_file


@dataclass(frozen=True)
class Sources:
    """The workspace's settings as each tool reads them: environment, .env, workspace.json."""

    root: Path
    environ: Mapping[str, str]
    dotenv: dict[str, str]
    workspace: dict[str, object]
    problems: list[Step]
    #: Where each `workspace.json` key came from (a deploy target's entry, or the top).
    labels: Mapping[str, str] = field(default_factory=dict)
    #: The deploy target's name ("" for a workspace without named targets).
    target: str = ""

    def lookup(self, name: str) -> settings.Setting | None:
        """The value of setting `name` and where it came from, as `invoke deploy` reads it."""
        if str(self.environ.get(name, "")).strip():
            return settings.Setting(name, self.environ[name].strip(), "environment")
        if self.dotenv.get(name, "").strip():
            return settings.Setting(name, self.dotenv[name].strip(), settings.DOTENV_FILE)
        key = {settings.COMPANY_ID: "company_id", settings.TEMPLATE_ID: "template_id"}.get(name)
        value = str(self.workspace.get(key) or "").strip() if key else ""
        if value:
            label = self.labels.get(key or "", f"{workspace_file.FILE} {key}")
            return settings.Setting(name, value, label)
        return None


def read_sources(
    root: Path, environ: Mapping[str, str] | None = None, target: str | None = None
) -> Sources:
    """The settings of the workspace at `root` (as deploy target `target`, else the default
    one, sees them); a broken file becomes a blocking step."""
    problems: list[Step] = []
    try:
        dotenv = settings.read_dotenv(root / settings.DOTENV_FILE)
    except settings.SettingsError as error:
        dotenv = {}
        problems.append(Step("Settings", MISSING, str(error), "fix .env", blocking=True))
    try:
        workspace = workspace_file.read(root)
    except workspace_file.WorkspaceFileError as error:
        workspace = {}
        problems.append(Step("Settings", MISSING, str(error), "fix it", blocking=True))
    labels: Mapping[str, str] = {}
    name = ""
    try:
        chosen = targets.choose(workspace, target)
    except targets.TargetError as error:
        problems.append(Step("Deploy target", MISSING, str(error), blocking=True))
    else:
        workspace, labels, name = targets.view(workspace, chosen), chosen.sources, chosen.name
    environ = os.environ if environ is None else environ
    return Sources(root, environ, dotenv, workspace, problems, labels, name)


def ui_components(sources: Sources) -> dict[str, dict[str, object]]:
    """The UI Components of `workspace.json` (`"ui_components": {name: {"template_id"}}`)."""
    listed = sources.workspace.get("ui_components")
    if not isinstance(listed, dict):
        return {}
    return {str(name): (entry if isinstance(entry, dict) else {}) for name, entry in listed.items()}


def api_names_granted(sources: Sources) -> list[str] | None:
    """The discovery names `workspace.json` lists under `api_access` (None without the key)."""
    granted = sources.workspace.get("api_access")
    if granted is None:
        return None
    if isinstance(granted, list):
        return sorted({str(name) for name in granted})
    return []
