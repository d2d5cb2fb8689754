"""The app's configuration values, moved into the workspace's `context_values.yaml`.

ixoncdkingress reads `context_values.yaml`, else `context_values.json`, else the legacy
`context_config.json` (its `values`); adopt takes the one it would read and writes YAML that
ixoncdkingress accepts, a mapping even when there are no values (`{}`: a file of comments only
is refused with "File must contain a dictionary"). The names an app expects, from its example
configuration (`context_config.example.json` and the like), become placeholders to fill in:
empty, never the example's values (a webhook URL, an SMTP host, an address), which a call
would otherwise send your data to; a number or a yes/no is kept. Standard library only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ixon_devkit.adopt import source as app
from ixon_devkit.adopt.model import Options, Plan, put_merged, replaceable

CONTEXT_FILES = ("context_values.yaml", "context_values.json", "context_config.json")
EXAMPLE_FILES = (
    "context_config.example.json",
    "context_values.example.json",
    "context_values.example.yaml",
    "context_config.json.example",
)
TARGET = "context_values.yaml"
HEADER = (
    "# Configuration values for local development: `context.config` in your functions.\n"
    "# IXON Cloud ignores this file: there the values are set per company in the IXON\n"
    "# portal, and every value arrives as a string.\n"
)
_YAML_KEY = re.compile(r"^([A-Za-z0-9_\"'][^:#]*?)\s*:")


def move(root: Path, result: Plan, base: Path | None, options: Options) -> None:
    """Plan `context_values.yaml` with the app's values and its example's names."""
    if base is None:
        return
    present = [name for name in CONTEXT_FILES if (base / name).is_file()]
    examples = [name for name in EXAMPLE_FILES if (base / name).is_file()]
    if not present and not examples:
        return
    ours_path = root / TARGET
    ours = ours_path.read_text(encoding="utf-8") if ours_path.is_file() else ""
    replace = not ours or options.force or replaceable(root, result, TARGET)
    values: dict[str, object] = {}
    used = present[0] if present else None  # ixoncdkingress's order: YAML, JSON, legacy
    yaml_text = None
    if used == "context_values.yaml":
        yaml_text = app.text(result, base / used)
        if yaml_text is None:
            return
    elif used:
        values_read = _json_values(result, base / used, used)
        if values_read is None:
            return
        values = values_read
    expected = _expected(result, base, examples)
    if yaml_text is not None:
        text = _from_yaml(result, ours, yaml_text, replace)
        if text is None:
            return
        keys = _yaml_keys(yaml_text)
    else:
        keys = set(values)
        text = _from_values(result, ours, values, replace, used or "")
    known = keys | (set() if replace else _yaml_keys(ours))
    placeholders = {k: v for k, v in expected.items() if k not in known}
    if placeholders:
        text = _mapping_body(text) + (
            f"# placeholders for the names of the app's {examples[0]} (its values not taken): "
            "fill them in\n"
        )
        text += "".join(
            f"{json.dumps(k)}: {json.dumps(_scalar(v))}\n" for k, v in placeholders.items()
        )
        result.left.append(
            f"{TARGET}: fill in {', '.join(placeholders)} (the names the app's {examples[0]} "
            "expects; empty placeholders now, as the example's values may be addresses a call "
            "would send data to): calls answer as if unconfigured until then"
        )
    if not _has_mapping(text):
        text = text.rstrip("\n") + "\n{}\n"
    if not put_merged(root, result, TARGET, text.encode("utf-8"), options):
        return
    ignored = (
        f" ({', '.join(present[1:])} ignored, as ixoncdkingress ignores them)"
        if present[1:]
        else ""
    )
    legacy_note = " (IXON's legacy file; its `values`)" if used == "context_config.json" else ""
    what = f"the values of the app's {used}{legacy_note}{ignored}" if used else "no values"
    result.done.append(f"{TARGET}: {what}")


def _json_values(result: Plan, path: Path, used: str) -> dict[str, object] | None:
    text = app.text(result, path)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError as error:
        result.left.append(
            f"{used} of the app is not valid JSON ({error}): move its values by hand"
        )
        return None
    values = (
        data.get("values") if isinstance(data, dict) and used == "context_config.json" else data
    )
    if not isinstance(values, dict):
        result.left.append(f"{used} of the app holds no values to move: nothing taken from it")
        return None
    return values


def _expected(result: Plan, base: Path, examples: list[str]) -> dict[str, object]:
    """The names (and example values) of the app's example configuration."""
    if not examples:
        return {}
    name = examples[0]
    text = app.text(result, base / name)
    if text is None:
        return {}
    if name.endswith(".yaml"):
        return {key: "" for key in sorted(_yaml_keys(text))}
    try:
        data = json.loads(text)
    except ValueError as error:
        result.left.append(f"{name} of the app is not valid JSON ({error}): read it yourself")
        return {}
    values = data.get("values", data) if isinstance(data, dict) else None
    return dict(values) if isinstance(values, dict) else {}


def _scalar(value: object) -> object:
    """A placeholder value: an example's number or yes/no (which address nothing), else an
    empty string: never an example's text, which may be a URL, a host or an e-mail address."""
    return value if isinstance(value, (int, float, bool)) else ""


def _from_yaml(result: Plan, ours: str, theirs: str, replace: bool) -> str | None:
    if replace:
        return theirs
    clashes = _yaml_keys(theirs) & _yaml_keys(ours)
    if clashes == _yaml_keys(theirs):
        return ours  # every value is there already (an adopt before, or yours)
    if clashes:
        result.conflicts.append(f"{TARGET} (the app sets {', '.join(sorted(clashes))} too)")
        return None
    return _mapping_body(ours) + "# from the adopted app\n" + theirs


def _from_values(
    result: Plan, ours: str, values: dict[str, object], replace: bool, used: str
) -> str:
    if replace:
        kept: set[str] = set()
        text = HEADER + (f"# Moved from the app's {used}.\n" if used else "")
    else:
        kept = _yaml_keys(ours)
        text = _mapping_body(ours) + (f"# from the adopted app's {used}\n" if values else "")
    clashes = sorted(kept & set(values))
    if not replace and len(clashes) == len(values):
        return ours  # every value is there already (an adopt before, or yours)
    if clashes:
        result.left.append(
            f"{TARGET}: kept the workspace's {', '.join(clashes)}; the app's {used} has other "
            "values for them"
        )
    return text + "".join(
        f"{json.dumps(str(key))}: {json.dumps(value)}\n"
        for key, value in values.items()
        if key not in kept
    )


def _mapping_body(text: str) -> str:
    """`text` ready for more `key: value` lines: an empty flow mapping (`{}`) taken out."""
    lines = [line for line in text.splitlines() if line.strip() != "{}"]
    return "\n".join(lines).rstrip("\n") + "\n" if lines else ""


def _has_mapping(text: str) -> bool:
    return bool(_yaml_keys(text)) or any(line.strip() == "{}" for line in text.splitlines())


def _yaml_keys(text: str) -> set[str]:
    keys = set()
    for line in text.splitlines():
        match = _YAML_KEY.match(line)
        if match:
            keys.add(match.group(1).strip("\"'"))
    return keys
