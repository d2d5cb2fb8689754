"""Package indexes on a loopback port, for tests that resolve or install without the real one.

Both speak the simple repository API as uv and pip read it: JSON (PEP 691, with each file's
`upload-time` of PEP 700, which uv's `--exclude-newer` reads, and the wheel's metadata beside
it as PEP 658 has it) or HTML (PEP 503) by the `Accept` header.

- `Index`: wheels the tests make here (`publish`): a package with a module, its metadata and a
  RECORD, installable for real, each with the upload time the test gives it, so a test can
  publish a newer release "next month" and see what a lock does with it.
- `Snapshot`: what the real index answered a resolution, kept in `tests/index-snapshot/` (each
  project's files up to the template's `lock_moment`: names, hashes, upload times; and, of the
  wheels uv read, the metadata fields a resolution reads), so a test can resolve the
  template's real declarations as uv does, with no network. Nothing there names the index it
  came from. Recorded by running those tests with IXON_TEST_INDEX_RECORD set to the simple
  index to ask (see README: Developing the template); a request the snapshot cannot answer
  fails the test with that advice. The tooling's own project (`ixon-devkit`) has an empty
  page there on purpose: its wheel is the one this checkout builds, which the tests offer as
  find-links (conftest's DEVKIT_DIST), as a release's index would offer it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import re
import threading
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
#: Projects a snapshot neither records nor misses: the tooling, whose wheel the tests build and
#: offer in a folder of their own (conftest's DEVKIT_DIST, standing for a release's index).
NOT_RECORDED = frozenset({"ixon-devkit"})


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
        return self.add(filename, content, uploaded)

    def add(self, filename: str, content: bytes, uploaded: datetime | None = None) -> File:
        """Put a wheel made elsewhere on the index (pip's own, for `uv venv --seed`)."""
        published = File(filename, content, uploaded or datetime.now(UTC))
        self.projects.setdefault(_version(filename)[0], []).append(published)
        return published

    def file(self, filename: str) -> File | None:
        for files in self.projects.values():
            for candidate in files:
                if candidate.name == filename:
                    return candidate
        return None

    def page(self, project: str, as_json: bool) -> tuple[str, bytes] | None:
        return _page(self, project, as_json) if project in self.projects else None

    def download(self, filename: str, metadata: bool) -> bytes | None:
        found = self.file(filename)
        if found is None:
            return None
        return found.metadata if metadata else found.content


def _page(index: Index, project: str, as_json: bool) -> tuple[str, bytes]:
    entries = [
        {
            "filename": file.name,
            "hashes": {"sha256": file.sha256},
            "upload-time": file.uploaded.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "core-metadata": {"sha256": hashlib.sha256(file.metadata).hexdigest()},
        }
        for file in index.projects[project]
    ]
    return render(index.url, project, entries, as_json)


def render(
    url: str, project: str, entries: list[dict[str, Any]], as_json: bool
) -> tuple[str, bytes]:
    """A project's simple page (content type, body) listing `entries` (PEP 691 file entries
    without their URL), each file served by the stand-in at `url`."""
    files = [{**entry, "url": f"{url}/files/{entry['filename']}"} for entry in entries]
    if as_json:
        document = {"meta": {"api-version": "1.1"}, "name": project, "files": files}
        return JSON_TYPE, json.dumps(document).encode()
    anchors = "".join(
        f'<a href="{html.escape(file["url"])}#sha256={file["hashes"]["sha256"]}">'
        f"{html.escape(file['filename'])}</a><br>\n"
        for file in files
    )
    return "text/html", f"<!DOCTYPE html><html><body>\n{anchors}</body></html>\n".encode()


class Source(Protocol):
    url: str
    requests: list[str]

    def page(self, project: str, as_json: bool) -> tuple[str, bytes] | None: ...

    def download(self, filename: str, metadata: bool) -> bytes | None: ...


def _handler(index: Source) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            index.requests.append(self.path)
            self._answer(*self._find())

        def do_HEAD(self) -> None:
            self._answer(*self._find(), with_body=False)

        def _find(self) -> tuple[int, str, bytes]:
            parts = [part for part in self.path.split("?")[0].split("/") if part]
            if len(parts) == 2 and parts[0] == "simple":
                page = index.page(normalise(parts[1]), JSON_TYPE in self.headers.get("Accept", ""))
                if page is not None:
                    return (200, *page)
            if len(parts) == 2 and parts[0] == "files":
                name = parts[1].removesuffix(".metadata")
                body = index.download(name, metadata=parts[1] != name)
                if body is not None:
                    return 200, "application/octet-stream", body
            return 404, "text/plain", b"not on this index\n"

        def _answer(self, status: int, kind: str, body: bytes, with_body: bool = True) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            if status == 200 and getattr(index, "uv_cache", ""):  # a snapshot never changes
                self.send_header("Cache-Control", "max-age=86400, immutable")
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def log_message(self, *arguments: object) -> None:
            pass

    return Handler


@dataclass
class Snapshot:
    """The real index's answers kept in `folder` (see the module's docstring); with `upstream`
    (a simple index URL) it records: asks there, keeps what it got and answers with it."""

    folder: Path
    moment: str
    upstream: str = ""
    url: str = ""
    requests: list[str] = field(default_factory=list)
    #: What a test asked that the snapshot does not hold.
    missing: list[str] = field(default_factory=list)
    #: Where uv may cache the answers (a folder of the test session's own), or "" for none.
    uv_cache: str = ""
    _urls: dict[str, str] = field(default_factory=dict)
    _projects: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def page(self, project: str, as_json: bool) -> tuple[str, bytes] | None:
        if project in NOT_RECORDED:
            return None  # what a folder of the session serves (find-links), never the index
        path = self.folder / "pages" / f"{project}.json"
        if self.upstream:
            with self._lock:
                self._record_page(project, path)
        if not path.is_file():
            self.missing.append(f"the project {project}")
            return None
        entries = json.loads(path.read_text(encoding="utf-8"))
        return render(self.url, project, entries, as_json)

    def download(self, filename: str, metadata: bool) -> bytes | None:
        path = self.folder / "metadata" / f"{filename}.metadata"
        if self.upstream and filename in self._urls and not (metadata and path.is_file()):
            with self._lock:
                return self._record_download(filename, metadata, path)
        if metadata and path.is_file():
            return path.read_bytes()
        self.missing.append(f"the {'metadata of ' if metadata else ''}file {filename}")
        return None

    def _record_download(self, filename: str, metadata: bool, path: Path) -> bytes:
        """Ask upstream for the file (or its metadata) and answer it as it came; keep the
        wheel's metadata that resolving reads, and say so in its page, so that a replay gives
        uv that metadata instead of the file."""
        body = _fetch(self._urls[filename] + (".metadata" if metadata else ""))
        if metadata:
            found = body
        elif filename.endswith(".whl"):
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                info = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
                found = archive.read(info[0])
        else:
            return body  # an sdist: its metadata needs a build; a replay will miss it
        keep_metadata(self.folder, self._projects[filename], filename, found)
        return body

    def _record_page(self, project: str, path: Path) -> None:
        answer = json.loads(_fetch(f"{self.upstream.rstrip('/')}/{project}/", JSON_TYPE))
        kept = []
        for file in answer.get("files", []):
            uploaded = file.get("upload-time") or ""
            if not uploaded or uploaded[:19] + "Z" > self.moment:
                continue  # published after the moment (or undated): never a candidate
            self._urls[file["filename"]] = urllib.parse.urljoin(
                f"{self.upstream.rstrip('/')}/{project}/", file["url"]
            )
            self._projects[file["filename"]] = project
            kept.append(_kept_fields(file))
        if path.is_file():  # the metadata kept before is what a replay serves: its hash
            before = {e["filename"]: e for e in json.loads(path.read_text(encoding="utf-8"))}
            for entry in kept:
                known = before.get(entry["filename"], {}).get("core-metadata")
                if known:
                    entry["core-metadata"] = known
        _write_page(path, kept)


#: The metadata fields a resolution reads (core metadata 2.x); the rest (descriptions,
#: authors, project links) is the package's own text, not kept.
RESOLVING_FIELDS = (
    "Metadata-Version",
    "Name",
    "Version",
    "Requires-Dist",
    "Requires-Python",
    "Provides-Extra",
    "Dynamic",
)


def resolving_metadata(metadata: bytes) -> bytes:
    """The fields of a wheel's METADATA that resolving reads, in their order."""
    header = metadata.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("utf-8")
    kept = []
    for line in header.split("\n"):
        name = line.split(":", 1)[0]
        if name in RESOLVING_FIELDS and not line[:1].isspace():
            kept.append(line)
    return ("\n".join(kept) + "\n").encode("utf-8")


def keep_metadata(folder: Path, project: str, filename: str, metadata: bytes) -> None:
    """Keep what resolving reads of `filename`'s metadata in the snapshot at `folder`, and
    name its hash in the project's page (PEP 658), so that a replay serves it."""
    kept = resolving_metadata(metadata)
    path = folder / "metadata" / f"{filename}.metadata"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(kept)
    page = folder / "pages" / f"{project}.json"
    entries = json.loads(page.read_text(encoding="utf-8"))
    for entry in entries:
        if entry["filename"] == filename:
            entry["core-metadata"] = {"sha256": hashlib.sha256(kept).hexdigest()}
    _write_page(page, entries)


def trim(folder: Path) -> None:
    """Keep, on every recorded page, only the versions uv read the metadata of (all their
    files: their hashes go into the locks): the resolution took those, and a replay of the
    same resolution asks for nothing else."""
    tried = {_version(path.name.removesuffix(".metadata")) for path in folder.glob("metadata/*")}
    for page in folder.glob("pages/*.json"):
        entries = json.loads(page.read_text(encoding="utf-8"))
        _write_page(page, [e for e in entries if _version(e["filename"]) in tried])


def _version(filename: str) -> tuple[str, str]:
    """(normalised project, version) of a wheel's or an sdist's file name."""
    if filename.endswith(".whl"):
        name, version = filename.split("-")[:2]
    else:
        stem = re.sub(r"\.(tar\.gz|zip|tar\.bz2)$", "", filename)
        name, _, version = stem.rpartition("-")
    return normalise(name), version


def _write_page(path: Path, entries: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, indent=0, sort_keys=True) + "\n", encoding="utf-8")


