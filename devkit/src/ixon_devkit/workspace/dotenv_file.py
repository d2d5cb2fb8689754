"""`.env` as the runtime reads it: with python-dotenv itself (`dotenv_values`).

The host's tasks run on the standard library and read `.env` with `ixon_devkit.workspace.settings`'s
reader, which the template's tests hold to python-dotenv's results on the same files. Here that
reader only vets the file first, so a line python-dotenv would skip with a warning is one
`ERROR:` line instead; the values are python-dotenv's.
"""

from __future__ import annotations

from pathlib import Path

from dotenv import dotenv_values

from ixon_devkit.workspace import settings


def read(path: Path) -> dict[str, str]:
    """The `KEY=value` pairs of the `.env` file at `path` ({} when there is none)."""
    if not path.is_file():
        return {}
    settings.read_dotenv(path)  # SettingsError, one line, for what python-dotenv would skip
    return {key: value for key, value in dotenv_values(path).items() if value is not None}
