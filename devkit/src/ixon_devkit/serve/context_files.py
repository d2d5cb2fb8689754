"""Which local configuration values file ixoncdkingress reads, and what it ignores.

Standard library only (the tests' header says it before anything heavy is imported).
"""

from __future__ import annotations

from pathlib import Path

#: The files ixoncdkingress reads the local configuration values from, first found wins.
CONTEXT_FILES = ("context_values.yaml", "context_values.json", "context_config.json")


def context_files_note(root: Path) -> str | None:
    """One line saying which context values file is used and which is ignored, when more
    than one is there or only IXON's legacy `context_config.json` is; else None."""
    present = [name for name in CONTEXT_FILES if (root / name).is_file()]
    if not present or present == ["context_values.yaml"]:
        return None
    used, ignored = present[0], present[1:]
    if not ignored:
        return (
            f"{used} is used (ixoncdkingress prefers context_values.yaml): move its values "
            "there (`invoke adopt` does) and delete it"
            + (
                "; ixoncdkingress copies the legacy file's values to context_values.json"
                if used == "context_config.json"
                else ""
            )
        )
    return (
        f"{used} is used; {' and '.join(ignored)} {'is' if len(ignored) == 1 else 'are'} "
        f"ignored (ixoncdkingress reads only the first of {', '.join(CONTEXT_FILES)}): "
        "move what you need into the one used and delete the other"
    )
