"""A stand-in of OSV's query API (`POST /v1/query`) on loopback, for `invoke audit`'s tests.

It answers pip-audit's query (`{"package": {"name", "ecosystem"}, "version"}`) with the
advisories of a JSON file (OSV's schema: `id`, `aliases`, `summary`, `affected` with
`package`, `ranges` and `versions`) whose affected package and versions match, or `{}`, as
OSV answers a package without known vulnerabilities. pip-audit is pointed at it with its own
`--osv-url` option (the workspace passes `IXON_AUDIT_OSV_URL` on).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def matching(advisories: list[dict], name: str, version: str) -> list[dict]:
    """The advisories that affect `name` at `version`."""
    return [
        advisory
        for advisory in advisories
        if any(
            affected["package"] == {"name": name, "ecosystem": "PyPI"}
            and version in affected.get("versions", [])
            for affected in advisory["affected"]
        )
    ]


@contextmanager
def serving(advisories_file: Path) -> Iterator[str]:
    """Serve the advisories of `advisories_file`; yields the query URL."""
    advisories = json.loads(advisories_file.read_text(encoding="utf-8"))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            found = matching(advisories, query["package"]["name"], query["version"])
            body = json.dumps({"vulns": found} if found else {}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *arguments: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    finally:
        server.shutdown()
        server.server_close()
