"""Finding the two halves of an IXON app by their files, not by fixed folder names.

IXON's apps come as one repository with both halves side by side (`functions/`,
`requirements.txt`, `components/`, `cdk.config.json`, `package.json`), as a split repository
(the function in one folder, say `backend/`, the UI Components in another, say `frontend/`),
or with UI Components only. The Cloud Function is the folder that holds `functions/` (with a
`requirements.txt` beside it, when any does); the UI half is the folder that holds
`package.json` and the component SDK's configuration: `cdk.config.json`, or `config.json`
listing `components` (the name `@ixon-cdk/core` reads when there is no `cdk.config.json`).
The app's own folder is looked at first, then folders up to `DEPTH` levels below it.
Standard library only.
"""

from __future__ import annotations

from pathlib import Path

from ixon_devkit.adopt.model import AdoptError, Layout
from ixon_devkit.adopt.source import SKIPPED
from ixon_devkit.adopt.ui import is_ui_folder

DEPTH = 2


def find(source: Path) -> Layout:
    """Where the app at `source` keeps its Cloud Function and its UI Components."""
    folders = _folders(source)
    # A functions/ that is a link counts here, so that copying names it (and follows nothing).
    functions = [f for f in folders if (f / "functions").is_dir()]
    with_requirements = [f for f in functions if (f / "requirements.txt").is_file()]
    function = _one(source, with_requirements or functions, "a Cloud Function (functions/)")
    ui_folders = [f for f in folders if is_ui_folder(f)]
    ui = _one(source, ui_folders, "UI Components (cdk.config.json and package.json)")
    if function is None and ui is None:
        raise AdoptError(
            f"{source} holds neither a Cloud Function (a functions/ folder, with requirements.txt "
            "beside it) nor UI Components (cdk.config.json, or config.json, with package.json), "
            f"in it or in a folder up to {DEPTH} levels below: give the folder of an IXON app or "
            "workspace"
        )
    return Layout(source, function, ui)


def _folders(source: Path) -> list[Path]:
    """`source` and its folders up to DEPTH levels down, shallowest first, never through a
    link, a hidden folder or an installed one."""
    found, level = [source], [source]
    for _ in range(DEPTH):
        below = []
        for folder in level:
            for path in sorted(folder.iterdir()):
                if (
                    path.is_dir()
                    and not path.is_symlink()
                    and not path.name.startswith(".")
                    and path.name not in SKIPPED
                    and path.name not in ("functions", "components", "tests")
                ):
                    below.append(path)
        found += below
        level = below
    return found


def _one(source: Path, candidates: list[Path], what: str) -> Path | None:
    """The shallowest candidate; two at the same depth cannot be told apart."""
    if not candidates:
        return None
    depth = len(candidates[0].relative_to(source).parts)
    same = [c for c in candidates if len(c.relative_to(source).parts) == depth]
    if len(same) > 1:
        names = ", ".join(c.relative_to(source).as_posix() + "/" for c in same)
        raise AdoptError(
            f"{source} holds {what} in more than one folder ({names}): adopt one app at a "
            "time, giving its folder"
        )
    return candidates[0]
