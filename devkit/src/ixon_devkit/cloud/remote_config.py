"""`invoke config pull` and `invoke config push`: the company's configuration of the deployed
function, to and from a file of the workspace in the shape of `context_values.yaml`.

IXON keeps one configuration per company and Cloud Function (IXON's OpenAPI description
0.1.294: `BackendComponentTemplateConfigList` GET, POST; `BackendComponentTemplateConfig` PATCH
`values`), its `values` a string of at most 65,535 characters. IXON does not describe that
string's format; this module reads it as a JSON object (else YAML) and sends the file's mapping
back as a JSON object, so `pull`, an edit and `push` change exactly the values edited.

The file: `company_config.yaml` (`company_config.<target>.yaml` for a named target), meant to be
committed, when the template's `configConfidentiality` is `public`; when it is `secret`, the
same name under `.devkit/` (ignored by git, readable by you only), never a tracked file: pull
refuses to write a secret configuration where git would track it.

`push` shows the difference from what IXON holds now and asks before sending it (`--yes`
sends without asking, for CI; without a terminal and without `--yes` it refuses); a secret
configuration's values are never shown, only which keys change. Nothing to change sends
nothing. A company without a configuration gets one (POST), which it then enables in the
IXON portal (Admin > Apps).
Runs in the workspace's environment: `python -m ixon_devkit.cloud.remote_config pull|push`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ixon_devkit.cloud import remote
from ixon_devkit.errors import UserError, main_wrapper
from ixon_devkit.serve import request_body
from ixon_devkit.workspace import files, git, masking, root

ROOT = root.find()
#: IXON's limit on `values` (OpenAPI 0.1.294: maxLength 65535).
MAX_VALUES = 65535
HIDDEN_FOLDER = ".devkit"
CHECK = (
    "see in the IXON portal (Admin > Apps, the app's configuration for the company) whether "
    "it changed, then `invoke config pull`"
)


class ConfigError(UserError):
    """The configuration cannot be pulled or pushed as asked; the message says what to do."""


def config_path(root: Path, target: str, *, secret: bool) -> Path:
    """Where the configuration of `target` lives in the workspace."""
    name = f"company_config.{target}.yaml" if target else "company_config.yaml"
    return root / HIDDEN_FOLDER / name if secret else root / name


def is_secret(template: dict[str, Any]) -> bool:
    return template.get("configConfidentiality") == "secret"


def parse_values(text: Any, where: str) -> dict[str, Any]:
    """IXON's `values` string as a mapping ({} for none)."""
    if text is None or not str(text).strip():
        return {}
    try:
        values = json.loads(text)
    except ValueError:
        import yaml  # noqa: PLC0415 - a development dependency, only needed here

        try:
            values = request_body.safe_yaml(str(text))
        except yaml.YAMLError:
            values = None
    if not isinstance(values, dict):
        raise ConfigError(
            f"the configuration values of {where} are not a JSON or YAML mapping of names to "
            "values, as context_values.yaml is: correct them in the IXON portal (Admin > Apps)"
        )
    return values


def read_file(path: Path, root: Path) -> dict[str, Any]:
    shown = path.relative_to(root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"there is no {shown}: run `invoke config pull` first") from None
    import yaml  # noqa: PLC0415 - a development dependency, only needed here

    try:
        values = request_body.safe_yaml(text)
    except yaml.YAMLError as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ConfigError(f"{shown} is not valid YAML ({first}): correct it") from None
    if values is None:
        return {}
    if not isinstance(values, dict) or not all(isinstance(key, str) for key in values):
        raise ConfigError(
            f"{shown} must be a mapping of names to values, as context_values.yaml is: correct it"
        )
    return values


def _dump(values: dict[str, Any]) -> str:
    import yaml  # noqa: PLC0415 - a development dependency, only needed here

    if not values:
        return "{}\n"
    return yaml.safe_dump(values, sort_keys=False, allow_unicode=True, default_flow_style=False)


def tracked_or_not_ignored(root: Path, path: Path) -> bool:
    """Whether git would keep `path` (tracked, or not ignored); False outside a git repository."""
    relative = str(path.relative_to(root))
    if git.run(root, "rev-parse", "--is-inside-work-tree").returncode != 0:
        return False
    if git.run(root, "ls-files", "--error-unmatch", relative).returncode == 0:
        return True
    return git.run(root, "check-ignore", "-q", relative).returncode != 0


