"""A package index on a loopback port, for tests that resolve or install without the real one.

It speaks the simple repository API as uv and pip read it: JSON (PEP 691, with each file's
`upload-time` of PEP 700, which uv's `--exclude-newer` reads) or HTML (PEP 503) by the
`Accept` header, and serves the files. Its projects are wheels the tests make here
(`publish`): a package with a module, its metadata and a RECORD, installable for real, each
with the upload time the test gives it, so a test can publish a newer release "next month"
and see what a lock does with it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import re
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def make_wheel(name: str, version: str, requires: tuple[str, ...] = ()) -> tuple[str, bytes]:
    """A pure-Python wheel of `name` `version` (a module of the same name, requiring
    `requires`): its file name and bytes."""
    module = normalise(name).replace("-", "_")
    info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f'__version__ = "{version}"\n',
        f"{info}/METADATA": "".join(
            [
                "Metadata-Version: 2.1\n",
                f"Name: {name}\n",
                f"Version: {version}\n",
                *(f"Requires-Dist: {requirement}\n" for requirement in requires),
            ]
        ),
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: index_standin\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            archive.writestr(zipfile.ZipInfo(path, (2026, 1, 1, 0, 0, 0)), text)
    return f"{module}-{version}-py3-none-any.whl", buffer.getvalue()


@dataclass
class File:
    name: str
    content: bytes
    uploaded: datetime

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def metadata(self) -> bytes:
        """The wheel's METADATA, served beside it as PEP 658 has it."""
        with zipfile.ZipFile(io.BytesIO(self.content)) as archive:
            return archive.read(next(n for n in archive.namelist() if n.endswith("/METADATA")))


@dataclass
class Index:
    """The projects and their files; `url` once it serves."""

    projects: dict[str, list[File]] = field(default_factory=dict)
    url: str = ""
    requests: list[str] = field(default_factory=list)

    def publish(
        self,
        name: str,
        version: str,
        *,
        requires: tuple[str, ...] = (),
        uploaded: datetime | None = None,
    ) -> File:
        """Put a new release of `name` on the index (uploaded now unless said otherwise)."""
        filename, content = make_wheel(name, version, requires)
        published = File(filename, content, uploaded or datetime.now(timezone.utc))
        self.projects.setdefault(normalise(name), []).append(published)
        return published

    def file(self, filename: str) -> File | None:
        for files in self.projects.values():
            for candidate in files:
                if candidate.name == filename:
                    return candidate
        return None


def _page(index: Index, project: str, as_json: bool) -> tuple[str, bytes]:
    files = index.projects[project]
    if as_json:
        document = {
            "meta": {"api-version": "1.1"},
            "name": project,
            "versions": sorted({file.name.split("-")[1] for file in files}),
            "files": [
                {
                    "filename": file.name,
                    "url": f"{index.url}/files/{file.name}",
                    "hashes": {"sha256": file.sha256},
                    "upload-time": file.uploaded.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "size": len(file.content),
                    "core-metadata": {"sha256": hashlib.sha256(file.metadata).hexdigest()},
                }
                for file in files
            ],
        }
        return JSON_TYPE, json.dumps(document).encode()
    anchors = "".join(
        f'<a href="{index.url}/files/{html.escape(file.name)}#sha256={file.sha256}">'
        f"{html.escape(file.name)}</a><br>\n"
        for file in files
    )
    return "text/html", f"<!DOCTYPE html><html><body>\n{anchors}</body></html>\n".encode()


def _handler(index: Index) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            index.requests.append(self.path)
            self._answer(*self._find())

        def do_HEAD(self) -> None:  # noqa: N802 - http.server's name
            self._answer(*self._find(), with_body=False)

        def _find(self) -> tuple[int, str, bytes]:
            parts = [part for part in self.path.split("?")[0].split("/") if part]
            if len(parts) == 2 and parts[0] == "simple" and normalise(parts[1]) in index.projects:
                as_json = JSON_TYPE in self.headers.get("Accept", "")
                return (200, *_page(index, normalise(parts[1]), as_json))
            if len(parts) == 2 and parts[0] == "files":
                name = parts[1].removesuffix(".metadata")
                found = index.file(name)
                if found is not None:
                    body = found.metadata if parts[1] != name else found.content
                    return 200, "application/octet-stream", body
            return 404, "text/plain", b"not on this index\n"

        def _answer(self, status: int, kind: str, body: bytes, with_body: bool = True) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def log_message(self, *arguments: object) -> None:
            pass

    return Handler


@contextmanager
def serving(index: Index) -> Iterator[Index]:
    """Serve `index` on a free loopback port for the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(index))
    index.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield index
    finally:
        server.shutdown()
        server.server_close()


def environment(index: Index) -> dict[str, str]:
    """Variables that point uv and pip at `index` alone (and at no configured find-links or
    constraints of this machine)."""
    simple = f"{index.url}/simple"
    return {
        "UV_DEFAULT_INDEX": simple,
        "UV_INDEX_URL": simple,
        "UV_NO_CONFIG": "1",
        "UV_NO_CACHE": "1",
        "PIP_INDEX_URL": simple,
        "PIP_EXTRA_INDEX_URL": "",
        "PIP_FIND_LINKS": "",
        "PIP_CONSTRAINT": "",
        "PIP_NO_CACHE_DIR": "1",
        "PIP_CONFIG_FILE": "/dev/null",
    }
