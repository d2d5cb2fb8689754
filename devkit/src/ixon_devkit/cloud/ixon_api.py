"""A small client of IXON's API v2 on `requests`: discovery, the Cloud Function upload, and a
generic `Client.request` for whatever else a task needs (UI Components, account checks).

It is three parts: the endpoints (here: `Client.discovery`, `link`, `discover_upload_url`,
`upload`), the HTTP client they are built on (`ixon_devkit.cloud.api_http`: IXON's headers,
retries, the token only to its origin), with the way a request travels
(`ixon_devkit.cloud.api_transport`: the session, the total deadline, capped answers), and what
the outcomes mean (`ixon_devkit.cloud.api_errors`: one `ApiError` line each, an
`UncertainRequestError` for a body that went out without a whole answer).

The access token goes only in the Authorization header, and only to the origin (scheme, host and
port) of `IXON_API_BASE_URL`; it is masked in every message, including `--verbose` output.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from ixon_devkit.cloud import api_errors
from ixon_devkit.cloud.api_errors import ApiError, UncertainRequestError
from ixon_devkit.cloud.api_http import HttpClient
from ixon_devkit.cloud.api_transport import Answer

__all__ = [
    "PROVISIONING_MESSAGE",
    "UPLOAD_CHECK",
    "UPLOAD_LINK",
    "Answer",
    "ApiError",
    "Client",
    "UncertainRequestError",
    "UploadResult",
]

UPLOAD_LINK = "BackendComponentTemplateVersionUpload"
PROVISIONING_MESSAGE = (
    "This is the company's first Cloud Function upload: IXON now prepares the company for Cloud "
    "Functions, which takes up to two business days; the function becomes available after that"
)
UPLOAD_CHECK = (
    "check in IXON Studio (Cloud Functions, the function) whether a new version arrived just "
    "now; if none did, deploy again"
)


@dataclass(frozen=True)
class UploadResult:
    """A successful upload."""

    status: int
    company_to_be_provisioned: bool


class Client(HttpClient):
    """IXON's API at `settings.base_url`, for one company, template and token.

    `request` (`ixon_devkit.cloud.api_http.HttpClient`) is the building block: any method and
    URL, the IXON headers added, retries, deadline and masking applied; the answer comes back
    whatever its status (a 5xx or 429 only after the retries are spent). `json_of` turns an
    answer into its document or one ApiError line. `discovery`, `link`, `discover_upload_url`
    and `upload` are built on them.
    """

    #: The discovery document's links (rel: href), once fetched.
    _links: dict[str, str] | None = None

    def discovery(self) -> dict[str, str]:
        """The discovery document's links (rel: href), fetched once.

        Like IXON's own upload script, the discovery request carries `Api-Version`,
        `Api-Application`, `Api-Company` and the bearer token (IXON could filter the links by
        application or company). It goes only to `IXON_API_BASE_URL` itself, and `link`
        refuses a discovered address on another origin, so the token never leaves that origin.
        """
        if self._links is None:
            url = self.settings.base_url.value
            what = f"the discovery at {url}"
            answer = self.request("GET", url, what="discovery")
            if not answer.ok:
                raise ApiError(self.explain(answer, what, discovery=True))
            document = self.json_of(answer, what, hint=f"check {self.settings.base_url.name}")
            links: dict[str, str] = {}
            data = document.get("data") if isinstance(document, dict) else None
            for link in data if isinstance(data, list) else []:
                if (
                    isinstance(link, dict)
                    and isinstance(link.get("rel"), str)
                    and isinstance(link.get("href"), str)
                ):
                    links[link["rel"]] = link["href"]
            self._links = links
        return self._links

    def link(self, rel: str, **placeholders: str) -> str:
        """The absolute address of discovery link `rel`, its `{placeholders}` filled in; an
        ApiError when the link is missing or points where the token may not go."""
        url = self.settings.base_url.value
        what = f"the discovery at {url}"
        href = self.discovery().get(rel)
        if href is None or any(f"{{{name}}}" not in href for name in placeholders):
            wanted = "".join(f" with {{{name}}}" for name in placeholders)
            raise ApiError(
                f"{what} has no {rel} link{wanted}: is {self.settings.base_url.name} IXON's API "
                f"v2 (from {self.settings.base_url.source})? If it is, IXON changed its API: see "
                "invoke docs deploying: What the outcomes mean"
            )
        for name, value in placeholders.items():
            href = href.replace(f"{{{name}}}", value)
        address = urljoin(url, href)
        problem = self.refusal(address)
        if problem:
            raise ApiError(f"{what} gives the {rel} address {address}: {problem}")
        return address

    def discover_upload_url(self) -> str:
        """The upload address for the template, from the discovery document."""
        return self.link(UPLOAD_LINK, publicId=self.settings.template_id.value)

    def upload(self, url: str, archive: bytes) -> UploadResult:
        """POST the zip `archive` to `url`; an UploadResult, or ApiError with one line (an
        UncertainRequestError when it went out but no whole answer came back)."""
        answer = self.request(
            "POST",
            url,
            body=archive,
            headers={"Content-Type": "application/zip"},
            what="upload",
            check=UPLOAD_CHECK,
        )
        what = f"the upload to {url}"
        if not answer.ok:
            raise ApiError(self.explain(answer, what))
        document = self.json_of(
            answer,
            what,
            hint="the upload may or may not have been taken: check the function in IXON Studio",
        )
        if not isinstance(document, dict) or document.get("status") != "success":
            messages = api_errors.messages(self.settings, document)
            raise ApiError(
                f'{what} answered {answer.status} without "status": "success"'
                f"{messages}: check the function in IXON Studio"
            )
        data = document.get("data")
        items = data if isinstance(data, list) else [data]
        provisioning = any(
            isinstance(item, dict) and item.get("companyToBeProvisioned") is True for item in items
        )
        return UploadResult(status=answer.status, company_to_be_provisioned=provisioning)
