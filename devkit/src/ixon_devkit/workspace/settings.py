"""Deploy settings: where the upload goes, with which credentials, and how patiently.

Each setting is read from the environment first (CI), then from `.env` (this machine), then from
`workspace.json` (the answers given when the workspace was baked, committed so that a fresh clone
deploys to the same company and template; with named deploy targets, the chosen target's values:
`ixon_devkit.ship.targets`), then a default. The access token is read from
`IXON_API_ACCESS_TOKEN`, else from `.accesstoken`; it is never printed (`Token` does not show it,
and messages mask it with `ixon_devkit.workspace.masking`).

Every value is checked before a single request is made; a problem names the setting, where its
value came from and where to find a good one. `.env` is read by python-dotenv.
"""

from __future__ import annotations

import codecs
import io
import ipaddress
import json
import os
import re
import stat
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values
from dotenv.parser import Binding, parse_stream
from dotenv.variables import parse_variables

from ixon_devkit.errors import UserError
from ixon_devkit.ship import targets
from ixon_devkit.workspace import ids, workspace_file

COMPANY_ID = "IXON_API_COMPANY_ID"
TEMPLATE_ID = "IXON_API_TEMPLATE_ID"
BASE_URL = "IXON_API_BASE_URL"
APPLICATION_ID = "IXON_API_APPLICATION_ID"
API_VERSION = "IXON_API_VERSION"
ACCESS_TOKEN = "IXON_API_ACCESS_TOKEN"  # noqa: S105 - the name of the variable, not a token
CONNECT_TIMEOUT = "IXON_API_CONNECT_TIMEOUT"
READ_TIMEOUT = "IXON_API_READ_TIMEOUT"
DEADLINE = "IXON_API_DEADLINE"
RETRIES = "IXON_API_RETRIES"
RETRY_BACKOFF = "IXON_API_RETRY_BACKOFF"
MAX_RETRY_AFTER = "IXON_API_MAX_RETRY_AFTER"

TOKEN_FILE = ".accesstoken"  # noqa: S105 - a file name
DOTENV_FILE = ".env"
WORKSPACE_FILE = workspace_file.FILE

#: IXON's documented API address (IXON's own workspace uses https://api.ayayot.com).
DEFAULT_BASE_URL = "https://portal.ixon.cloud/api/"
#: Where IXON's API lives: the documented portal.ixon.cloud and IXON workspace's api.ayayot.com.
IXON_DOMAINS = ("ixon.cloud", "ayayot.com")
#: The API application of IXON's own Cloud Function workspace.
DEFAULT_APPLICATION_ID = "9J9IZzeT4xN4"
DEFAULT_API_VERSION = "2"

#: Numeric settings: (default, lowest allowed, highest allowed, what it is).
NUMBERS: dict[str, tuple[float, float, float, str]] = {
    CONNECT_TIMEOUT: (10.0, 0.01, 600.0, "seconds to wait for a connection"),
    # IXON ends a request that runs past 60 seconds with a 5xx, so a little more than that.
    READ_TIMEOUT: (90.0, 0.01, 3600.0, "seconds to wait for an answer"),
    # The read timeout applies to each read: a server dripping a byte a second never reaches
    # it. The deadline bounds the whole of one request (an upload of a few MB included).
    DEADLINE: (300.0, 0.01, 3600.0, "seconds one request may take in all"),
    RETRIES: (3, 0, 10, "retries after a 5xx, 429, timeout or connection error"),
    RETRY_BACKOFF: (2.0, 0.0, 300.0, "seconds before the first retry, doubled each retry"),
    MAX_RETRY_AFTER: (120.0, 0.0, 3600.0, "longest Retry-After (seconds) worth waiting for"),
}

_COMPANY_ID = ids.COMPANY_ID
_PUBLIC_ID = ids.PUBLIC_ID
_TOKEN = ids.TOKEN
_WORKSPACE_KEYS = {COMPANY_ID: "company_id", TEMPLATE_ID: "template_id"}
_LOOPBACK_NAMES = {"localhost"}