#: What a snapshot keeps of each file's entry (the URL is the stand-in's own on replay).
_FIELDS = ("filename", "hashes", "requires-python", "upload-time", "yanked", "core-metadata")


def _kept_fields(file: dict[str, Any]) -> dict[str, Any]:
    kept = {key: file[key] for key in _FIELDS if key in file and file[key] not in (None, False)}
    kept["hashes"] = {"sha256": file["hashes"]["sha256"]}
    if isinstance(kept.get("core-metadata"), dict):
        kept["core-metadata"] = {"sha256": kept["core-metadata"]["sha256"]}
    return kept


def _fetch(url: str, accept: str = "*/*") -> bytes:
    request = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return answer.read()


@contextmanager
def serving(index: Any) -> Iterator[Any]:
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


def environment_names() -> list[str]:
    """The variables `environment` sets."""
    return list(environment(Index(url="http://127.0.0.1:9")))


def environment(index: Any) -> dict[str, str]:
    """Variables that point uv and pip at `index` alone (and at no configured find-links or
    constraints of this machine). uv caches a snapshot's answers (they never change) in a
    folder of its own; an `Index`, whose answers do change, not at all."""
    simple = f"{index.url}/simple"
    cache = getattr(index, "uv_cache", "")
    return {
        "UV_DEFAULT_INDEX": simple,
        "UV_INDEX_URL": simple,
        "UV_NO_CONFIG": "1",
        **({"UV_CACHE_DIR": cache} if cache else {"UV_NO_CACHE": "1"}),
        "PIP_INDEX_URL": simple,
        "PIP_EXTRA_INDEX_URL": "",
        "PIP_FIND_LINKS": "",
        "PIP_CONSTRAINT": "",
        "PIP_NO_CACHE_DIR": "1",
        "PIP_CONFIG_FILE": "/dev/null",
    }
