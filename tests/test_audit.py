"""`invoke audit`: pip-audit on the locks, with the findings the runtime's caps hold back named.

pip-audit runs for real in a baked workspace's environment, against a stand-in of OSV's API on
loopback (`tests/osv_standin.py`) serving `tests/advisories.json`: the two advisories that
ixoncdkingress 1.0.0's pins hold back (requests 2.31.0, cryptography 42.0.8), and a made-up
one of a tool the workspace can upgrade. Offline is a closed loopback port: the real connection
failure. npm audit's offline path likewise, in-process, against a closed registry port.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

from osv_standin import serving

from conftest import bake, invoke, workspace_module

ADVISORIES = Path(__file__).with_name("advisories.json")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_audit_names_what_the_runtime_holds_back(default_workspace, tmp_path):
    capped_only = tmp_path / "capped.json"
    capped_only.write_text(json.dumps(json.loads(ADVISORIES.read_text())[:2]))

    with serving(capped_only) as url:
        held = invoke(default_workspace, "audit", check=False, IXON_AUDIT_OSV_URL=url)
    with serving(ADVISORIES) as url:
        fixable = invoke(default_workspace, "audit", check=False, IXON_AUDIT_OSV_URL=url)

    assert held.returncode == 0, held.stdout + held.stderr
    assert (
        "requests 2.31.0: GHSA-9hjg-9r4m-mvj7 (CVE-2024-47081), fixed in 2.32.4: held back by "
        "the runtime's own cap (ixoncdkingress 1.0.0 requires requests~=2.31.0)"
    ) in held.stdout.replace(
        "CVE-2024-47081 (GHSA-9hjg-9r4m-mvj7)", "GHSA-9hjg-9r4m-mvj7 (CVE-2024-47081)"
    )
    assert "cryptography 42.0.8" in held.stdout and "CVE-2024-12797" in held.stdout
    assert "ixoncdkingress 1.0.0 requires cryptography~=42.0.5" in held.stdout
    assert "2 known vulnerabilities: 2 held back by the runtime's own caps" in held.stdout

    assert fixable.returncode == 1
    assert "dominate 2.9.1: PYSEC-2099-1, fixed in 2.9.2: upgrade it" in fixable.stdout
    assert "3 known vulnerabilities: 2 held back" in fixable.stdout
    assert "1 for this workspace to fix" in fixable.stdout


def test_audit_without_the_advisory_database_is_one_line(default_workspace):
    url = f"http://127.0.0.1:{closed_port()}/v1/query"

    result = invoke(default_workspace, "audit", IXON_AUDIT_OSV_URL=url)

    lines = [line for line in result.stdout.splitlines() if line.startswith("WARNING")]
    assert len(lines) == 1, result.stdout
    assert "the advisory database (OSV) cannot be reached, so nothing was audited" in lines[0]
    assert "no connection to 127.0.0.1" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_npm_audit_without_the_registry_is_one_line(tmp_path, monkeypatch):
    project = bake(tmp_path, ui_component="status-panel")
    monkeypatch.setenv("npm_config_registry", f"http://127.0.0.1:{closed_port()}/")
    node = workspace_module("ixon_devkit.ui.node", project)

    line, failed = node.audit(project)

    assert not failed
    assert line.startswith("WARNING: npm's advisory service cannot be reached")
