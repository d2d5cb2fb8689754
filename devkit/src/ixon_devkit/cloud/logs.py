"""`invoke logs`: the deployed function's logs, newest last, filtered by level, function, text.

Read through `ixon_devkit.cloud.remote` from IXON's `BackendComponentTemplateDownloadLogs` (GET
`/backend-component-templates/{publicId}/logs`, IXON's OpenAPI description 0.1.294). That
description leaves the answer's `data` open (an object, nothing more), so this module reads
what comes: a list of entries (objects with a message and maybe a time, level and function
name; or text lines), such a list under a key like `logs` or `entries`, or one text. An entry
it cannot read is shown as IXON sent it, marked `?`, and a note on stderr says how many there
were (the level and function filters cannot judge them; the text filter can).

The entries are shown oldest first (newest last) when every one has a time, else in IXON's
order (reversed when that is newest first). The token is masked in every line. IXON keeps
about 48 hours of logs, about five minutes behind.
Runs in the workspace's environment: `python -m ixon_devkit.cloud.logs [--level error] ...`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ixon_devkit.cloud import remote
from ixon_devkit.errors import UserError, main_wrapper
from ixon_devkit.workspace import masking, root

ROOT = root.find()
LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}
ALIASES = {"warn": "warning", "fatal": "critical", "err": "error", "information": "info"}
MESSAGE_KEYS = ("message", "msg", "text", "log", "line")
LEVEL_KEYS = ("level", "levelname", "severity", "logLevel", "loglevel")
TIME_KEYS = ("timestamp", "time", "createdOn", "date", "@timestamp", "datetime")
FUNCTION_KEYS = ("function", "functionName", "funcName", "name")
LIST_KEYS = ("logs", "entries", "lines", "items", "records", "data")
_LINE = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\d[T ][0-9:.,]+(?:Z|[+-]\d\d:?\d\d)?)?[\s|:-]*"
    r"\[?(?P<level>DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)\]?\b[\s|:-]*(?P<message>.*)$",
    re.IGNORECASE | re.DOTALL,
)


class LogsError(UserError):
    """A filter is wrong; the message says what to give."""

    exit_code = 2


@dataclass(frozen=True)
class Entry:
    """One log entry: read (`level` known) or shown as it came (`raw`)."""

    time: str = ""
    level: str = ""
    function: str = ""
    message: str = ""
    raw: str = ""

    @property
    def read(self) -> bool:
        return not self.raw

    def line(self) -> str:
        """The entry as `invoke logs` prints it; the lines of a long message (a traceback)
        indented under its first."""
        if not self.read:
            text = f"? {self.raw}"
        else:
            parts = [part for part in (self.time, f"{self.level.upper():<8}") if part]
            where = f"{self.function}: " if self.function else ""
            text = " ".join(parts) + f" {where}{self.message}".rstrip()
        return "\n    ".join(text.rstrip().splitlines())


def level_of(text: Any) -> str:
    """The level's name ("" when it is not one)."""
    name = str(text or "").strip().lower()
    name = ALIASES.get(name, name)
    return name if name in LEVELS else ""


def entries_of(data: Any) -> list[Entry]:
    """The entries of the answer's `data`, whatever its shape."""
    if data is None:
        return []
    if isinstance(data, str):
        return [entry_of(line) for line in data.splitlines() if line.strip()]
    if isinstance(data, dict):
        for key in LIST_KEYS:
            if isinstance(data.get(key), (list, str)):
                return entries_of(data[key])
        return [entry_of(data)]
    if isinstance(data, list):
        return [entry_of(item) for item in data]
    return [entry_of(data)]


