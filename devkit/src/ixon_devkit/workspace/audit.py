"""`invoke audit`: known vulnerabilities of the locked packages, and which ones the runtime caps.

pip-audit checks every pin of `requirements.txt` and `requirements-dev.txt` against OSV's
advisory database. A finding whose fixed release some installed package forbids (ixoncdkingress
1.0.0 requires `requests~=2.31.0`, so the fix of CVE-2024-47081 in requests 2.32.4 cannot be
installed) is reported as held back, with the requirement that holds it: nothing in this
workspace can fix it until that package allows the fix. Only findings the workspace can fix
(`invoke lock --upgrade`, or a higher pin in a declaration) fail the audit, unless `--strict`.
When the advisory database cannot be reached, one line says so and nothing fails.

Runs in the workspace's environment: `python -m ixon_devkit.workspace.audit`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ixon_devkit.errors import UserError, main_wrapper

LOCKS = ("requirements.txt", "requirements-dev.txt")
#: Ask another OSV endpoint (a mirror, or a stand-in in tests) instead of OSV's own.
OSV_URL_VARIABLE = "IXON_AUDIT_OSV_URL"
#: What pip-audit's failures to reach the database look like (requests' exception names).
_UNREACHABLE = (
    "ConnectionError",
    "ProxyError",
    "ConnectTimeout",
    "ReadTimeout",
    "NameResolutionError",
    "Could not connect",
)


class AuditError(UserError):
    """pip-audit could not audit; the message says why and what to do."""


class UnreachableError(Exception):
    """The advisory database could not be reached."""


@dataclass(frozen=True)
class Cap:
    """An installed package whose requirement forbids every fixed release."""

    holder: str  # "ixoncdkingress 1.0.0"
    requirement: str  # "requests~=2.31.0"


@dataclass(frozen=True)
class Finding:
    """One known vulnerability of one locked package."""

    package: str
    version: str
    ids: tuple[str, ...]
    fix_versions: tuple[str, ...]
    description: str
    caps: tuple[Cap, ...] = ()

    @property
    def held_back(self) -> bool:
        """Whether a fix exists but an installed package's requirement forbids it."""
        return bool(self.fix_versions) and bool(self.caps)


def run_pip_audit(root: Path, osv_url: str | None = None) -> dict:
    """pip-audit's JSON report of the workspace's locks, merged; UnreachableError when offline.

    One run per lock: pip-audit wants hashes on every line once one file has them, and only
    the development lock carries hashes.
    """
    merged: dict[tuple[str, str], dict] = {}
    for name in LOCKS:
        if (root / name).is_file():
            for dependency in _pip_audit(root, name, osv_url).get("dependencies", []):
                key = (dependency.get("name", ""), dependency.get("version", ""))
                merged.setdefault(key, dependency)
    return {"dependencies": list(merged.values())}


def _pip_audit(root: Path, lock: str, osv_url: str | None) -> dict:
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--vulnerability-service",
        "osv",
        "--no-deps",
        "--disable-pip",
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--timeout",
        "15",
        "--requirement",
        lock,
    ]
    if osv_url:
        command += ["--osv-url", osv_url]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True)
    try:
        return json.loads(result.stdout)
    except ValueError:
        pass
    if any(sign in result.stderr for sign in _UNREACHABLE):
        host = re.search(r"host='([^']+)'", result.stderr)
        raise UnreachableError(f"no connection to {host[1]}" if host else "no connection")
    last = next((line for line in reversed(result.stderr.splitlines()) if line.strip()), "")
    raise AuditError(
        f"pip-audit failed on {lock} (exit code {result.returncode}): {last or 'no output'}; "
        "check that it is a lock (`invoke lock` writes it)"
    )


def findings(
    report: dict, installed: Iterable[metadata.Distribution] | None = None
) -> list[Finding]:
    """The vulnerabilities in pip-audit's JSON `report`, each with what holds its fix back."""
    distributions = list(metadata.distributions() if installed is None else installed)
    found = []
    for dependency in report.get("dependencies", []):
        for vulnerability in dependency.get("vulns", []):
            fixes = tuple(vulnerability.get("fix_versions", []))
            name = dependency["name"]
            found.append(
                Finding(
                    package=name,
                    version=dependency.get("version", "?"),
                    ids=(vulnerability["id"], *vulnerability.get("aliases", [])),
                    fix_versions=fixes,
                    description=" ".join(str(vulnerability.get("description", "")).split()),
                    caps=tuple(caps_of(name, fixes, distributions)),
                )
            )
    return found


def caps_of(package: str, fixes: Iterable[str], distributions: Iterable[metadata.Distribution]):
    """The installed packages whose requirement on `package` allows none of `fixes`."""
    fixed = [_version(fix) for fix in fixes]
    fixed = [version for version in fixed if version is not None]
    if not fixed:
        return
    wanted = canonicalize_name(package)
    for distribution in distributions:
        holder = distribution.metadata["Name"] or "?"
        for line in distribution.requires or []:
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            if canonicalize_name(requirement.name) != wanted or not requirement.specifier:
                continue
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            if not any(requirement.specifier.contains(fix, prereleases=True) for fix in fixed):
                yield Cap(f"{holder} {distribution.version}", f"{wanted}{requirement.specifier}")


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def describe(finding: Finding) -> str:
    """One line for one finding, saying whether and how it can be fixed."""
    ids = finding.ids[0] + (f" ({', '.join(finding.ids[1:])})" if finding.ids[1:] else "")
    line = f"{finding.package} {finding.version}: {ids}"
    if not finding.fix_versions:
        return f"{line}: no fixed release yet"
    line += f", fixed in {', '.join(finding.fix_versions)}"
    if finding.held_back:
        holders = "; ".join(f"{cap.holder} requires {cap.requirement}" for cap in finding.caps)
        return f"{line}: held back by the runtime's own cap ({holders})"
    return f"{line}: upgrade it (`invoke lock --upgrade`, or a higher pin in requirements*.in)"


def summary(found: list[Finding], skipped: int) -> str:
    """The closing line of the report."""
    if not found:
        line = "No known vulnerabilities in requirements.txt and requirements-dev.txt"
    else:
        held = sum(finding.held_back for finding in found)
        line = (
            f"{len(found)} known vulnerabilit{'y' if len(found) == 1 else 'ies'}: "
            f"{held} held back by the runtime's own caps (fixed once it allows the fix: "
            f"nothing to do here), {len(found) - held} for this workspace to fix"
        )
    if skipped:
        line += f" ({skipped} packages could not be audited)"
    return line


@main_wrapper
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="fail on held-back findings too")
    parser.add_argument("--root", default=".", help="the workspace folder")
    options = parser.parse_args(argv)
    root = Path(options.root)
    try:
        report = run_pip_audit(root, os.environ.get(OSV_URL_VARIABLE) or None)
    except UnreachableError as error:
        print(
            "WARNING: the advisory database (OSV) cannot be reached, so nothing was audited "
            f"({error}): run `invoke audit` again where it can be reached (CI does)",
            flush=True,
        )
        return 0
    found = findings(report)
    skipped = sum(1 for dependency in report.get("dependencies", []) if "skip_reason" in dependency)
    for finding in found:
        print(describe(finding))
    print(summary(found, skipped))
    to_fix = [finding for finding in found if options.strict or not finding.held_back]
    return 1 if to_fix else 0


if __name__ == "__main__":
    sys.exit(main())
