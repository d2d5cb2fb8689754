"""Before a release is published: the tag names the package's version, and the files are it.

Run by .github/workflows/release.yml right after the build, from the repository's root:

    python3 .ci/release_check.py "$GITHUB_REF_NAME" dist

Checks that the tag is `v` + the version in devkit/pyproject.toml, that CHANGELOG.md has a
section for that version (a pre-release, like 3.0.0rc1, may use its release's: [3.0.0]; a
final release's must be dated, not "Unreleased"), and that the folder
holds exactly that version's wheel and sdist. Each failure is one `::error::` line (GitHub
shows it on the run); the exit code is 1 when any failed. Standard library only.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PROJECT = Path("devkit") / "pyproject.toml"
CHANGELOG = Path("CHANGELOG.md")


def problems(tag: str, dist: Path, root: Path = Path()) -> list[str]:
    """What is wrong with releasing `dist` under `tag` (nothing: an empty list)."""
    meta = tomllib.loads((root / PROJECT).read_text(encoding="utf-8"))["project"]
    version = meta["version"]
    found = []
    if tag != f"v{version}":
        found.append(
            f"the tag {tag} is not v{version}, the version {PROJECT.as_posix()} gives: "
            "bump the version there (and tag that commit), or tag v" + version
        )
    release = re.match(r"\d+(\.\d+)*", version).group(0)  # 3.0.0 of 3.0.0rc1 or 3.0.0.dev0
    final = release == version
    sections = "|".join(re.escape(name) for name in {version, release})
    heading = re.search(
        rf"^## \[(?:{sections})\](.*)$",
        (root / CHANGELOG).read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    if heading is None:
        found.append(f"CHANGELOG.md has no section ## [{release}]: write the release's notes")
    elif final and "unreleased" in heading.group(1).lower():
        found.append(f"CHANGELOG.md's section [{version}] still says Unreleased: date it")
    name = re.sub(r"[-_.]+", "_", meta["name"]).lower()
    expected = {f"{name}-{version}-py3-none-any.whl", f"{name}-{version}.tar.gz"}
    present = {path.name for path in dist.glob("*") if not path.name.startswith(".")}
    if present != expected:
        found.append(
            f"{dist} holds {', '.join(sorted(present)) or 'nothing'}, not exactly "
            f"{' and '.join(sorted(expected))}"
        )
    return found


def main(arguments: list[str]) -> int:
    tag, dist = arguments
    found = problems(tag, Path(dist))
    for problem in found:
        print(f"::error::{problem}")
    if not found:
        print(f"{tag}: the tag, devkit/pyproject.toml, CHANGELOG.md and {dist} agree")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