HINTS = {
    COMPANY_ID: (
        "five groups of four digits like 7966-5700-7008-0957-0300, from the IXON portal "
        "(Settings > Company)"
    ),
    TEMPLATE_ID: (
        "12 letters or digits like RHQa2MEa0Dxg: the Cloud Function's ID in IXON Studio "
        "(Cloud Functions)"
    ),
    APPLICATION_ID: (
        f"12 letters or digits; leave it unset to use IXON's workspace application "
        f"{DEFAULT_APPLICATION_ID}"
    ),
    API_VERSION: "2, the only IXON API version this workspace speaks; leave it unset",
    BASE_URL: (
        f"an https:// address of IXON's API; leave it unset for {DEFAULT_BASE_URL} "
        "(http:// only to 127.0.0.1 or localhost)"
    ),
}
TOKEN_HINT = (
    f"run `invoke login` (it asks for your IXON e-mail address and password and writes "
    f"{TOKEN_FILE}, ignored by git), or set {ACCESS_TOKEN} in CI (an API service account's "
    "token from the IXON portal)"
)

#: IXON's component SDK treats an `.accesstoken` older than this as expired.
TOKEN_MAX_AGE_DAYS = 30
TOKEN_RENEW_HINT = (
    f"run `invoke login`, or put a token from the Authorization header (without 'Bearer ') of a "
    f"request the IXON portal makes onto one line of {TOKEN_FILE}"
)


class SettingsError(UserError):
    """A setting is missing or malformed; the message names it and where to find its value."""


@dataclass(frozen=True)
class Setting:
    """One setting's value and where it came from (for messages and the dry run)."""

    name: str
    value: str
    source: str