def entry_of(item: Any) -> Entry:
    """One entry: an object with a message, or a text line with a level."""
    if isinstance(item, str):
        found = _LINE.match(item.strip())
        if found:
            return Entry(
                time=found.group("time") or "",
                level=level_of(found.group("level")),
                message=found.group("message").strip(),
            )
        return Entry(raw=item)
    if isinstance(item, dict):
        message = _first(item, MESSAGE_KEYS)
        level = level_of(_first(item, LEVEL_KEYS))
        if message is not None and (level or _first(item, LEVEL_KEYS) is None):
            return Entry(
                time=str(_first(item, TIME_KEYS) or ""),
                level=level or "info",
                function=str(_first(item, FUNCTION_KEYS) or ""),
                message=str(message),
            )
    return Entry(raw=json.dumps(item, ensure_ascii=False) if not isinstance(item, str) else item)


def _first(item: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if item.get(key) not in (None, ""):
            return item[key]
    return None


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(",", "."))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.astimezone()


def newest_last(entries: list[Entry]) -> list[Entry]:
    """Oldest first when every entry has a time; else IXON's order, reversed when it is newest
    first."""
    moments = [_moment(entry.time) if entry.time else None for entry in entries]
    if entries and all(moment is not None for moment in moments):
        order = sorted(range(len(entries)), key=lambda index: moments[index])  # type: ignore[arg-type,return-value]
        return [entries[index] for index in order]
    known = [moment for moment in moments if moment is not None]
    if len(known) >= 2 and known[0] > known[-1]:
        return list(reversed(entries))
    return entries


def select(
    entries: list[Entry], *, level: str = "", function: str = "", text: str = ""
) -> list[Entry]:
    """The entries at `level` or above, of `function`, holding `text` (case-insensitive).
    Entries that could not be read pass the level and function filters (they cannot judge
    them) and are held to the text filter."""
    least = LEVELS[level] if level else 0
    chosen = []
    for entry in entries:
        if entry.read and LEVELS.get(entry.level, 0) < least:
            continue
        if entry.read and function and not _of_function(entry, function):
            continue
        if text and text.lower() not in entry.line().lower():
            continue
        chosen.append(entry)
    return chosen


def _of_function(entry: Entry, function: str) -> bool:
    if entry.function:
        return entry.function == function or entry.function.endswith(f".{function}")
    return function in entry.message


def run(
    root: Path, target: str = "", *, level: str = "", function: str = "", text: str = ""
) -> int:
    if level and not level_of(level):
        raise LogsError(f"--level {level} is not a level: give one of {', '.join(LEVELS)}")
    level = level_of(level) if level else ""
    with remote.connected(root, target) as api:
        data = api.data(
            remote.LOGS,
            what=f"download of the logs of the {api.where()}",
            publicId=api.template_id,
        )
        entries = newest_last(entries_of(data))
        chosen = select(entries, level=level, function=function, text=text)
        secret = api.config.token.reveal()
        for entry in chosen:
            print(masking.mask(entry.line(), secret), flush=True)
        unread = sum(1 for entry in chosen if not entry.read)
        filters = level or function or text
        if not entries:
            print(
                f"No log entries from IXON for the {api.where()} (IXON keeps about 48 hours, "
                "about five minutes behind)",
                file=sys.stderr,
            )
        elif not chosen and filters:
            print(f"No entry of the {len(entries)} read matches the filters", file=sys.stderr)
        if unread:
            print(
                f"NOTE: {unread} entr{'y' if unread == 1 else 'ies'} (marked ?) not in a form "
                "`invoke logs` reads: shown as IXON sent them; the level and function filters "
                "cannot judge them",
                file=sys.stderr,
            )
    return 0


@main_wrapper
def main(argv: list[str] | None = None) -> int:
    """`python -m ixon_devkit.cloud.logs [--target T] [--level L] [--function F] [--grep TEXT]`."""
    parser = argparse.ArgumentParser(prog="invoke logs", description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="")
    parser.add_argument("--level", default="")
    parser.add_argument("--function", default="")
    parser.add_argument("--grep", default="")
    options = parser.parse_args(argv)
    return run(
        ROOT, options.target, level=options.level, function=options.function, text=options.grep
    )


if __name__ == "__main__":
    sys.exit(main())