def pull(api: remote.Remote, root: Path) -> list[str]:
    """Write the company's configuration to its file; the lines saying what was written."""
    template = api.template()
    secret = is_secret(template)
    config = api.company_config()
    where = f"company {api.company_id}"
    if config is None:
        raise ConfigError(
            f"{where} has no configuration of the {api.where()} yet: enable the app for the "
            "company in the IXON portal (Admin > Apps), or write the file and `invoke config push`"
        )
    values = parse_values(config.get("values"), where)
    path = config_path(root, api.config.target, secret=secret)
    shown = path.relative_to(root)
    if secret and tracked_or_not_ignored(root, path):
        raise ConfigError(
            f"the configuration is secret, and git would keep {shown}: add {HIDDEN_FOLDER}/ to "
            ".gitignore (and `git rm --cached` it) before pulling"
        )
    moment = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    header = (
        f"# The configuration values of the company for the {api.where()}, pulled from IXON at "
        f"{moment}.\n# The same shape as context_values.yaml; `invoke config push` sends your "
        "edits back.\n"
    )
    if secret:
        header += "# SECRET (configConfidentiality: secret): never commit this file.\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.touch(mode=0o600)
        os.chmod(path, 0o600)
    files.write_atomic(path, header + _dump(values))
    kind = "secret, ignored by git" if secret else "public: commit it to keep it with the code"
    return [f"Pulled {len(values)} configuration value(s) of {where} into {shown} ({kind})"]


def difference(old: dict[str, Any], new: dict[str, Any], *, secret: bool) -> list[str]:
    """`+`, `-` and `~` lines from `old` to `new` (values hidden when `secret`)."""

    def shown(value: Any) -> str:
        return "(secret)" if secret else json.dumps(value, ensure_ascii=False)

    lines = []
    for key, value in new.items():
        if key not in old:
            lines.append(f"  + {key}: {shown(value)}")
        elif old[key] != value:
            lines.append(f"  ~ {key}: {shown(old[key])} -> {shown(value)}")
    lines += [f"  - {key}: {shown(value)}" for key, value in old.items() if key not in new]
    return lines


def confirmed(question: str, *, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise ConfigError(
            "config push changes IXON's configuration for the company and asks first: run it "
            "in a terminal, or add --yes (CI)",
            exit_code=2,
        )
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def push(api: remote.Remote, root: Path, *, yes: bool) -> list[str]:
    """Send the file's values to IXON after showing the difference; the closing lines."""
    template = api.template()
    secret = is_secret(template)
    path = config_path(root, api.config.target, secret=secret)
    other = config_path(root, api.config.target, secret=not secret)
    if not path.exists() and other.exists():
        kind = "secret" if secret else "public"
        raise ConfigError(
            f"the configuration is {kind} now, so it lives in {path.relative_to(root)}, not "
            f"{other.relative_to(root)}: run `invoke config pull`, then edit and push again"
        )
    new = read_file(path, root)
    config = api.company_config()
    where = f"company {api.company_id}"
    old = parse_values(config.get("values"), where) if config else {}
    text = json.dumps(new, ensure_ascii=False)
    if len(text) > MAX_VALUES:
        raise ConfigError(
            f"{path.relative_to(root)} makes {len(text):,} characters of values; IXON takes at "
            f"most {MAX_VALUES:,}: shorten it"
        )
    changes = difference(old, new, secret=secret)
    if config is not None and not changes:
        return [f"Nothing to push: IXON holds the values of {path.relative_to(root)} already"]
    print(f"Changes to the company's configuration of the {api.where()}:")
    print("\n".join(changes) if changes else "  (a new, empty configuration)", flush=True)
    if not confirmed("Send these changes to IXON?", yes=yes):
        return ["Nothing was sent"]
    what = f"change of the configuration of {where}"
    if config is None:
        payload = [{"template": {"publicId": api.template_id}, "values": text}]
        api.send("POST", remote.CONFIGS, json.dumps(payload).encode(), what=what, check=CHECK)
        return [
            f"Made the configuration of {where} with {len(new)} value(s): enable the app for "
            "the company in the IXON portal (Admin > Apps)"
        ]
    body = json.dumps({"values": text}).encode()
    public_id = str(config.get("publicId") or "")
    api.send("PATCH", remote.CONFIG, body, what=what, check=CHECK, publicId=public_id)
    return [f"Pushed {len(changes)} change(s) to the configuration of {where}"]


@main_wrapper
def main(argv: list[str] | None = None) -> int:
    """`python -m ixon_devkit.cloud.remote_config pull|push [--target T] [--yes]`."""
    parser = argparse.ArgumentParser(prog="invoke config", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("pull", "push"))
    parser.add_argument("--target", default="")
    parser.add_argument("--yes", action="store_true")
    options = parser.parse_args(argv)
    with remote.connected(ROOT, options.target) as api:
        pulling = options.action == "pull"
        lines = pull(api, ROOT) if pulling else push(api, ROOT, yes=options.yes)
        secret = api.config.token.reveal()
        print("\n".join(masking.mask(line, secret) for line in lines), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
