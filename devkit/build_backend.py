"""The package's build backend (PEP 517): a wheel and an sdist, byte for byte the same wherever
and whenever they are built from the same source.

Why not a build tool from the index: a workspace baked from a checkout of the template carries
the wheel built there, offline and before any environment exists (the generation hook runs in
cookiecutter's Python), and its lock names that wheel's hash, which must be the hash of the
wheel a release publishes. So the build needs only the standard library, and its output
depends on the source alone: files in sorted order, one fixed timestamp, fixed permissions,
and a wheel stored without compression (compressors differ between zlib builds).
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import tarfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = "ixon_devkit"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
SKIPPED = re.compile(r"(^|/)(__pycache__|\.[^/]*)(/|$)|\.py[co]$")


def project(root: Path = HERE) -> dict:
    """The `[project]` table of pyproject.toml."""
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib  # noqa: PLC0415
    except ImportError:  # Python < 3.11: the file's own simple subset
        return _read_simple_toml(text)["project"]
    return tomllib.loads(text)["project"]


def _read_simple_toml(text: str) -> dict:
    """Tables of `key = "string"` and `key = ["strings", ...]` (lists may span lines)."""
    tables: dict = {}
    table = tables
    pending = ""
    for raw in text.splitlines():
        line = (
            (pending + " " + raw.split(" #")[0]).strip() if pending else raw.split(" #")[0].strip()
        )
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and not pending:
            table = tables
            for part in line.strip("[]").split("."):
                table = table.setdefault(part.strip('"'), {})
            continue
        if line.count("[") > line.count("]"):
            pending = line
            continue
        pending = ""
        key, _, value = line.partition("=")
        value = value.strip()
        if value.startswith("["):
            table[key.strip().strip('"')] = re.findall(r'"([^"]*)"', value)
        else:
            table[key.strip().strip('"')] = value.strip('"')
    return tables


def _files(root: Path) -> list[tuple[str, Path]]:
    source = root / "src" / PACKAGE
    found = [
        (path.relative_to(root / "src").as_posix(), path)
        for path in source.rglob("*")
        if path.is_file() and not SKIPPED.search(path.relative_to(root).as_posix())
    ]
    return sorted(found)


def _metadata(meta: dict, root: Path) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {meta['name']}",
        f"Version: {meta['version']}",
        f"Summary: {meta['description']}",
        f"License: {meta.get('license', '')}",
        f"Requires-Python: {meta['requires-python']}",
        *(f"Requires-Dist: {requirement}" for requirement in meta.get("dependencies", [])),
        "Description-Content-Type: text/markdown",
    ]
    readme = (root / meta.get("readme", "README.md")).read_text(encoding="utf-8")
    return "\n".join(lines) + "\n\n" + readme


def _entry_points(meta: dict) -> str:
    groups = dict(meta.get("entry-points", {}))
    if meta.get("scripts"):
        groups = {"console_scripts": meta["scripts"], **groups}
    return "".join(
        f"[{group}]\n"
        + "".join(f"{name} = {target}\n" for name, target in sorted(entries.items()))
        + "\n"
        for group, entries in sorted(groups.items())
    )


def _dist_name(meta: dict) -> str:
    return re.sub(r"[-_.]+", "_", meta["name"]).lower() + "-" + meta["version"]


def wheel_bytes(root: Path = HERE) -> tuple[str, bytes]:
    """The wheel's file name and content."""
    meta = project(root)
    info = _dist_name(meta) + ".dist-info"
    entries = [(name, path.read_bytes()) for name, path in _files(root)]
    entries += [
        (f"{info}/METADATA", _metadata(meta, root).encode()),
        (
            f"{info}/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: ixon-devkit build_backend\n"
            b"Root-Is-Purelib: true\nTag: py3-none-any\n",
        ),
        (f"{info}/entry_points.txt", _entry_points(meta).encode()),
    ]
    record = (
        "".join(f"{name},sha256={_digest(data)},{len(data)}\n" for name, data in entries)
        + f"{info}/RECORD,,\n"
    )
    entries.append((f"{info}/RECORD", record.encode()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in entries:
            item = zipfile.ZipInfo(name, FIXED_TIME)
            item.external_attr = 0o644 << 16
            item.create_system = 3
            archive.writestr(item, data)
    return f"{_dist_name(meta)}-py3-none-any.whl", buffer.getvalue()


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name, data = wheel_bytes()
    Path(wheel_directory, name).write_bytes(data)
    return name


def build_sdist(sdist_directory, config_settings=None):
    meta = project()
    base = _dist_name(meta)
    names = ["pyproject.toml", "build_backend.py", meta.get("readme", "README.md")]
    files = [(name, HERE / name) for name in names]
    files += [(f"src/{name}", path) for name, path in _files(HERE)]
    files += [
        (path.relative_to(HERE).as_posix(), path)
        for path in sorted((HERE / "tests").rglob("*"))
        if path.is_file() and not SKIPPED.search(path.relative_to(HERE).as_posix())
    ]
    files.append(("PKG-INFO", None))
    target = Path(sdist_directory, base + ".tar.gz")
    # tarfile leaves a file object it was given open: the gzip stream is closed here, or its
    # last block and trailer are never written.
    with open(target, "wb") as raw, _FixedGzip(raw) as compressed:  # noqa: SIM117 - Python 3.9
        with tarfile.open(fileobj=compressed, mode="w") as archive:
            for name, path in files:
                data = _metadata(meta, HERE).encode() if path is None else path.read_bytes()
                item = tarfile.TarInfo(f"{base}/{name}")
                item.size, item.mtime, item.mode = len(data), 315532800, 0o644
                archive.addfile(item, io.BytesIO(data))
    return target.name


class _FixedGzip(io.RawIOBase):
    """gzip without the file's name and time in its header."""

    def __new__(cls, raw):
        import gzip  # noqa: PLC0415

        return gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="")


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []
