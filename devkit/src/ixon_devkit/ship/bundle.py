"""The deployable archive: `requirements.txt` and the `functions/` package, checked, reproducible.

The archive holds what IXON Cloud needs and nothing else: `requirements.txt` at its root and the
`functions/` folder with its Python files (data files only by the `bundle_include` patterns of
`workspace.json`), without tests, caches, hidden files, environments or secrets. The same sources
give the same bytes on any machine: sorted entries, one fixed timestamp, fixed permissions, and
entries stored uncompressed (deflate output differs between zlib builds, such as zlib-ng).

Before writing, it refuses (BundleError, naming the file and line; `requirements.txt` is checked by
`ixon_devkit.ship.bundle_requirements`) what would fail in IXON Cloud or leak: unpinned or missing
requirements (or ones whose environment marker excludes the workspace's Python), a requirements.txt
that is not plain UTF-8, syntax errors, no exposed function, files that look like secrets, symbolic
links that leave the workspace or lead to a hidden path in it (`.git`, `.devkit`, `.env*`) or to a
file named like a secret, file names that are not UTF-8, and a `functions/_version.py` that
disagrees with `VERSION`. What may be a mistake but may be meant (a token-like string or a cloud
key in a data file, a data file of tens of MB) is a warning the bundle carries: `invoke bundle` and
`invoke deploy` print it before anything is uploaded.
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ixon_devkit.errors import UserError
from ixon_devkit.ship import versioning
from ixon_devkit.ship.bundle_requirements import REQUIREMENTS, BundleError, check_requirements
from ixon_devkit.ui import components
from ixon_devkit.workspace import (
    environment,
    files,
    import_world,
    legacy,
    settings,
    walk,
    workspace_file,
)

PACKAGE = "functions"
VERSION_FILE = "VERSION"
VERSION_MODULE = "functions/_version.py"
WORKSPACE_FILE = workspace_file.FILE
INCLUDE_KEY = "bundle_include"
DIST = "dist"

#: The one timestamp of every entry (the earliest a zip can hold), so builds are reproducible.
TIMESTAMP = (1980, 1, 1, 0, 0, 0)
#: Regular file, rw-r--r--, whatever the file system says.
PERMISSIONS = 0o100644


#: A data file this large is worth a second look before it is uploaded (and on every deploy).
LARGE_FILE = 10 * 1024 * 1024
#: File names that look like keys, certificates or credentials.
SECRET_NAMES = (
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "*accesstoken*",
    "*access_token*",
    "*.secret",
    "secrets.*",
    "credentials.*",
    "*.env",
)
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_ASSIGNED_TOKEN = re.compile(
    r"(?i)(access_?token|bearer|secret|password|api_?key)\W{0,20}['\"][A-Za-z0-9]{32}['\"]"
)
#: A string shaped like an IXON access token: 32 letters and digits, with both kinds.
_TOKEN_LIKE = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Za-z0-9]*[A-Za-z])(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{32}(?![A-Za-z0-9])"
)
#: Keys of cloud services and connection strings with a password, by their well-known shapes.
CLOUD_SECRETS = {
    "an AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "an AWS secret key": re.compile(r"(?i)aws_?secret_?access_?key\W{0,5}\S{20,}"),
    "a GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_\w{22,})"),
    "a GitLab token": re.compile(r"\bglpat-[A-Za-z0-9_-]{20}"),
    "a Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}"),
    "a Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "a Stripe secret key": re.compile(r"\b[sr]k_live_[A-Za-z0-9]{20,}"),
    "an Azure account key": re.compile(r"(?i)AccountKey=[A-Za-z0-9+/=]{40,}"),
    "a connection string with a password": re.compile(
        r"\b(?:mongodb(?:\+srv)?|postgres(?:ql)?|mysql|redis|amqps?)://[^\s:/@]+:[^\s/@]+@"
    ),
}


@dataclass(frozen=True)
class Bundle:
    """A built archive."""

    path: Path
    slug: str
    version: str
    files: tuple[tuple[str, int], ...]
    size: int
    sha256: str
    left_out: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def describe(self, root: Path) -> list[str]:
        """The file list, size and sha256, as `invoke bundle` prints them."""
        try:
            shown = self.path.relative_to(root).as_posix()
        except ValueError:
            shown = str(self.path)
        lines = [f"{size:>9,} {name}" for name, size in self.files]
        if self.left_out:
            lines.append(
                f"Left out {len(self.left_out)} data file(s) under functions/ (add patterns to "
                f"{INCLUDE_KEY} in {WORKSPACE_FILE} to include them): "
                + ", ".join(self.left_out[:5])
                + (", ..." if len(self.left_out) > 5 else "")
            )
        lines += [f"WARNING: {warning}" for warning in self.warnings]
        lines.append(
            f"Bundle {shown}: {self.slug} {self.version}, {len(self.files)} files, "
            f"{self.size:,} bytes, sha256 {self.sha256}"
        )
        return lines


def slug(root: Path) -> str:
    """The archive's name: `function_slug` of workspace.json or of the answers recorded in
    `.cruft.json`, else the folder name normalised.

    Not the folder name first: a clone in another folder (a CI checkout) must build the same
    archive, name and bytes (the slug is also the archive's comment).
    """
    name = str(
        workspace_file.read(root).get("function_slug") or _baked_slug(root) or root.resolve().name
    )
    normalised = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return normalised or "cloud-function"


def read_version(root: Path) -> str:
    """The workspace version from `VERSION`, checked against `functions/_version.py`."""
    try:
        return versioning.checked(root)
    except versioning.VersionError as error:
        raise BundleError(str(error)) from None


def include_patterns(root: Path) -> list[str]:
    """The `bundle_include` patterns of workspace.json (data files under functions/)."""
    patterns = workspace_file.read(root).get(INCLUDE_KEY, [])
    if not isinstance(patterns, list) or not all(isinstance(p, str) and p for p in patterns):
        raise BundleError(
            f'{WORKSPACE_FILE} {INCLUDE_KEY} must be a list of patterns like ["*.json", '
            '"templates/*.html"] (relative to functions/)'
        )
    for pattern in patterns:
        if pattern.startswith(("/", "\\")) or ".." in Path(pattern).parts or ":" in pattern:
            raise BundleError(
                f"{WORKSPACE_FILE} {INCLUDE_KEY} pattern {json.dumps(pattern)} leaves "
                "functions/: patterns are relative to functions/, like data/*.json"
            )
    return patterns


def collect(root: Path) -> tuple[list[str], list[str]]:
    """Files under functions/ that go into the archive, and data files left out (posix paths)."""
    package = root / PACKAGE
    if not package.is_dir():
        raise BundleError(f"{PACKAGE}/ is missing: the bundle is the {PACKAGE} package")
    patterns = include_patterns(root)
    chosen: list[str] = []
    left_out: list[str] = []
    # Never descend into hidden folders, caches, tests or virtual environments.
    for path in walk.files(package, {"__pycache__", "tests", "test", "node_modules"}):
        name = path.name
        relative = path.relative_to(package).as_posix()
        if name.startswith(".") or _is_test(name) or name.endswith((".pyc", ".pyo")):
            continue
        wanted = name.endswith(".py") or any(
            fnmatch.fnmatchcase(relative, pattern) for pattern in patterns
        )
        if wanted:
            _check_name(relative)
            _check_inside(root, path, f"{PACKAGE}/{relative}")
            chosen.append(relative)
        else:
            left_out.append(_shown_name(relative))
    return sorted(chosen), sorted(left_out)


def _shown_name(relative: str) -> str:
    """A file name as it can be printed, whatever bytes it is made of."""
    return relative.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _check_name(relative: str) -> None:
    """Refuse a file name that is not UTF-8 (a zip entry's name must be text)."""
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        raise BundleError(
            f"{PACKAGE}/{_shown_name(relative)} has a name that is not UTF-8 text (shown with "
            "\ufffd for each byte that is not): rename it with letters, digits, - and _"
        ) from None


def _check_inside(root: Path, path: Path, shown: str) -> None:
    """Refuse a file reached through a symbolic link that leads out of the workspace, to a
    hidden path in it (`.git`, `.devkit`, `.env*`, `.accesstoken`...: where secrets live) or
    to a file whose name looks like a secret. A link is checked by where it leads, since git
    stores links and a teammate's commit is enough to plant one."""
    target = path.resolve()
    if not target.is_file():
        raise BundleError(
            f"{shown} is a symbolic link to a file that does not exist: remove the link or "
            "put the file there"
        )
    try:
        inside = target.relative_to(root)
    except ValueError:
        raise BundleError(
            f"{shown} is a symbolic link (or lies in a linked folder) leading outside the "
            "workspace, so its target would be uploaded: copy the file into functions/ "
            "instead of linking it"
        ) from None
    if target == path:
        return  # no link: the walk never enters hidden folders, check_sources reads the name
    hidden = any(part.startswith(".") for part in inside.parts)
    secret = any(fnmatch.fnmatchcase(target.name.lower(), name) for name in SECRET_NAMES)
    if hidden or secret:
        kind = "a hidden path" if hidden else "a file whose name looks like a secret"
        raise BundleError(
            f"{shown} is a symbolic link (or lies in a linked folder) to "
            f"{_shown_name(inside.as_posix())}, {kind} (.git, .devkit, .env* and their like "
            "hold secrets), so it would be uploaded: remove the link, and copy into functions/ "
            "only what the functions need"
        )


def check_sources(root: Path, files: Iterable[str], secrets: Iterable[str] = ()) -> None:
    """Refuse syntax errors, secrets and a package that exposes no function."""
    exposed = False
    secrets = [secret for secret in secrets if secret]
    for relative in files:
        path = root / PACKAGE / relative
        shown = f"{PACKAGE}/{relative}"
        name = path.name
        if any(fnmatch.fnmatchcase(name.lower(), pattern) for pattern in SECRET_NAMES):
            raise BundleError(
                f"{shown} looks like a secret (its name) and would be uploaded: move it out of "
                f"{PACKAGE}/ (or rename it if it holds no secret)"
            )
        data = path.read_bytes()
        text = data.decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if (
                _PRIVATE_KEY.search(line)
                or _ASSIGNED_TOKEN.search(line)
                or any(s in line for s in secrets)
            ):
                raise BundleError(
                    f"{shown}:{number} looks like a secret (a key or access token) and would be "
                    "uploaded: read it from the configuration values in the IXON portal instead"
                )
        if name.endswith(".py"):
            tree = _parse(root, path, shown, data)
            exposed = exposed or import_world.exposes(tree)
    if not exposed:
        raise BundleError(
            f"no function is exposed: nothing in {PACKAGE}/ is marked with "
            "@FunctionContext.expose, so IXON Cloud would have nothing to call"
        )


def has_function(root: Path) -> bool:
    """Whether `functions/` exposes a function (one it cannot parse counts: the bundle then
    names the syntax error)."""
    package = root / PACKAGE
    if not package.is_dir():
        return False
    for path in walk.files(package, {"__pycache__", "tests", "test", "node_modules"}):
        if path.suffix != ".py" or _is_test(path.name) or path.name.startswith("."):
            continue
        try:
            if import_world.exposes(ast.parse(path.read_bytes())):
                return True
        except (SyntaxError, ValueError, OSError):
            return True
    return False


def ui_only(root: Path) -> bool:
    """Whether the workspace is UI Components without a Cloud Function: nothing in
    `functions/` is exposed, and `cdk.config.json` lists components. Bundle, deploy and doctor
    then do the UI part alone, and need no Cloud Function template ID."""
    if has_function(root):
        return False
    try:
        return bool(components.listed(root))
    except UserError:
        return False


def warnings_for(root: Path, chosen: Iterable[str]) -> list[str]:
    """What may be a mistake in the bundled files (nothing refused): a token-like string or a
    cloud key in a data file, a file of tens of MB. Each warning names the file and line."""
    found = []
    for relative in chosen:
        path = root / PACKAGE / relative
        shown = f"{PACKAGE}/{relative}"
        size = path.stat().st_size
        if size >= LARGE_FILE:
            found.append(
                f"{shown} is {size / 1024 / 1024:.1f} MB and is uploaded with every deploy: "
                f"leave it out of {INCLUDE_KEY} if IXON Cloud does not need it"
            )
            continue  # too large to scan line by line cheaply; the size is the news
        text = path.read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            kinds = [kind for kind, pattern in CLOUD_SECRETS.items() if pattern.search(line)]
            if not relative.endswith(".py") and _TOKEN_LIKE.search(line):
                kinds.append("a 32-character token")
            if kinds:
                found.append(
                    f"{shown}:{number} looks like it holds {kinds[0]} and would be uploaded: "
                    "if it is a secret, move it to the configuration values in the IXON "
                    "portal (and revoke it)"
                )
                break  # one warning per file is enough to make someone look
    return found


def check_imports(root: Path, chosen: Iterable[str], runtime_modules: Iterable[str]) -> None:
    """Refuse what would not import in IXON Cloud: imports of ixoncdkingress 0.0.x, imports
    and called names that IXON's module resolution cannot take to your code, and a second
    AppDescription (ixon_devkit.workspace.import_world)."""
    old = []
    described = []
    for relative in chosen:
        path = root / PACKAGE / relative
        if path.suffix != ".py":
            continue
        shown = f"{PACKAGE}/{relative}"
        old += legacy.imports_in(path, shown)
        try:
            tree = ast.parse(path.read_bytes(), filename=shown)
        except (SyntaxError, ValueError):
            continue
        described += [f"{shown}:{line}" for line in import_world.app_descriptions(tree)]
    if old:
        more = f" (and {len(old) - 1} more such import(s))" if len(old) > 1 else ""
        raise BundleError(
            f"{old[0].describe()}{more}: IXON Cloud could not import it; `invoke "
            "rewrite-imports` rewrites them"
        )
    found = import_world.workspace_problems(root, runtime_modules)
    if found:
        raise BundleError(import_world.summary(found))
    clash = import_world.app_description_clash(described)
    if clash:
        raise BundleError(clash)


def unlisted_modules(root: Path) -> dict[str, dict[str, str | None]]:
    """The modules of the workspace's environment that requirements.txt does not bring
    itself, asked of the environment (`python -m ixon_devkit.workspace.distributions`); empty
    without one."""
    python = environment.environment_for(root).python
    if not python.exists():
        return {}
    found = import_world.ask_environment(python, root, "ixon_devkit.workspace.distributions")
    return found if isinstance(found, dict) else {}


def check_requirements_cover(
    root: Path, chosen: Iterable[str], unlisted: Mapping[str, Mapping[str, str | None]]
) -> list[str]:
    """Refuse an import that only the development requirements provide (IXON Cloud installs
    requirements.txt alone); the warnings for imports that come only as a dependency of a
    dependency (there, at a version nobody pinned)."""
    local = set(import_world.top_level_modules(f"{PACKAGE}/{name}" for name in chosen))
    warnings = []
    for relative in chosen:
        if not relative.endswith(".py"):
            continue
        shown = f"{PACKAGE}/{relative}"
        try:
            tree = ast.parse((root / PACKAGE / relative).read_bytes(), filename=shown)
        except (SyntaxError, ValueError):
            continue
        for module, line in import_world.required_imports(tree):
            found = unlisted.get(module)
            if module in local or module == PACKAGE or not found:
                continue
            distribution, via = found.get("distribution"), found.get("via")
            if via is None:
                raise BundleError(
                    f"{shown}:{line} imports `{module}`, which only the development "
                    f"requirements provide ({distribution}): IXON Cloud installs "
                    f"{REQUIREMENTS} alone, so the import would fail there: add "
                    f"{distribution} to {REQUIREMENTS}"
                )
            warnings.append(
                f"{shown}:{line} imports `{module}`, which {REQUIREMENTS} does not list: IXON "
                f"Cloud has it only because {via} needs it, at a version nobody pinned: add "
                f"{distribution} to {REQUIREMENTS}"
            )
    return warnings


def loaded_by_runtime(root: Path) -> frozenset[str]:
    """The modules the workspace's runtime has imported before it imports yours (asked of
    its environment; without one, the standard library's names)."""
    python = environment.environment_for(root).python
    found = import_world.runtime_modules(python, root) if python.exists() else frozenset()
    return found or frozenset(getattr(sys, "stdlib_module_names", ()))


def build(
    root: Path,
    *,
    secrets: Iterable[str] = (),
    runtime_modules: Iterable[str] | None = None,
    unlisted: Mapping[str, Mapping[str, str | None]] | None = None,
) -> Bundle:
    """Check the sources, then write dist/<slug>-<version>.zip; the Bundle, or BundleError.

    `secrets` are strings (the access token) that must not appear in any bundled file;
    `runtime_modules` the names the runtime has already imported, and `unlisted` the modules
    requirements.txt does not bring itself (ixon_devkit.workspace.distributions); both default to
    what the workspace's environment says.
    """
    root = root.resolve()
    version = read_version(root)
    check_requirements(root)
    chosen, left_out = collect(root)
    check_sources(root, chosen, _known_secrets(root, secrets))
    if runtime_modules is None:
        runtime_modules = loaded_by_runtime(root)
    check_imports(root, chosen, runtime_modules)
    _check_inside(root, root / REQUIREMENTS, REQUIREMENTS)
    warnings = warnings_for(root, chosen)
    warnings += import_world.notes(import_world.read_sources(root, [PACKAGE]), runtime_modules)
    warnings += check_requirements_cover(
        root, chosen, unlisted_modules(root) if unlisted is None else unlisted
    )
    entries = [(REQUIREMENTS, (root / REQUIREMENTS).read_bytes())]
    entries += [(f"{PACKAGE}/{name}", (root / PACKAGE / name).read_bytes()) for name in chosen]
    name = slug(root)
    archive = archive_bytes(entries, comment=f"{name} {version}")
    target = root / DIST / f"{name}-{version}.zip"
    target.parent.mkdir(exist_ok=True)
    files.write_atomic(target, archive)
    return Bundle(
        path=target,
        slug=name,
        version=version,
        files=tuple(sorted((entry, len(data)) for entry, data in entries)),
        size=len(archive),
        sha256=hashlib.sha256(archive).hexdigest(),
        left_out=tuple(left_out),
        warnings=tuple(warnings),
    )


def archive_bytes(entries: Iterable[tuple[str, bytes]], comment: str = "") -> bytes:
    """A zip of `entries` (name, content) that depends on nothing but them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=TIMESTAMP)
            info.create_system = 3  # Unix, so the permissions below mean the same everywhere
            info.external_attr = PERMISSIONS << 16
            # Stored, not deflated: zlib builds (zlib, zlib-ng) compress the same data to
            # different bytes, so only stored entries give one sha256 on every machine.
            info.compress_type = zipfile.ZIP_STORED
            zf.writestr(info, data, compress_type=zipfile.ZIP_STORED)
        zf.comment = comment.encode("utf-8")
    return buffer.getvalue()


def _known_secrets(root: Path, extra: Iterable[str]) -> list[str]:
    """The access token (wherever deploy would find it), to make sure no file holds it."""
    found = [value.strip() for value in extra if value and value.strip()]
    token = settings.find_token(root)
    if token is not None:
        found.append(token.reveal())
    # Short strings would match by chance; a real token is 32 characters.
    return [value.removeprefix("Bearer ").strip() for value in found if len(value) >= 16]


def _baked_slug(root: Path) -> str:
    """`function_slug` as answered when the workspace was baked (`.cruft.json`), or ""."""
    try:
        data = json.loads((root / ".cruft.json").read_text(encoding="utf-8"))
        return str(data["context"]["cookiecutter"]["function_slug"] or "")
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def _is_test(name: str) -> bool:
    if name == "conftest.py":
        return True
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def _parse(root: Path, path: Path, shown: str, data: bytes) -> ast.AST:
    try:
        return ast.parse(data, filename=shown)
    except SyntaxError as error:
        if not _confirmed_by_runtime_python(root, path):
            # Syntax newer than the Python running invoke, fine for the runtime's Python.
            return ast.Module(body=[], type_ignores=[])
        raise BundleError(
            f"{shown}:{error.lineno or 1} has a syntax error ({error.msg}): fix it (IXON Cloud "
            "could not import it)"
        ) from None


def _confirmed_by_runtime_python(root: Path, path: Path) -> bool:
    """Whether the workspace's own Python (when it is another one) also finds a syntax error."""

    try:
        wanted = environment.workspace_python_version(root)
    except (OSError, ValueError, KeyError):
        return True
    if wanted == "{}.{}".format(*sys.version_info[:2]):
        return True
    python = environment.environment_for(root).python
    if not python.exists():
        return True
    result = subprocess.run(
        [str(python), "-c", "import ast, sys; ast.parse(open(sys.argv[1], 'rb').read())", path],
        capture_output=True,
        timeout=60,
    )
    return result.returncode != 0
