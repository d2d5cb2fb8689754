"""A local stand-in for IXON's API v2: discovery and the Cloud Function upload, over real HTTP.

Built on the workspace's own stand-in of the API (`ixon_devkit/testing/api_standin.py`): its
loopback server, request handler, error body and `fields` selection; this module adds the
endpoints a deploy, a UI deploy and `invoke doctor --online` talk to, and injected faults.

It listens on 127.0.0.1 on a free port and speaks the documented shapes: the discovery document
at the base URL (with a `BackendComponentTemplateVersionUpload` link holding `{publicId}`), and
the upload endpoint, which checks the headers IXON requires, keeps the archive it receives and
answers `{"status": "success", ...}` or IXON's error shape. What `invoke doctor --online` reads
answers in the shapes of IXON's OpenAPI description (0.1.294), cut down to the `fields` asked
for: `MyUser` (`/users/me`), `MyCompany` (`/companies/me`), `UserMembershipList`
(`/users/memberships`: `{publicId, user, group, role}`), `GroupList` (`/groups`, the company's
own group with `isCompanyGroup: true`) and `RoleList` (`/roles`: `{publicId, name}`). Faults are
injected per endpoint (one of ENDPOINTS):

    with StandIn(company_id=..., template_id=..., token=...) as api:
        api.fail("upload", status=503, times=2)          # two 503s, then success
        api.fail("discovery", body="html")               # an HTML page instead of JSON
        api.fail("upload", status=429, retry_after="1")  # rate limited
        api.fail("upload", delay=2.0)                    # slow: a read timeout
        api.fail("upload", drip=0.2)                     # the answer one byte every 0.2 s
        api.hold_answers()                               # take uploads, answer none until...
        api.release()                                    # ...released (a deploy killed meanwhile)
        api.upload_origin = "http://127.0.0.1:9"         # the upload link on another origin
        api.upload_link = False                          # discovery without the upload link
        api.provisioning = True                          # companyToBeProvisioned in the answer
        api.role = "Platform administrator"              # the role of the company-wide membership
        ...
        api.uploads   # the archives received, as bytes
        api.requests  # every request: method, path, headers

UI Components (page-component templates), as IXON's component SDK talks to them:

        api.page_templates = {"PcT0000000A1"}              # the templates that exist
        api.fail("ui-upload", status=500)                  # POST .../version-upload
        api.fail("publish", status=403)                    # PATCH page-component-template-versions
        api.ui_versions  # versionId -> {"template", "number", "published", "archive"}

The deployed Cloud Function (versions, configuration, function calls, logs) is in
`tests/ixon_standin_cloud.py`, as `api.cloud`:

        api.cloud.python = shared_venv / "bin" / "python"  # runs the uploaded archive's calls
        api.cloud.access_token_scope = "AgentList"        # what IXON granted the function
        api.fail("function-call", status=500)              # and the other names of its FAULTS
"""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import ixon_standin_cloud

from conftest import workspace_module

UPLOAD_LINK = "BackendComponentTemplateVersionUpload"
APPLICATION_ID = "9J9IZzeT4xN4"
UPLOAD_PATH = "/api/backend-component-templates/{publicId}/version-upload"
#: The account endpoints doctor reads: discovery name -> (path, fault name, needs Api-Company).
ACCOUNT = {
    "MyUser": ("/api/users/me", "user", False),
    "MyCompany": ("/api/companies/me", "company", True),
    "UserMembershipList": ("/api/users/memberships", "memberships", True),
    "GroupList": ("/api/groups", "groups", True),
    "RoleList": ("/api/roles", "roles", True),
}
USER_ID = "UsEr00000001"
COMPANY_GROUP = "GrCoMpAnY001"
UI_UPLOAD_PREFIX = "/api/page-component-templates/"
UI_UPLOAD_SUFFIX = "/version-upload"
PUBLISH_PREFIX = "/api/page-component-template-versions/"
ENDPOINTS = (
    "discovery",
    "upload",
    "ui-upload",
    "publish",
    *(fault for _path, fault, _company in ACCOUNT.values()),
    *ixon_standin_cloud.FAULTS,
)

# One stand-in: the workspace's plumbing (server, handler, error body, `fields` selection).
_shared = workspace_module("ixon_devkit.testing.api_standin")
select_fields = _shared.select_fields
error_body = _shared.error_body


@dataclass
class Fault:
    """One injected fault: for `times` requests (None: all) to `endpoint`."""

    endpoint: str
    status: int = 500
    body: str = "json"  # "json" (IXON's error shape), "html", "text", "empty" or "echo"
    retry_after: str | None = None
    delay: float = 0.0
    times: int | None = 1
    drip: float = 0.0