class Token:
    """The access token. Its text appears only in the Authorization header (`reveal()`)."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        self._value = value
        self.source = source

    def reveal(self) -> str:
        """The token itself: only for the request header and for `masking.mask`, never for
        output."""
        return self._value

    def __repr__(self) -> str:
        return f"Token(******** from {self.source})"

    __str__ = __repr__


@dataclass(frozen=True)
class DeploySettings:
    """Everything a deploy needs, checked."""

    company_id: Setting
    template_id: Setting
    base_url: Setting
    application_id: Setting
    api_version: Setting
    token: Token
    connect_timeout: float
    read_timeout: float
    retries: int
    retry_backoff: float
    max_retry_after: float
    deadline: float = NUMBERS[DEADLINE][0]
    #: The deploy target's name ("" for a workspace without named targets).
    target: str = ""

    def describe(self) -> list[str]:
        """`NAME = value (source)` lines, the token masked, for the dry run and --verbose."""
        lines = [f"target = {self.target}"] if self.target else []
        lines += [
            f"{item.name} = {item.value} ({item.source})"
            for item in (
                self.company_id,
                self.template_id,
                self.base_url,
                self.application_id,
                self.api_version,
            )
        ]
        lines.append(f"access token = ******** ({self.token.source})")
        return lines


def read_dotenv(path: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """`KEY=value` lines of a `.env` file, read by python-dotenv (`dotenv_values`), as the
    runtime reads them ({} when there is no such file).

    `${NAME}` and `${NAME:-default}` expand, as python-dotenv expands them, to an earlier value
    of the file, else the environment's (`environ`, default `os.environ`). UTF-8 (with or without
    a BOM) and UTF-16 with a BOM (as Windows PowerShell 5 writes it) are read; anything else, a
    line python-dotenv would skip with a warning and a key without `=` are one SettingsError
    line each.
    """
    if not path.is_file():
        return {}
    text = _dotenv_text(path)
    for binding in parse_stream(io.StringIO(text)):
        _check_binding(path.name, binding)
    environ = os.environ if environ is None else environ
    values: dict[str, str] = {}
    for key, raw in dotenv_values(stream=io.StringIO(text), interpolate=False).items():
        known = {**environ, **values}  # the file's earlier values win, as python-dotenv has it
        values[key] = "".join(atom.resolve(known) for atom in parse_variables(raw or ""))
    return values


def _check_binding(name: str, binding: Binding) -> None:
    """SettingsError naming the line of a binding python-dotenv would skip, leave without a
    value, or give a key that is no variable name; nothing for a good one, a comment or a blank
    line."""
    original = binding.original.string
    number = binding.original.line + original[: len(original) - len(original.lstrip())].count("\n")
    if binding.error:
        quoted = re.match(r"\s*(?:export\s+)?([A-Za-z_]\w*)\s*=\s*[\"']", original)
        if quoted:
            raise SettingsError(
                f"{name}:{number} ({quoted[1]}) has a quoted value without its closing quote, "
                "or something other than a # comment after it: fix the quotes"
            )
    elif binding.key is None or (  # a comment, blank lines, or a good binding
        binding.value is not None and re.fullmatch(r"[A-Za-z_]\w*", binding.key)
    ):
        return
    raise SettingsError(
        f"{name}:{number} is not a KEY=value line: fix or remove it (see .env.example)"
    )


def _dotenv_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SettingsError(
            f"{path.name} is neither UTF-8 nor UTF-16 with a byte order mark: save it as UTF-8 "
            "(in PowerShell: Set-Content -Encoding utf8)"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")  # as Python's text mode reads


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine (where plain http:// cannot leak the token)."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load(
    root: Path,
    environ: Mapping[str, str] | None = None,
    warn: Callable[[str], None] = print,
    *,
    function: bool = True,
    target: str | None = None,
) -> DeploySettings:
    """The deploy settings of the workspace at `root`, checked; SettingsError when not usable.

    `function=False` (a deploy of UI Components only) lets the Cloud Function's template ID
    be unset. `target` names the deploy target (default: `default_target`)."""
    environ = os.environ if environ is None else environ
    dotenv = read_dotenv(root / DOTENV_FILE)
    workspace = workspace_file.read(root)
    try:
        chosen = targets.choose(workspace, target)
    except targets.TargetError as error:
        raise SettingsError(str(error)) from None
    workspace = targets.view(workspace, chosen)
    lookup = _lookup_in(environ, dotenv, workspace, chosen.sources)
    company_id = _checked(lookup(COMPANY_ID), _COMPANY_ID)
    if function or _has_value(TEMPLATE_ID, environ, dotenv, workspace):
        template_id = _checked(lookup(TEMPLATE_ID), _PUBLIC_ID)
    else:
        template_id = Setting(TEMPLATE_ID, "", "not needed: no Cloud Function upload")
    application_id = _checked(lookup(APPLICATION_ID, DEFAULT_APPLICATION_ID), _PUBLIC_ID)
    api_version = lookup(API_VERSION, DEFAULT_API_VERSION)
    if api_version.value != DEFAULT_API_VERSION:
        raise _invalid(api_version)
    base_url = _checked_url(lookup(BASE_URL, DEFAULT_BASE_URL))
    destination = foreign_destination(base_url)
    if destination:
        warn(destination)
    numbers = {name: _number(name, environ, dotenv) for name in NUMBERS}
    if dotenv.get(ACCESS_TOKEN):
        warn(
            f"WARNING: {ACCESS_TOKEN} in {DOTENV_FILE} is ignored: put the token in "
            f"{TOKEN_FILE} or set {ACCESS_TOKEN} in the environment"
        )
    return DeploySettings(
        company_id=company_id,
        template_id=template_id,
        base_url=base_url,
        application_id=application_id,
        api_version=api_version,
        token=load_token(root, environ, warn),
        connect_timeout=numbers[CONNECT_TIMEOUT],
        read_timeout=numbers[READ_TIMEOUT],
        retries=int(numbers[RETRIES]),
        retry_backoff=numbers[RETRY_BACKOFF],
        max_retry_after=numbers[MAX_RETRY_AFTER],
        deadline=numbers[DEADLINE],
        target=chosen.name,
    )


def _lookup_in(
    environ: Mapping[str, str],
    dotenv: Mapping[str, str],
    workspace: Mapping[str, object],
    sources: Mapping[str, str] | None = None,
) -> Callable[..., Setting]:
    """`lookup(name, default=None)`: the setting from the environment, `.env`,
    `workspace.json` or the default, in that order; SettingsError when none has it.
    `sources` names where a `workspace.json` key came from (a deploy target's entry)."""

    def lookup(name: str, default: str | None = None) -> Setting:
        if environ.get(name, "").strip():
            return Setting(name, environ[name].strip(), "environment")
        if dotenv.get(name, "").strip():
            return Setting(name, dotenv[name].strip(), DOTENV_FILE)
        key = _WORKSPACE_KEYS.get(name)
        if key and str(workspace.get(key) or "").strip():
            source = (sources or {}).get(key, f"{WORKSPACE_FILE} {key}")
            return Setting(name, str(workspace[key]).strip(), source)
        if default is not None:
            return Setting(name, default, "default")
        where = (sources or {}).get(key or "", f"{WORKSPACE_FILE} ({key or name})")
        raise SettingsError(
            f"{name} is not set: expected {HINTS[name]}; set it in .env or in {where}"
        )

    return lookup


@dataclass(frozen=True)
class ApiEndpoint:
    """Where functions run locally (`invoke serve`, `invoke call`) send their IXON API calls."""

    base_url: Setting
    application_id: Setting


def load_api_endpoint(root: Path, environ: Mapping[str, str] | None = None) -> ApiEndpoint:
    """`IXON_API_BASE_URL` and `IXON_API_APPLICATION_ID`, read and checked as a deploy reads
    them, without the company and template a deploy also needs."""
    environ = os.environ if environ is None else environ
    lookup = _lookup_in(environ, read_dotenv(root / DOTENV_FILE), workspace_file.read(root))
    return ApiEndpoint(
        base_url=_checked_url(lookup(BASE_URL, DEFAULT_BASE_URL)),
        application_id=_checked(lookup(APPLICATION_ID, DEFAULT_APPLICATION_ID), _PUBLIC_ID),
    )


def is_foreign(url: str) -> bool:
    """Whether `url` is neither IXON's (IXON_DOMAINS) nor this machine's: the one rule of where
    a credential may go without a word (the NOTE of serve, call, deploy and doctor; the guard
    of `invoke login` and `invoke logout`)."""
    host = (urlsplit(url).hostname or "").lower()
    ixon = any(host == domain or host.endswith(f".{domain}") for domain in IXON_DOMAINS)
    return not (ixon or is_loopback(host))


def foreign_destination(base_url: Setting) -> str | None:
    """One line when the token is about to go to a base URL that is neither IXON's nor this
    machine's, naming where it goes and where that setting came from; else None."""
    if not is_foreign(base_url.value):
        return None
    return (
        f"NOTE: your IXON access token goes to {base_url.value}, which is not IXON's API: "
        f"{base_url.name} is set there by {base_url.source}; remove it there unless you mean it"
    )


def token_age_days(root: Path, now: float | None = None) -> float | None:
    """How many days ago `.accesstoken` was written (the age IXON's SDK judges); None when
    there is no such file."""
    try:
        modified = (root / TOKEN_FILE).stat().st_mtime
    except OSError:
        return None
    return max(0.0, ((time.time() if now is None else now) - modified) / 86400)


def token_age_warning(
    root: Path, environ: Mapping[str, str] | None = None, now: float | None = None
) -> str | None:
    """A WARNING line when the token comes from a `.accesstoken` older than
    TOKEN_MAX_AGE_DAYS (IXON's tools treat such a token as expired); None otherwise."""
    environ = os.environ if environ is None else environ
    if environ.get(ACCESS_TOKEN, "").strip():
        return None  # the environment's token wins; the file's age says nothing about it
    age = token_age_days(root, now)
    if age is None or age <= TOKEN_MAX_AGE_DAYS:
        return None
    days = int(age)
    return (
        f"WARNING: {TOKEN_FILE} is {days} days old: IXON's tools treat a token older than "
        f"{TOKEN_MAX_AGE_DAYS} days as expired, so IXON may refuse it; replace it with a new "
        f"one ({TOKEN_RENEW_HINT})"
    )


def _has_value(
    name: str,
    environ: Mapping[str, str],
    dotenv: Mapping[str, str],
    workspace: Mapping[str, object],
) -> bool:
    key = _WORKSPACE_KEYS.get(name, "")
    return any(
        str(values.get(key_name) or "").strip()
        for values, key_name in ((environ, name), (dotenv, name), (workspace, key))
    )


def load_token(
    root: Path, environ: Mapping[str, str] | None = None, warn: Callable[[str], None] = print
) -> Token:
    """The access token from `IXON_API_ACCESS_TOKEN`, else `.accesstoken`; checked, masked."""
    environ = os.environ if environ is None else environ
    if environ.get(ACCESS_TOKEN, "").strip():
        return _checked_token(environ[ACCESS_TOKEN], f"the environment variable {ACCESS_TOKEN}")
    path = root / TOKEN_FILE
    if not path.is_file():
        raise SettingsError(
            f"no access token: {ACCESS_TOKEN} is not set and {TOKEN_FILE} is missing: " + TOKEN_HINT
        )
    if os.name != "nt" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        warn(
            f"WARNING: {TOKEN_FILE} can be read by other users of this machine: "
            f"run `chmod 600 {TOKEN_FILE}`"
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(
            f"{TOKEN_FILE} cannot be read ({type(error).__name__}): {TOKEN_HINT}"
        ) from None
    return _checked_token(text, TOKEN_FILE)


def find_token(root: Path, environ: Mapping[str, str] | None = None) -> Token | None:
    """The access token where `load_token` finds it, or None when there is none or it is
    malformed; never raises and never warns (for checks that only need to know it)."""
    try:
        return load_token(root, environ, warn=lambda _line: None)
    except SettingsError:
        return None


def _checked_token(text: str, source: str) -> Token:
    value = text.strip()
    if value.lower().startswith("bearer "):
        value = value[len("bearer ") :].strip()
    if not value:
        raise SettingsError(f"the access token in {source} is empty: {TOKEN_HINT}")
    if not _TOKEN.fullmatch(value):
        # Say what is wrong without repeating any of it: it may be the token with a typo.
        raise SettingsError(
            f"the access token in {source} is malformed ({len(value)} characters, expected "
            f"{ids.TOKEN_DESCRIPTION}): {TOKEN_HINT}"
        )
    return Token(value, source)


def _invalid(setting: Setting) -> SettingsError:
    # A URL's user:password@ part is a credential: never repeat it.
    shown = re.sub(r"//[^/@]*@", "//***@", setting.value)
    return SettingsError(
        f"{setting.name} {json.dumps(shown)} (from {setting.source}) is not valid: "
        f"expected {HINTS[setting.name]}"
    )


def _checked(setting: Setting, pattern: re.Pattern[str]) -> Setting:
    if not pattern.fullmatch(setting.value):
        raise _invalid(setting)
    return setting


def _checked_url(setting: Setting) -> Setting:
    parts = urlsplit(setting.value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _invalid(setting)
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise _invalid(setting)
    if parts.query or parts.fragment or parts.username or parts.password:
        raise _invalid(setting)
    value = setting.value if setting.value.endswith("/") else setting.value + "/"
    return Setting(setting.name, value, setting.source)


def _number(name: str, environ: Mapping[str, str], dotenv: Mapping[str, str]) -> float:
    default, low, high, what = NUMBERS[name]
    raw = (environ.get(name) or "").strip() or (dotenv.get(name) or "").strip()
    if not raw:
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high or (isinstance(default, int) and not value.is_integer()):
        kind = "a whole number" if isinstance(default, int) else "a number"
        raise SettingsError(
            f"{name} {json.dumps(raw)} is not valid: expected {kind} from {low:g} to "
            f"{high:g} ({what}); leave it unset for {default:g}"
        )
    return value
