"""Real IXON API answers in tests: recorded once with your token, replayed offline and in CI.

A test marked `@pytest.mark.ixon_recording("agents")` gets, instead of the stand-in's declared
answers, the answers IXON's API gave when it was recorded, from `tests/recordings/agents.yaml`
(a cassette of vcrpy, the kept library for recording HTTP):

- `invoke test --record -k NAME` (or `IXON_RECORD=1`) runs the marked tests against IXON's API
  (`IXON_API_BASE_URL`, your token from `IXON_API_ACCESS_TOKEN` or `.accesstoken`), and writes
  what the functions asked and got. The token never reaches the file: the Authorization header
  is left out, the token is masked in every URL, body and answer in any case and cut short
  (every run of 8 or more of its characters: `ixon_devkit.workspace.masking`), answers' `secretId`
  values and cookies are masked, and a recording that still holds any such form of the token
  is deleted with an error. Each test's report (its failure and captured output) is masked
  the same way while recording (`mask_report`), and `invoke test --record` masks all that
  pytest prints.
- Every other run replays it with no network and no token: a request the recording has no
  answer for (the code now asks something else) fails the test with one line naming the
  request and how to record again.

The API access rules apply as always (`"api_access"` of workspace.json).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import vcr
import yaml
from vcr.request import Request

from ixon_devkit.workspace import masking, settings

MARKER = "ixon_recording"
RECORD_VARIABLE = "IXON_RECORD"
FOLDER = Path("tests") / "recordings"
#: What a replayed call carries instead of a token (nothing is sent anywhere).
REPLAY_TOKEN = settings.Token("ReplayedNotARealToken00000000000", "the recording")
MASK = masking.MASK
#: Recorded requests match on these (headers are not recorded, so they cannot match).
MATCH_ON = ("method", "scheme", "host", "port", "path", "query", "body")
_SECRET_ID = re.compile(r'("secretId"\s*:\s*")[^"]*(")')


class RecordingError(settings.SettingsError):
    """A recording that is missing, cannot be made or would hold a secret."""


def recording(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this run records (IXON_RECORD=1, as `invoke test --record` sets it)."""
    environ = os.environ if environ is None else environ
    return environ.get(RECORD_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on")


def path_of(root: Path, name: str) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise RecordingError(
            f"ixon_recording({name!r}): name a recording with letters, digits, '-', '_' and '.'"
        )
    return root / FOLDER / f"{name}.yaml"


def recorded_base_url(path: Path) -> str:
    """The API base URL a recording was made against: its first request, the discovery."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        return str(document["interactions"][0]["request"]["uri"])
    except (OSError, ValueError, KeyError, IndexError, TypeError, yaml.YAMLError):
        raise RecordingError(
            f"{path.as_posix()} is not a recording of IXON API answers: record it again "
            f"({RECORD_VARIABLE}=1 or `invoke test --record -k TEST`)"
        ) from None


def _scrubber(secrets: list[str]) -> Any:
    def scrub(text: Any) -> Any:
        if isinstance(text, bytes):
            return scrub(text.decode("utf-8", errors="surrogateescape")).encode(
                "utf-8", errors="surrogateescape"
            )
        if not isinstance(text, str):
            return text
        text = masking.mask(text, *secrets)
        return _SECRET_ID.sub(rf"\g<1>{MASK}\g<2>", text)

    return scrub


def _recorder(mode: str, secrets: list[str]) -> vcr.VCR:
    scrub = _scrubber(secrets)

    def request(recorded: Request) -> Request:
        recorded.uri = scrub(recorded.uri)
        recorded.body = scrub(recorded.body)
        return recorded

    def response(answer: dict[str, Any]) -> dict[str, Any]:
        answer["body"]["string"] = scrub(answer["body"]["string"])
        headers = answer.get("headers") or {}
        for name in list(headers):
            if name.lower() in ("set-cookie", "authorization"):
                del headers[name]
            else:
                headers[name] = [scrub(value) for value in headers[name]]
        return answer

    return vcr.VCR(
        record_mode=mode,
        match_on=MATCH_ON,
        filter_headers=["authorization", "cookie"],
        before_record_request=request,
        before_record_response=response,
        decode_compressed_response=True,
    )


@contextmanager
def use(local: Any, root: Path, name: str, record: bool) -> Iterator[list[str]]:
    """Point `local` (the functions' `LocalApi`) at IXON's API and record, or at the recording
    and replay; yields the list of requests the recording had no answer for."""
    path = path_of(root, name)
    secrets: list[str] = []
    if record:
        endpoint = settings.load_api_endpoint(root)
        token = settings.load_token(root, os.environ, warn=lambda _line: None)
        secrets.append(token.reveal())
        local.base_url = endpoint.base_url.value
        local.token = lambda: token
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        mode = "all"
    else:
        if not path.is_file():
            raise RecordingError(
                f"no recording {path.relative_to(root).as_posix()}: record it once with your "
                f"token: `invoke test --record -k TEST` ({RECORD_VARIABLE}=1)"
            )
        local.base_url = recorded_base_url(path)
        local.token = lambda: REPLAY_TOKEN
        mode = "none"
    misses: list[str] = []
    with _recorder(mode, secrets).use_cassette(str(path)) as cassette:
        can_play = cassette.can_play_response_for

        def noted(request: Request) -> bool:
            if can_play(request):
                return True
            if cassette.write_protected:
                misses.append(f"{request.method} {request.uri}")
            return False

        cassette.can_play_response_for = noted
        yield misses
    if record and path.is_file() and masking.holds(path.read_text("utf-8"), *secrets):
        path.unlink()
        raise RecordingError(f"{path.as_posix()} held the access token: it was deleted")


def mask_report(report: Any, root: Path) -> None:
    """Mask the token in a test's report (its failure and captured output) while recording."""
    token = settings.find_token(root) if recording() else None
    if token is None:
        return
    if report.longrepr is not None:
        text = str(report.longrepr)
        masked = masking.mask(text, token.reveal())
        if masked != text:
            report.longrepr = masked
    report.sections = [
        (title, masking.mask(content, token.reveal())) for title, content in report.sections
    ]


def miss_line(root: Path, name: str, misses: list[str]) -> str:
    """The one line for requests a recording has no answer for."""
    where = path_of(root, name).relative_to(root).as_posix()
    return (
        f"the recording {where} has no answer for {'; '.join(misses)} (the code asks something "
        f"else than when it was recorded): record it again with `invoke test --record -k TEST` "
        f"({RECORD_VARIABLE}=1) and your token"
    )
