"""The deployed Cloud Function in the stand-in of IXON's API (`tests/ixon_standin.py`).

The endpoints `invoke status`, `invoke call --remote`, `invoke deploy --smoke`, `invoke logs`
and `invoke config pull|push` talk to, in the paths and shapes of IXON's OpenAPI description
0.1.294 (each with IXON's required headers, `Api-Company` included):

- `BackendComponentTemplate`: GET `/backend-component-templates/{publicId}` (`draft`,
  `published`, `configuredVersion` {publicId, number}, `accessTokenScope`,
  `defaultConfigValues`, `configConfidentiality`);
- `BackendComponentTemplateVersionList`: GET `/backend-component-template-versions` (each
  upload: `template`, `publicId`, `number`, `createdOn`, `publishedOn`, `createdBy`), with
  IXON's `filters=eq(template.publicId,"...")`;
- `BackendComponentTemplateConfigList`: GET `/backend-component-template-configs` (`publicId`,
  `template`, `company`, `values`, `allowDraft`, `pinnedVersion`, `enabled`); POST makes one;
- `BackendComponentTemplateConfig`: GET/PATCH `/backend-component-template-configs/{publicId}`
  (PATCH takes `values`);
- `BackendComponentFunctionCall`: POST `/backend-component-function-call` with `{"template":
  {"publicId"}, "name", "arguments"}`, answered 201 with `data.value`;
- `BackendComponentTemplateDownloadLogs`: GET `/backend-component-templates/{publicId}/logs`.
  The description leaves its `data` open; this stand-in answers `data` as a list of entries
  (`{"timestamp", "level", "function", "message"}` unless a test puts other shapes in `logs`).

Every upload becomes a version (IXON's number counting up, the new draft). A function call runs
the configured version's archive for real: unpacked, and called through ixoncdkingress's own
request handling by the workspace environment's Python (`python`), with the company's
configuration values as `config`; each call is logged (info), a failed one as an error.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import tempfile
import threading
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from conftest import WORKSPACE_TEMPLATE

TEMPLATES = "/api/backend-component-templates/"
VERSIONS = "/api/backend-component-template-versions"
CONFIGS = "/api/backend-component-template-configs"
CALL = "/api/backend-component-function-call"
#: Discovery name -> the link's path.
LINKS = {
    "BackendComponentTemplate": TEMPLATES + "{publicId}",
    "BackendComponentTemplateVersionList": VERSIONS,
    "BackendComponentTemplateConfigList": CONFIGS,
    "BackendComponentTemplateConfig": CONFIGS + "/{publicId}",
    "BackendComponentFunctionCall": CALL,
    "BackendComponentTemplateDownloadLogs": TEMPLATES + "{publicId}/logs",
}
#: Fault names (for `StandIn.fail`) of these endpoints.
FAULTS = ("template", "versions", "configs", "config", "function-call", "logs")
CONFIG_ID = "CoNfIg000001"
#: Runs one call in the workspace environment: ixoncdkingress's own request handling (through
#: the workspace's `ixon_devkit.testing.run`) on the unpacked archive.
DRIVER = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from ixon_devkit.serve import request_body; from ixon_devkit.testing import run as testing
call = json.loads(sys.stdin.read())
client = testing.FunctionClient(Path(sys.argv[2]), call["context"], config=call["config"])
body = request_body.request_body(
    call["name"], call["arguments"], context=call["context"], config=call["config"]
)
answer = client.post(request_body.encode(body))
print(json.dumps({"status": answer.status, "body": answer.body.decode("utf-8", "replace")}))
"""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Cloud:
    """What IXON holds about the Cloud Function template for the company."""

    template_id: str
    company_id: str
    #: The workspace environment's Python, which runs the deployed archive (None: calls fail).
    python: Path | None = None
    versions: list[dict[str, Any]] = field(default_factory=list)
    archives: dict[str, bytes] = field(default_factory=dict)
    draft: str | None = None
    published: str | None = None
    access_token_scope: str | None = None
    default_config_values: str | None = None
    confidentiality: str = "public"
    #: The company's configuration (None: the company has none yet).
    config: dict[str, Any] | None = field(
        default_factory=lambda: {
            "values": '{"greeting": "Hello"}',
            "enabled": True,
            "allowDraft": True,
            "pinnedVersion": None,
        }
    )
    logs: list[Any] = field(default_factory=list)
    #: The `values` of every config PATCH or POST received, as sent.
    sent_values: list[Any] = field(default_factory=list)
    #: Every function call received: its body.
    calls: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()

    def uploaded(self, archive: bytes, user: str) -> None:
        """An upload: a new version, IXON's next number, the new draft."""
        with self.lock:
            public_id = f"VeRsIoN{len(self.versions) + 1:05d}"
            self.versions.append(
                {
                    "template": {"publicId": self.template_id},
                    "publicId": public_id,
                    "number": str(len(self.versions) + 1),
                    "createdOn": now(),
                    "publishedOn": None,
                    "createdBy": {"publicId": "UsEr00000001", "name": user},
                }
            )
            self.archives[public_id] = archive
            self.draft = public_id

    def publish(self, public_id: str) -> None:
        with self.lock:
            self.published = public_id
            for version in self.versions:
                if version["publicId"] == public_id:
                    version["publishedOn"] = now()

    def log(self, level: str, message: str, function: str = "") -> None:
        with self.lock:
            self.logs.append(
                {"timestamp": now(), "level": level, "function": function, "message": message}
            )

    def configured(self) -> dict[str, Any] | None:
        """The version the company runs: pinned, else published, else (drafts allowed) the
        draft."""
        config = self.config or {}
        wanted = (config.get("pinnedVersion") or {}).get("publicId") or self.published
        if wanted is None and config.get("allowDraft"):
            wanted = self.draft
        return next((v for v in self.versions if v["publicId"] == wanted), None)

    def template(self) -> dict[str, Any]:
        configured = self.configured()
        return {
            "publicId": self.template_id,
            "company": {"publicId": self.company_id, "name": "Acme Machines"},
            "name": "My Cloud Function",
            "description": None,
            "draft": {"publicId": self.draft} if self.draft else None,
            "published": {"publicId": self.published} if self.published else None,
            "configuredVersion": (
                {"publicId": configured["publicId"], "number": configured["number"]}
                if configured
                else None
            ),
            "apiApplication": {"publicId": "AppLiCaTi0n1", "name": "My Cloud Function"},
            "accessTokenScope": self.access_token_scope,
            "private": True,
            "ownerName": "Acme Machines",
            "defaultConfigValues": self.default_config_values,
            "configConfidentiality": self.confidentiality,
        }

    def config_item(self) -> dict[str, Any] | None:
        if self.config is None:
            return None
        return {
            "publicId": CONFIG_ID,
            "template": {"publicId": self.template_id},
            "company": {"publicId": self.company_id},
            **self.config,
        }

    def run(self, name: str, arguments: Any) -> tuple[int, Any]:
        """Call `name` in the configured version: (HTTP status, IXON's answer body)."""
        version = self.configured()
        if version is None or not (self.config or {}).get("enabled"):
            return 400, _error("The app is not enabled for this company", "template")
        try:
            config = json.loads((self.config or {}).get("values") or "{}")
        except ValueError:
            config = {}
        call = {
            "name": name,
            "arguments": arguments or {},
            "config": config,
            "context": {
                "company": {
                    "publicId": self.company_id,
                    "name": "Acme Machines",
                    "custom": {},
                    "permissions": [],
                }
            },
        }
        answer = self._run_archive(self.archives[version["publicId"]], call)
        if answer is None or answer["status"] != 200:
            lines = answer["body"].strip().splitlines() if answer else []
            detail = lines[-1][:300] if lines else "no workspace environment to run it"
            self.log("ERROR", f"Function {name} failed: {detail}", name)
            return 500, _error("Function call failed", None)
        self.log("INFO", f"Function {name} called", name)
        return 201, {
            "type": "BackendComponentFunctionCall",
            "data": {"value": json.loads(answer["body"])},
            "moreAfter": None,
            "status": "success",
        }

    def _run_archive(self, archive: bytes, call: dict[str, Any]) -> dict[str, Any] | None:
        if self.python is None:
            return None
        with tempfile.TemporaryDirectory(prefix="deployed-") as folder:
            zipfile.ZipFile(io.BytesIO(archive)).extractall(folder)
            done = subprocess.run(
                [str(self.python), "-c", DRIVER, str(WORKSPACE_TEMPLATE), folder],
                input=json.dumps(call),
                capture_output=True,
                text=True,
                timeout=120,
                env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"},
            )
        if done.returncode != 0:
            return {"status": 500, "body": done.stderr[-500:]}
        return json.loads(done.stdout.strip().splitlines()[-1])


