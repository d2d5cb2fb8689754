"""The app's UI Components: `components/`, `cdk.config.json`, `package.json` and its lock.

The components are copied; `cdk.config.json` is merged component by component; the app's
`package.json` is taken when the workspace has none. IXON's component SDK (`@ixon-cdk/core`,
its `config/config.service.js`) reads `cdk.config.json`, else `config.json`: an app of the
older layout has its configuration in `config.json`, merged the same way. Its lifecycle
scripts (`preinstall`, `postinstall`, `prepare`, ...) are listed: `invoke setup` installs Node
packages with `--ignore-scripts` (no script of the app or of any package runs) until the
workspace allows them (`"node_scripts": true` in workspace.json).

`newComponentRoot` names the folder adopt reads and writes: only plain names inside the app's
UI folder are taken (not `.`, `..`, an absolute path, a link, a hidden folder or one of the
workspace's own), else the app is refused naming the setting. The SDK's `apiBaseUrl` decides
where `cdk deploy` sends your token: named, never carried. The components' own unit tests
(jest) come along with `jest.config.js`, and are named as tests `invoke test` does not run.
Standard library only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ixon_devkit.adopt import carry, copying
from ixon_devkit.adopt import source as app
from ixon_devkit.adopt.model import AdoptError, Options, Plan, plural, put
from ixon_devkit.ui import node

CONFIG_FILE = "cdk.config.json"
#: What `@ixon-cdk/core` reads when there is no `cdk.config.json` (IXON's older layout).
OLDER_CONFIG_FILE = "config.json"
JEST_CONFIG = "jest.config.js"
UI_FILES = (CONFIG_FILE, "package.json", "package-lock.json")
#: Settings of the SDK's configuration that decide where its requests (and the token) go.
DESTINATIONS = ("apiBaseUrl",)
#: The folders of the workspace that the components' folder may not be (nor be inside).
WORKSPACE_FOLDERS = {"functions", "tests", "devkit", "dist", "node_modules", "docs"}
_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
#: jest's tests: `x.test.js`, `x.spec.ts`, ..., and what a `__tests__/` folder holds.
_JEST_TEST = re.compile(r"(\.(test|spec)\.[cm]?[jt]sx?|/__tests__/.*\.[cm]?[jt]sx?)$")


def config_of(result: Plan | None, base: Path) -> tuple[str, str | None]:
    """(file name, text) of the SDK's configuration in `base`, as `@ixon-cdk/core` picks it:
    `cdk.config.json`, else `config.json` (text None when neither)."""
    for name in (CONFIG_FILE, OLDER_CONFIG_FILE):
        path = base / name
        if path.is_file() or path.is_symlink():
            text = app.text(result, path) if result is not None else _plain_text(path)
            return name, text
    return CONFIG_FILE, None


def is_ui_folder(folder: Path) -> bool:
    """Whether `folder` holds UI Components: `package.json` beside the SDK's configuration
    (`cdk.config.json`; `config.json` when it lists `components`)."""
    if not (folder / "package.json").is_file():
        return False
    if (folder / CONFIG_FILE).is_file():
        return True
    try:
        text = _plain_text(folder / OLDER_CONFIG_FILE)
        data = json.loads(text) if text is not None else None
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("components"), dict)


def _plain_text(path: Path) -> str | None:
    if path.is_symlink() or not path.is_file() or path.stat().st_size > app.MAX_BYTES:
        return None
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeError):
        return None


def component_root(base: Path, name: str, config: dict[str, object]) -> str:
    """The components' folder `newComponentRoot` names, checked; AdoptError when it is not a
    folder of plain names inside the app's UI folder."""
    value = config.get("newComponentRoot")
    if value is None or value == "":
        return "components"
    parts = str(value).replace("\\", "/").split("/") if isinstance(value, str) else []
    parts = parts[:-1] if parts and parts[-1] == "" else parts  # "components/"
    problem = (
        "is not a text"
        if not isinstance(value, str)
        else "is not a relative path of plain folder names"
        if not parts or not all(_PLAIN.match(part) and part != ".." for part in parts)
        else f"is the workspace's own {parts[0]}/"
        if parts[0] in WORKSPACE_FOLDERS
        else ""
    )
    if not problem:
        where, inside = base, base.resolve()
        for part in parts:
            where = where / part
            if where.is_symlink():
                problem = "goes through a symbolic link"
                break
        if not problem and inside not in (base / "/".join(parts)).resolve().parents:
            problem = "leads out of the app's UI folder"
    if problem:
        raise AdoptError(
            f"the app's {name} sets newComponentRoot to {json.dumps(value)}, which {problem}: "
            'adopt takes the components from a folder inside the app (like "components"); '
            "correct the setting in the app and adopt again (nothing was written)"
        )
    return "/".join(parts)


def move(
    root: Path, result: Plan, base: Path | None, options: Options, workspace: dict[str, object]
) -> None:
    """Plan the app's UI half (at `base`) into the workspace."""
    if base is None:
        return
    config_name, config_text = config_of(result, base)
    try:
        config = json.loads(config_text) if config_text is not None else {}
    except ValueError as error:
        result.left.append(f"{config_name} of the app is not valid JSON ({error}): not merged")
        config = {}
    config = config if isinstance(config, dict) else {}
    folder = component_root(base, config_name, config)
    planned = copying.copy_folder(root, result, base, folder, options)
    names = sorted({path.split("/")[1] for path in planned if path.count("/") >= 2})
    copied = []
    if config_name == OLDER_CONFIG_FILE and config:
        result.done.append(
            f"the app's {OLDER_CONFIG_FILE} (the SDK's configuration under its older name, "
            f"which @ixon-cdk/core reads when there is no {CONFIG_FILE}) merged into {CONFIG_FILE}"
        )
    for setting in DESTINATIONS:
        if setting in config:
            result.left.append(
                f"the app's {config_name} sets {setting} {json.dumps(config.pop(setting))}: not "
                "carried, as it decides where your IXON access token goes; add it to "
                f"{CONFIG_FILE} yourself only if you trust that address"
            )
    _jest(root, result, base, planned, options)
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


def _jest(root: Path, result: Plan, base: Path, planned: list[str], options: Options) -> None:
    """Bring `jest.config.js` with the components' tests, and say that nothing runs them."""
    tests = [path for path in planned if _JEST_TEST.search(path)]
    if not tests:
        return
    text = app.text(result, base / JEST_CONFIG)
    if text is not None:
        put(root, result, JEST_CONFIG, text.encode("utf-8"), options)
    shown = ", ".join(tests[:3]) + (", ..." if len(tests) > 3 else "")
    result.left.append(
        f"the UI Components' own tests ({plural(len(tests), 'file')}: {shown}; jest"
        + (f", with {JEST_CONFIG}" if text is not None else "")
        + ") were brought in, but `invoke test` and CI run only the Python tests: run them "
        "with `npx jest` (jest from the app's package.json), or add that to CI yourself"
    )


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
