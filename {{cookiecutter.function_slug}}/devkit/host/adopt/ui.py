"""The app's UI Components: `components/`, `cdk.config.json`, `package.json` and its lock.

The components are copied; `cdk.config.json` is merged component by component; the app's
`package.json` is taken when the workspace has none. Its lifecycle scripts (`preinstall`,
`postinstall`, `prepare`, ...) are listed: `invoke setup` installs Node packages with
`--ignore-scripts` (no script of the app or of any package runs) until the workspace allows
them (`"node_scripts": true` in workspace.json). Standard library only.
"""

from __future__ import annotations

import json
from pathlib import Path

from devkit.host import node
from devkit.host.adopt import carry, copying
from devkit.host.adopt import source as app
from devkit.host.adopt.model import Options, Plan, plural, put

CONFIG_FILE = "cdk.config.json"
UI_FILES = (CONFIG_FILE, "package.json", "package-lock.json")


def move(
    root: Path, result: Plan, base: Path | None, options: Options, workspace: dict[str, object]
) -> None:
    """Plan the app's UI half (at `base`) into the workspace."""
    if base is None:
        return
    config_text = app.text(result, base / CONFIG_FILE)
    try:
        config = json.loads(config_text) if config_text is not None else {}
    except ValueError as error:
        result.left.append(f"{CONFIG_FILE} of the app is not valid JSON ({error}): not merged")
        config = {}
    config = config if isinstance(config, dict) else {}
    folder = str(config.get("newComponentRoot") or "components")
    planned = copying.copy_folder(root, result, base, folder, options)
    names = sorted({path.split("/")[1] for path in planned if path.count("/") >= 2})
    copied = []
    if config_text is not None and config:
        merged = _merge_config(root, result, config)
        if merged is not None and put(
            root, result, CONFIG_FILE, merged, Options(False, force=True)
        ):
            copied.append(CONFIG_FILE)
        carry.deploy_ids(result, config, workspace)
    for name in UI_FILES[1:]:
        text = app.text(result, base / name)
        if text is None:
            continue
        if name == "package.json":
            _scripts(result, text)
        ours = root / name
        if ours.is_file() and ours.read_text(encoding="utf-8") != text:
            result.left.append(
                f"{name}: kept the workspace's; compare it with the app's and merge by hand"
            )
            continue
        if put(root, result, name, text.encode("utf-8"), options):
            copied.append(name)
    described = [f"{plural(len(names), 'UI Component')}: {', '.join(names)}"] if names else []
    result.done.append("UI Components: " + ", ".join(described + copied))


def _merge_config(root: Path, result: Plan, theirs: dict[str, object]) -> bytes | None:
    path = root / CONFIG_FILE
    try:
        mine = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        mine = dict(mine) if isinstance(mine, dict) else {}
        if not mine:
            return carry.dumps(theirs)
        mine_components = mine.setdefault("components", {})
        for name, value in dict(theirs.get("components") or {}).items():
            if name in mine_components and mine_components[name] != value:
                result.left.append(f"{CONFIG_FILE}: kept the workspace's component {name}")
            else:
                mine_components[name] = value
    except (ValueError, AttributeError, TypeError):
        result.left.append(f"{CONFIG_FILE}: not merged (not the JSON expected); merge by hand")
        return None
    return carry.dumps(mine)


def _scripts(result: Plan, text: str) -> None:
    """Name the lifecycle scripts of the app's package.json, which setup does not run."""
    try:
        scripts = json.loads(text).get("scripts") or {}
    except (ValueError, AttributeError):
        return
    found = [
        f"{name} ({json.dumps(str(scripts[name]))})"
        for name in node.LIFECYCLE_SCRIPTS
        if isinstance(scripts, dict) and name in scripts
    ]
    if found:
        result.left.append(
            f"package.json of the app has lifecycle scripts: {', '.join(found)}; `invoke setup` "
            "installs Node packages with --ignore-scripts, so neither these nor any package's "
            f'install scripts run: read them, and allow them with "{node.SCRIPTS_KEY}": true '
            "in workspace.json only if you trust them"
        )
