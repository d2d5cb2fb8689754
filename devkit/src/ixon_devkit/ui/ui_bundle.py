"""`invoke bundle` for the UI Components: IXON's builder, checks, a reproducible archive each.

IXON's `cdk build NAME` writes `dist/NAME/` (the script, `manifest.json`, `icon.svg`, a demo
page); `cdk deploy` zips that folder with the times of the files, so its archive changes on
every build. Here the same folder is zipped like the function's bundle (sorted, stored entries
with fixed times), so the same sources give the same sha256.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ixon_devkit.errors import UserError
from ixon_devkit.ship.bundle import archive_bytes
from ixon_devkit.ui import components as ui
from ixon_devkit.ui import node as nodejs
from ixon_devkit.workspace import files

DIST = "dist"
#: IXON's rule: an integer in a string ("1", "25") that goes up with every deploy.
MANIFEST_VERSION = re.compile(r"[1-9][0-9]{0,8}")
RUNNER = ("node_modules", "@ixon-cdk", "runner", "bin", "index.js")


class UiBundleError(UserError):
    """A UI Component cannot be built or its manifest is wrong; the message says what to fix."""


@dataclass(frozen=True)
class UiBundle:
    """One UI Component's built archive."""

    component: ui.Component
    path: Path
    version: str
    files: tuple[tuple[str, int], ...]
    size: int
    sha256: str

    def describe(self, root: Path) -> list[str]:
        """The file list, size and sha256, as `invoke bundle` prints them."""
        lines = [f"{size:>9,} {name}" for name, size in self.files]
        lines.append(
            f"UI bundle {self.path.relative_to(root).as_posix()}: {self.component.name} version "
            f"{self.version}, {len(self.files)} files, {self.size:,} bytes, sha256 {self.sha256}"
        )
        return lines


def read_manifest(component: ui.Component) -> dict[str, object]:
    """The component's `manifest.json`, checked: an integer version string, the right main."""
    path = component.folder / "manifest.json"
    shown = f"{component.folder.name}/manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UiBundleError(
            f"UI Component {component.name} has no {shown}: `invoke new-component` writes one"
        ) from None
    except ValueError as error:
        raise UiBundleError(f"{shown} is not valid JSON ({error}): fix it") from None
    if not isinstance(manifest, dict):
        raise UiBundleError(f"{shown} must hold a JSON object: fix it")
    version = manifest.get("version")
    if not isinstance(version, str) or not MANIFEST_VERSION.fullmatch(version):
        raise UiBundleError(
            f'{shown}: "version" is {json.dumps(version)}, IXON needs a whole number in a '
            'string like "1" (`invoke bump` raises it with the workspace version)'
        )
    if manifest.get("main") != component.main:
        raise UiBundleError(
            f'{shown}: "main" is {json.dumps(manifest.get("main"))}, the builder writes '
            f'{component.main}: set "main": "{component.main}"'
        )
    if not isinstance(manifest.get("inputs", None), list):
        raise UiBundleError(
            f'{shown}: "inputs" must be a list (IXON\'s manifest schema needs it; [] for none)'
        )
    return manifest


def runner_command(root: Path, node: nodejs.Node) -> list[str]:
    """IXON's `cdk` command run by node itself (no npx, no shell: the same on Windows)."""
    return [str(node.node), str(root.joinpath(*RUNNER))]


def build(
    root: Path, node: nodejs.Node, component: ui.Component, secrets: Iterable[str] = ()
) -> UiBundle:
    """Build `component` with IXON's builder and write dist/ui-NAME-VERSION.zip."""
    root = root.resolve()
    version = str(read_manifest(component)["version"])
    output = root / DIST / component.name
    result = subprocess.run(
        [*runner_command(root, node), "build", component.name],
        cwd=root,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
    )
    script = output / component.main
    # The builder reports a broken component and still exits 0: its script is then missing.
    if result.returncode != 0 or not script.is_file():
        print((result.stdout + result.stderr).strip(), file=sys.stderr)
        raise UiBundleError(
            f"IXON's builder could not build UI Component {component.name} (its messages "
            f"above): fix {component.folder.relative_to(root).as_posix()}/ and run `invoke "
            "bundle` again"
        )
    entries = []
    for path in sorted(output.rglob("*")):
        if path.is_file():
            relative = path.relative_to(output).as_posix()
            entries.append((f"{component.name}/{relative}", path.read_bytes()))
    for secret in (s for s in secrets if s):
        for entry, data in entries:
            if secret.encode() in data:
                raise UiBundleError(
                    f"the access token appears in {entry} of UI Component {component.name}: "
                    "remove it from the component's sources; nothing was bundled"
                )
    archive = archive_bytes(entries, comment=f"{component.name} {version}")
    target = root / DIST / f"ui-{component.name}-{version}.zip"
    files.write_atomic(target, archive)
    return UiBundle(
        component=component,
        path=target,
        version=version,
        files=tuple((entry, len(data)) for entry, data in entries),
        size=len(archive),
        sha256=hashlib.sha256(archive).hexdigest(),
    )


def build_all(root: Path, names: Iterable[str] = (), secrets: Iterable[str] = ()) -> list[UiBundle]:
    """Build the named UI Components (all when none are named); [] without any."""
    found = ui.listed(root)
    wanted = list(names)
    unknown = [name for name in wanted if name not in {c.name for c in found}]
    if unknown:
        known = ", ".join(c.name for c in found) or "none (invoke new-component NAME adds one)"
        raise UiBundleError(f"no UI Component named {unknown[0]}; the workspace has: {known}")
    chosen = [c for c in found if not wanted or c.name in wanted]
    if not chosen:
        return []
    for component in chosen:
        read_manifest(component)  # every manifest checked before the slow builds
    node = nodejs.ensure(root)
    return [build(root, node, component, secrets) for component in chosen]