def _error(message: str, property_name: str | None) -> dict[str, Any]:
    item = {"message": message, "propertyName": property_name}
    return {"type": "Error", "data": [item], "moreAfter": None, "status": "error"}


def _success(kind: str, data: Any) -> dict[str, Any]:
    return {"type": kind, "data": data, "moreAfter": None, "status": "success"}


def _template_filter(query: dict[str, list[str]]) -> str | None:
    """The template of IXON's `filters=eq(template.publicId,"...")`, if given."""
    for value in query.get("filters", []):
        found = re.fullmatch(r'eq\(template\.publicId,"([^"]*)"\)', value)
        if found:
            return found.group(1)
    return None


def handle(handler: Any, method: str, body: bytes) -> bool:
    """Answer a request to one of these endpoints (True), or leave it (False)."""
    parts = urlsplit(handler.path)
    path, query = parts.path, parse_qs(parts.query)
    cloud: Cloud = handler.api.cloud
    if path.startswith(TEMPLATES):
        rest = path[len(TEMPLATES) :]
        public_id, _, tail = rest.partition("/")
        endpoint = {"": "template", "logs": "logs"}.get(tail)
        if endpoint is None or method != "GET":
            return False
        if handler._fault(endpoint) or not handler._authorized():
            return True
        if public_id != cloud.template_id:
            handler._answer(404, _error("Not found", "publicId"))
        elif endpoint == "logs":
            handler._answer(200, _success("BackendComponentTemplateDownloadLogs", cloud.logs))
        else:
            handler._answer(200, _success("BackendComponentTemplate", cloud.template()))
        return True
    if path == VERSIONS and method == "GET":
        if handler._fault("versions") or not handler._authorized():
            return True
        wanted = _template_filter(query)
        listed = [
            v for v in cloud.versions if wanted is None or v["template"]["publicId"] == wanted
        ]
        handler._answer(200, _success("BackendComponentTemplateVersionList", listed))
        return True
    if path == CONFIGS and method in ("GET", "POST"):
        if handler._fault("configs") or not handler._authorized():
            return True
        if method == "POST":
            return _create_config(handler, cloud, body)
        item = cloud.config_item()
        wanted = _template_filter(query)
        listed = [item] if item and wanted in (None, cloud.template_id) else []
        handler._answer(200, _success("BackendComponentTemplateConfigList", listed))
        return True
    if path == f"{CONFIGS}/{CONFIG_ID}" and method in ("GET", "PATCH"):
        if handler._fault("config") or not handler._authorized():
            return True
        if cloud.config is None:
            handler._answer(404, _error("Not found", "publicId"))
        elif method == "PATCH":
            _patch_config(handler, cloud, body)
        else:
            handler._answer(200, _success("BackendComponentTemplateConfig", cloud.config_item()))
        return True
    if path == CALL and method == "POST":
        if handler._fault("function-call") or not handler._authorized():
            return True
        _call(handler, cloud, body)
        return True
    return False