@dataclass
class Recorded:
    """A request as the stand-in saw it."""

    method: str
    path: str
    headers: dict[str, str]
    size: int


@dataclass
class StandIn(_shared.LoopbackServer):
    """IXON's API for one company, Cloud Function template and access token."""

    company_id: str = "7966-5700-7008-0957-0300"
    template_id: str = "RHQa2MEa0Dxg"
    token: str = "Tk3nS3cr3tV4lu3Xy7Qw9Er1Ty5Ui2Op"
    application_id: str = APPLICATION_ID
    upload_link: bool = True
    upload_origin: str | None = None
    provisioning: bool = False
    user_name: str = "Ada Lovelace"
    company_name: str = "Acme Machines"
    role: str | None = None
    faults: list[Fault] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    uploads: list[bytes] = field(default_factory=list)
    page_templates: set[str] = field(default_factory=lambda: {"PcT0000000A1"})
    ui_versions: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Set while uploads are taken (kept in `uploads`) but not answered: see `hold_answers`.
    held: threading.Event | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = None
        self.handler = _Handler
        self.cloud = ixon_standin_cloud.Cloud(self.template_id, self.company_id)

    def hold_answers(self) -> None:
        """Take every upload from now on (IXON has it) but answer none until `release`: the
        moment between IXON accepting an upload and the deploy hearing so."""
        self.held = threading.Event()

    def release(self) -> None:
        """Answer the uploads held, and those after them at once."""
        if self.held is not None:
            self.held.set()

    def stop(self) -> None:
        self.release()  # no handler stays waiting for an answer nobody will read
        super().stop()

    # -- faults --------------------------------------------------------------------------------

    def fail(
        self,
        endpoint: str,
        status: int = 500,
        *,
        body: str = "json",
        retry_after: str | None = None,
        delay: float = 0.0,
        times: int | None = 1,
        drip: float = 0.0,
    ) -> None:
        """Answer the next `times` requests to `endpoint` (one of ENDPOINTS) badly; with
        `drip`, send the answer (status line and headers too) one byte every `drip` s."""
        assert endpoint in ENDPOINTS
        self.faults.append(Fault(endpoint, status, body, retry_after, delay, times, drip))

    def take_fault(self, endpoint: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.endpoint == endpoint and (fault.times is None or fault.times > 0):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def account_data(self, name: str) -> Any:
        """What an account endpoint holds: the user, with a membership in the company's own
        group (role `role`) and one in an asset group; another user in the company group."""
        role_ids = {"Platform administrator": "RoLe00000001", "Viewer": "RoLe00000002"}
        if self.role is not None:
            role_ids.setdefault(self.role, "RoLe00000003")
        if name == "MyUser":
            return {"publicId": USER_ID, "type": "person", "name": self.user_name}
        if name == "MyCompany":
            return {"publicId": self.company_id, "name": self.company_name}
        if name == "GroupList":
            return [
                {"publicId": COMPANY_GROUP, "name": self.company_name, "isCompanyGroup": True},
                {"publicId": "GrAsSeT00001", "name": "Pumps", "isCompanyGroup": False},
            ]
        if name == "RoleList":
            return [{"publicId": public_id, "name": role} for role, public_id in role_ids.items()]
        memberships = [
            _membership(
                "MeMbEr000001", "UsEr00000002", COMPANY_GROUP, role_ids["Platform administrator"]
            ),
            _membership(
                "MeMbEr000002", USER_ID, "GrAsSeT00001", role_ids["Platform administrator"]
            ),
        ]
        if self.role is not None:
            memberships.append(
                _membership("MeMbEr000003", USER_ID, COMPANY_GROUP, role_ids[self.role])
            )
        return memberships

    def count(self, method: str) -> int:
        """How many requests with `method` arrived."""
        return sum(1 for request in self.requests if request.method == method)


def _membership(public_id: str, user: str, group: str, role: str) -> dict[str, Any]:
    """A membership as UserMembershipList answers it."""
    return {
        "publicId": public_id,
        "user": {"publicId": user},
        "invite": None,
        "group": {"publicId": group},
        "role": {"publicId": role},
        "expiresOn": None,
    }


class _Handler(_shared.JsonHandler):
    api: StandIn

    # -- plumbing ------------------------------------------------------------------------------

    def _answer(
        self,
        status: int,
        payload: Any,
        *,
        kind: str = "json",
        headers: dict | None = None,
        drip: float = 0.0,
    ) -> None:
        if kind == "json":
            content, content_type = json.dumps(payload).encode(), "application/json"
        elif kind == "html":
            content = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
            content_type = "text/html; charset=utf-8"
        elif kind == "text":
            content, content_type = b"upstream connect error", "text/plain"
        else:
            content, content_type = b"", "application/json"
        wire, self.wfile = self.wfile, io.BytesIO()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(content)
        data, self.wfile = self.wfile.getvalue(), wire
        try:
            if not drip:
                self.wfile.write(data)
                return
            for index in range(len(data)):  # bounded: one byte at a time, until the client goes
                self.wfile.write(data[index : index + 1])
                self.wfile.flush()
                time.sleep(drip)
        except OSError:
            pass  # the client gave up (a timeout test): nothing to answer to

    def _record(self, size: int) -> None:
        with self.api._lock:
            self.api.requests.append(
                Recorded(self.command, self.path, dict(self.headers.items()), size)
            )

    def _fault(self, endpoint: str) -> bool:
        fault = self.api.take_fault(endpoint)
        if fault is None:
            return False
        if fault.delay:
            time.sleep(fault.delay)
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
        messages = {
            401: ("Invalid access token", None),
            403: ("Access denied: missing permission", None),
            404: ("Not found", "publicId"),
            429: ("Too many requests", None),
        }
        default = ("Internal server error", None) if fault.status >= 500 else ("Bad request", None)
        message, prop = messages.get(fault.status, default)
        kind = fault.body
        if kind == "echo":
            # A careless server that repeats the credentials it got in its error message.
            message, prop, kind = f"Invalid {self.headers.get('Authorization')}", None, "json"
        if fault.drip and fault.status < 300:
            payload: Any = {"type": "Discovery", "data": [], "moreAfter": None, "status": "success"}
        else:
            payload = error_body(message, prop)
        self._answer(fault.status, payload, kind=kind, headers=headers, drip=fault.drip)
        return True

    # -- endpoints -----------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._record(0)
        if ixon_standin_cloud.handle(self, "GET", b""):
            return
        path = self.path.split("?")[0]
        for name, (account_path, _fault, _company) in ACCOUNT.items():
            if path == account_path:
                self._account(name)
                return
        if self.path.rstrip("/") != "/api":
            self._answer(404, error_body("Not found"))
            return
        if self._fault("discovery"):
            return
        if self.headers.get("Api-Version") != "2":
            self._answer(400, error_body("Required header", "Api-Version"))
            return
        links = [
            {"rel": "AccessTokenList", "href": f"{self.api.base_url}access-tokens"},
            *(
                {"rel": name, "href": f"http://127.0.0.1:{self.api.port}{path}"}
                for name, (path, _fault, _company) in ACCOUNT.items()
            ),
            *(
                {"rel": name, "href": f"http://127.0.0.1:{self.api.port}{path}"}
                for name, path in ixon_standin_cloud.LINKS.items()
            ),
        ]
        if self.api.upload_link:
            where = self.api.upload_origin or f"http://127.0.0.1:{self.api.port}"
            links.append({"rel": UPLOAD_LINK, "href": f"{where}{UPLOAD_PATH}"})
        self._answer(
            200, {"type": "Discovery", "data": links, "moreAfter": None, "status": "success"}
        )

    def _authorized(self) -> bool:
        """Check the headers IXON requires; answer as IXON would when one is wrong."""
        for header, expected in (
            ("Api-Version", "2"),
            ("Api-Application", self.api.application_id),
            ("Api-Company", self.api.company_id),
            ("Authorization", f"Bearer {self.api.token}"),
        ):
            value = self.headers.get(header)
            if not value:
                self._answer(400, error_body("Required header", header))
                return False
            if value != expected:
                status = {"Authorization": 401, "Api-Application": 403}.get(header, 404)
                self._answer(status, error_body(f"Invalid {header}", header))
                return False
        return True

    def _ui_upload(self, body: bytes) -> None:
        template = self.path[len(UI_UPLOAD_PREFIX) : -len(UI_UPLOAD_SUFFIX)]
        if self._fault("ui-upload") or not self._authorized():
            return
        if template not in self.api.page_templates:
            self._answer(404, error_body("Not found", "publicId"))
            return
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                manifests = [n for n in archive.namelist() if n.endswith("/manifest.json")]
                number = json.loads(archive.read(manifests[0]))["version"]
        except (zipfile.BadZipFile, IndexError, KeyError, ValueError):
            self._answer(400, error_body("Not a component archive with a manifest", "file"))
            return
        with self.api._lock:
            taken = any(
                v["template"] == template and v["number"] == number
                for v in self.api.ui_versions.values()
            )
            if not taken:
                version_id = f"PcV{len(self.api.ui_versions):09d}"
                self.api.ui_versions[version_id] = {
                    "template": template,
                    "number": number,
                    "published": False,
                    "archive": body,
                }
        if taken:
            self._answer(400, error_body("Already exists", "version"))
            return
        data = {"publicId": version_id, "number": number}
        self._answer(201, {"type": "Upload", "data": data, "moreAfter": None, "status": "success"})

    def do_PATCH(self) -> None:
        body = self.read_body()
        self._record(len(body))
        if ixon_standin_cloud.handle(self, "PATCH", body):
            return
        if not self.path.startswith(PUBLISH_PREFIX):
            self._answer(404, error_body("Not found"))
            return
        if self._fault("publish") or not self._authorized():
            return
        version_id = self.path[len(PUBLISH_PREFIX) :]
        try:
            published = json.loads(body)["published"]
        except (ValueError, KeyError, TypeError):
            self._answer(400, error_body('Expected {"published": true}', "published"))
            return
        with self.api._lock:
            version = self.api.ui_versions.get(version_id)
            if version is not None:
                version["published"] = bool(published)
        if version is None:
            self._answer(404, error_body("Not found", "publicId"))
            return
        self._answer(
            200,
            {
                "type": "PageComponentTemplateVersion",
                "data": None,
                "moreAfter": None,
                "status": "success",
            },
        )

    def _account(self, name: str) -> None:
        """An account endpoint: IXON's required headers, then its data cut to `fields`."""
        _path, endpoint, needs_company = ACCOUNT[name]
        if self._fault(endpoint):
            return
        for header, expected in (
            ("Api-Version", "2"),
            ("Api-Application", self.api.application_id),
            ("Authorization", f"Bearer {self.api.token}"),
            *((("Api-Company", self.api.company_id),) if needs_company else ()),
        ):
            if self.headers.get(header) != expected:
                status = 401 if header == "Authorization" else 400
                self._answer(status, error_body(f"Invalid {header}", header))
                return
        fields = (parse_qs(urlsplit(self.path).query).get("fields") or [None])[0]
        data = select_fields(self.api.account_data(name), fields)
        self._answer(200, {"type": name, "data": data, "moreAfter": None, "status": "success"})

    def do_POST(self) -> None:
        body = self.read_body()
        self._record(len(body))
        if self.path.startswith(UI_UPLOAD_PREFIX) and self.path.endswith(UI_UPLOAD_SUFFIX):
            self._ui_upload(body)
            return
        if ixon_standin_cloud.handle(self, "POST", body):
            return
        prefix, _, suffix = UPLOAD_PATH.partition("{publicId}")
        if not (self.path.startswith(prefix) and self.path.endswith(suffix)):
            self._answer(404, error_body("Not found"))
            return
        if self._fault("upload"):
            return
        public_id = self.path[len(prefix) : -len(suffix)]
        for header, expected in (
            ("Api-Version", "2"),
            ("Api-Application", self.api.application_id),
            ("Api-Company", self.api.company_id),
            ("Authorization", f"Bearer {self.api.token}"),
        ):
            value = self.headers.get(header)
            if not value:
                self._answer(400, error_body("Required header", header))
                return
            if value != expected:
                status = {"Authorization": 401, "Api-Application": 403}.get(header, 404)
                self._answer(status, error_body(f"Invalid {header}", header))
                return
        if public_id != self.api.template_id:
            self._answer(404, error_body("Not found", "publicId"))
            return
        if self.headers.get("Content-Type") != "application/zip":
            self._answer(400, error_body("Expected application/zip", "Content-Type"))
            return
        if not body.startswith(b"PK"):
            self._answer(400, error_body("Not a zip archive", "file"))
            return
        with self.api._lock:
            self.api.uploads.append(body)
        self.api.cloud.uploaded(body, self.api.user_name)
        if self.api.held is not None:
            self.api.held.wait(60)
        data = {"publicId": self.api.template_id}
        if self.api.provisioning:
            data["companyToBeProvisioned"] = True
        self._answer(200, {"type": "Upload", "data": data, "moreAfter": None, "status": "success"})


def point_workspace_at(project: Path, api: StandIn, **settings: str) -> None:
    """Write the workspace's `.env` so that `invoke deploy` talks to `api`, quickly."""
    values = {
        "IXON_API_BASE_URL": api.base_url,
        "IXON_API_COMPANY_ID": api.company_id,
        "IXON_API_TEMPLATE_ID": api.template_id,
        # Tiny waits between retries, short timeouts: the tests stay fast.
        "IXON_API_RETRY_BACKOFF": "0.01",
        "IXON_API_CONNECT_TIMEOUT": "2",
        "IXON_API_READ_TIMEOUT": "5",
        **settings,
    }
    lines = [f"{key}={value}" for key, value in values.items()]
    (project / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")