def _json_body(handler: Any, body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        handler._answer(400, _error("Invalid JSON", None))
        return None


def _values_ok(handler: Any, values: Any) -> bool:
    if values is not None and (not isinstance(values, str) or len(values) > 65535):
        handler._answer(400, _error("A string of at most 65535 characters", "values"))
        return False
    return True


def _patch_config(handler: Any, cloud: Cloud, body: bytes) -> None:
    document = _json_body(handler, body)
    if document is None:
        return
    if not isinstance(document, dict) or "values" not in document:
        handler._answer(400, _error('Expected {"values": ...}', "values"))
        return
    if not _values_ok(handler, document["values"]):
        return
    with cloud.lock:
        cloud.sent_values.append(document["values"])
        assert cloud.config is not None
        cloud.config["values"] = document["values"]
    handler._answer(200, _success("BackendComponentTemplateConfig", None))


def _create_config(handler: Any, cloud: Cloud, body: bytes) -> bool:
    document = _json_body(handler, body)
    if document is None:
        return True
    items = document if isinstance(document, list) else [document]
    item = items[0] if items and isinstance(items[0], dict) else {}
    if (item.get("template") or {}).get("publicId") != cloud.template_id:
        handler._answer(404, _error("Not found", "template"))
        return True
    if not _values_ok(handler, item.get("values")):
        return True
    with cloud.lock:
        cloud.sent_values.append(item.get("values"))
        cloud.config = {
            "values": item.get("values"),
            "enabled": False,
            "allowDraft": False,
            "pinnedVersion": None,
        }
    handler._answer(201, _success("BackendComponentTemplateConfigList", [{"publicId": CONFIG_ID}]))
    return True


def _call(handler: Any, cloud: Cloud, body: bytes) -> None:
    document = _json_body(handler, body)
    if document is None:
        return
    template = (document.get("template") or {}) if isinstance(document, dict) else {}
    name = document.get("name") if isinstance(document, dict) else None
    if not isinstance(name, str) or not name:
        handler._answer(400, _error("Required", "name"))
        return
    if template.get("publicId") != cloud.template_id:
        handler._answer(404, _error("Not found", "template"))
        return
    with cloud.lock:
        cloud.calls.append(document)
    status, answer = cloud.run(name, document.get("arguments"))
    handler._answer(status, answer)
