"""`invoke doctor`: where a workspace stands in IXON's process, and what to do next.

Most tests call the workspace's `ixon_devkit.doctor.doctor` in-process on a freshly baked workspace
(baking is cheap; no environment is needed). A few run the real `invoke doctor`, `invoke test`
and `invoke deploy` to prove the wiring, `--online` against the tests' stand-in of IXON's API.
No output may show the access token.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ixon_standin import StandIn, point_workspace_at

from conftest import bake, invoke, workspace_module

doctor = workspace_module("ixon_devkit.doctor.doctor")
examples = workspace_module("ixon_devkit.workspace.examples")
api_access = workspace_module("ixon_devkit.cloud.api_access")

TOKEN = "Zq7SecretTokenXy42Wv9Pq3Lm8Nb5Rt"
COMPANY = "1234-5678-9012-3456-7890"
TEMPLATE = "AbCdEf123456"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday


@pytest.fixture(scope="module")
def baked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Workspaces baked once for this module: without IDs, and with both."""
    return {
        "fresh": bake(tmp_path_factory.mktemp("fresh")),
        "ready": bake(tmp_path_factory.mktemp("ready"), company_id=COMPANY, template_id=TEMPLATE),
    }


@pytest.fixture
def fresh(tmp_path: Path, baked: dict[str, Path]) -> Path:
    """A baked workspace without IDs and without a token; yours to change."""
    return Path(shutil.copytree(baked["fresh"], tmp_path / baked["fresh"].name))


@pytest.fixture
def ready(tmp_path: Path, baked: dict[str, Path]) -> Path:
    """A baked workspace with both IDs and a token file only its owner can read."""
    project = Path(shutil.copytree(baked["ready"], tmp_path / baked["ready"].name))
    token = project / ".accesstoken"
    token.write_text(TOKEN + "\n")
    token.chmod(0o600)
    return project


def steps(project: Path, now: datetime | None = None, **environ: str) -> dict[str, object]:
    """The doctor's steps by name, checked that no line shows the token."""
    report = doctor.check(project, environ=environ, now=now)
    assert all(TOKEN not in line for line in report.lines())
    return {step.name: step for step in report.steps}


def write_workspace(project: Path, **changes: object) -> None:
    path = project / "workspace.json"
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data, indent=2))


def add_component(project: Path, name: str) -> None:
    folder = project / "components" / name
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(
        json.dumps({"main": f"app-{name}.min.js", "version": "1"})
    )


def record_deploy(
    project: Path, when: datetime, *, version: str = "0.1.0", **extra: object
) -> None:
    entry = {
        "version": version,
        "template_id": TEMPLATE,
        "company_id": COMPANY,
        "time": when.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "sha256": "0" * 64,
        "commit": None,
        "dirty": False,
        **extra,
    }
    (project / "deployments.json").write_text(json.dumps({"deployments": [entry]}))


# -- the template and the company ---------------------------------------------------------------


def test_a_fresh_workspace_names_the_missing_template_id_with_both_ways_to_get_one(
    fresh: Path,
) -> None:
    report = doctor.check(fresh, environ={})
    template = {step.name: step for step in report.steps}["Cloud Function template ID"]

    assert template.status == doctor.MISSING
    assert template.blocking
    assert "IXON_API_TEMPLATE_ID is not set" in template.detail
    assert "register the Cloud Function in IXON Studio" in template.action
    assert "ask IXON support for one by e-mail (`invoke doctor --email`" in template.action
    blocking = [step.name for step in report.blocking]
    assert blocking == ["Company ID", "Cloud Function template ID", "Examples", "Access token"]


def test_the_steps_come_in_ixons_order(fresh: Path) -> None:
    names = list(steps(fresh))

    assert names == [
        "Python environment",
        "Tests",
        "Lint",
        "Company ID",
        "Cloud Function template ID",
        "Examples",
        "API access",
        "Access token",
        "Version",
        "Deploy and provisioning",
    ]


def test_with_the_ids_and_a_token_only_the_examples_stop_a_deploy(ready: Path) -> None:
    found = steps(ready, now=datetime.now(UTC))

    for name in ("Company ID", "Cloud Function template ID", "Access token", "API access"):
        assert found[name].status == doctor.DONE, found[name]
    assert f"{COMPANY} (from workspace.json company_id)" in found["Company ID"].detail
    assert "Platform administrator" in found["Access token"].detail
    assert "AgentList" in found["API access"].detail  # what to grant, in Studio
    # The template's examples, as baked: named in the words `invoke deploy` refuses them with.
    assert [step.name for step in found.values() if step.blocking] == ["Examples"]
    shipped = examples.state(ready).shipped()
    assert "functions/assistant.py" in shipped
    assert found["Examples"].detail == examples.refusal(shipped)

    examples.remove(ready)
    assert not [step for step in steps(ready, now=datetime.now(UTC)).values() if step.blocking]


def test_a_malformed_id_is_named_with_where_it_came_from(ready: Path) -> None:
    found = steps(ready, IXON_API_TEMPLATE_ID="not-an-id", IXON_API_COMPANY_ID="12-34")

    assert found["Cloud Function template ID"].blocking
    assert '"not-an-id" (from environment)' in found["Cloud Function template ID"].detail
    assert found["Company ID"].blocking
    assert "five groups of four digits" in found["Company ID"].action


def test_a_token_pasted_as_a_setting_is_never_shown(ready: Path) -> None:
    found = steps(ready, IXON_API_COMPANY_ID=TOKEN)

    assert "********" in found["Company ID"].detail


def test_a_broken_workspace_json_is_a_step_not_a_traceback(ready: Path) -> None:
    (ready / "workspace.json").write_text("{ not json")

    report = doctor.check(ready, environ={})

    first = report.steps[0]
    assert first.name == "Settings"
    assert first.blocking
    assert "workspace.json is not valid JSON" in first.detail


# -- the token ----------------------------------------------------------------------------------


def test_an_old_token_file_draws_a_warning_with_how_to_get_a_new_one(ready: Path) -> None:
    old = time.time() - 45 * 86400
    os.utime(ready / ".accesstoken", (old, old))

    token = steps(ready, now=datetime.now(UTC))["Access token"]

    assert token.status == doctor.WARNING
    assert "45 days old" in token.detail
    assert "get a new token" in token.action


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_a_token_file_others_can_read_draws_a_warning(ready: Path) -> None:
    (ready / ".accesstoken").chmod(0o644)

    token = steps(ready)["Access token"]

    assert token.status == doctor.WARNING
    assert "chmod 600 .accesstoken" in token.action


def test_a_malformed_token_is_refused_without_showing_it(ready: Path) -> None:
    (ready / ".accesstoken").write_text("short " + TOKEN)

    token = steps(ready)["Access token"]

    assert token.blocking
    assert "malformed" in token.detail


# -- UI Components and API access ---------------------------------------------------------------


def test_a_ui_component_without_its_template_id_is_missing(ready: Path) -> None:
    add_component(ready, "status-panel")
    add_component(ready, "gauge")
    write_workspace(
        ready,
        ui_components={
            "status-panel": {"template_id": ""},
            "gauge": {"template_id": "PcT0000000A1"},
        },
    )

    found = steps(ready)

    panel = found["UI Component status-panel"]
    assert panel.blocking
    assert "IXON Studio (UI Components)" in panel.action
    assert "`invoke doctor --email`" in panel.action
    assert found["UI Component gauge"].status == doctor.DONE
    names = list(found)
    assert names.index("UI Component gauge") > names.index("Cloud Function template ID")


def test_a_component_folder_not_listed_draws_a_warning(ready: Path) -> None:
    add_component(ready, "orphan")

    assert steps(ready)["UI Component orphan"].status == doctor.WARNING


def test_api_names_the_code_uses_must_be_in_api_access(ready: Path) -> None:
    (ready / "functions" / "fleet.py").write_text(
        "from ixoncdkingress.function.context import FunctionContext\n\n\n"
        "@FunctionContext.expose\n"
        "def me(context: FunctionContext):\n"
        '    return context.api_client.get("MyUser")\n'
    )

    # The baked example (agents.py) calls AgentList, which the baked api_access lists.
    access = steps(ready)["API access"]
    assert access.blocking
    assert access.detail == api_access.refusal(ready)  # the words deploy refuses with
    assert "does not list: MyUser (functions/fleet.py:6)" in access.detail
    assert "IXON support" in access.action

    write_workspace(ready, api_access=["AgentList", "MyUser", "Group"])
    access = steps(ready)["API access"]
    assert access.status == doctor.DONE
    assert "listed but unused: Group" in access.detail


# -- tests, version, deploy, provisioning -------------------------------------------------------


def test_the_last_test_run_is_read_from_what_invoke_test_recorded(ready: Path) -> None:
    assert steps(ready)["Tests"].status == doctor.WARNING  # no run yet

    doctor.record_test_run(ready, 1)
    assert steps(ready)["Tests"].blocking

    doctor.record_test_run(ready, 0, selection="greet")
    assert "only the tests matching -k greet" in steps(ready)["Tests"].detail

    doctor.record_test_run(ready, 0)
    assert steps(ready)["Tests"].status == doctor.DONE

    later = time.time() + 60
    os.utime(ready / "functions" / "example.py", (later, later))
    tests = steps(ready)["Tests"]
    assert tests.status == doctor.WARNING
    assert "functions/example.py changed since" in tests.detail


def test_a_version_already_deployed_to_the_template_stops_a_deploy(ready: Path) -> None:
    record_deploy(ready, NOW - timedelta(days=10))

    version = steps(ready, now=NOW)["Version"]

    assert version.blocking
    assert "already deployed to template AbCdEf123456" in version.detail
    assert "invoke bump" in version.action


def test_an_untagged_version_in_git_draws_a_warning_with_how_to_tag_it(tmp_path: Path) -> None:
    project = bake(tmp_path, git_init="yes")

    version = steps(project)["Version"]

    assert version.status == doctor.WARNING
    assert "tag v0.1.0 is not at HEAD" in version.detail
    assert "`git tag -a v0.1.0 -m 0.1.0`" in version.action


def test_provisioning_is_a_warning_for_two_business_days(ready: Path) -> None:
    friday = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    record_deploy(ready, friday, company_to_be_provisioned=True)

    monday = steps(ready, now=datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    step = monday["Deploy and provisioning"]
    assert step.status == doctor.WARNING
    assert "to be provisioned" in step.detail
    assert "2026-11-24 09:00 UTC" in step.detail  # Friday + two business days

    later = steps(ready, now=datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    assert later["Deploy and provisioning"].status == doctor.DONE


def test_after_a_deploy_the_portal_steps_follow(ready: Path) -> None:
    record_deploy(ready, NOW)

    lines = doctor.check(ready, environ={}, now=NOW).lines()

    assert any("Admin > Apps" in line for line in lines)
    assert any("Download logs" in line for line in lines)


# -- the e-mails --------------------------------------------------------------------------------


def test_the_email_requests_a_template_with_the_functions_name_and_company_id(
    tmp_path: Path,
) -> None:
    project = bake(tmp_path, company_id=COMPANY, function_name="Fleet Monitor")
    (project / "functions" / "agents.py").unlink()  # a function that calls no IXON API
    add_component(project, "status-panel")
    write_workspace(project, ui_components={"status-panel": {"template_id": ""}})

    text = doctor.email_requests(project, environ={})

    assert "Cloud Function name: Fleet Monitor" in text
    assert f"Company ID: {COMPANY}" in text
    assert "[company name" in text  # unknown: a placeholder
    assert "status-panel: [used on a main page: yes or no]; new" in text
    assert "page-component-template ID of each new UI Component" in text
    assert "API access" not in text


def test_the_email_asks_to_authorise_the_api_names_the_code_uses(ready: Path) -> None:
    (ready / "functions" / "fleet.py").write_text(
        "def agents(context):\n    return context.api_client.get('AgentList')\n"
    )

    text = doctor.email_requests(ready, environ={})

    assert "Subject: API access for the Cloud Function" in text
    assert "- AgentList" in text
    assert f"Cloud Function template ID: {TEMPLATE}" in text
    assert "Subject: Cloud Function template" not in text  # it has one
    assert TOKEN not in text


def test_with_a_template_the_email_asks_only_for_new_ui_component_templates(ready: Path) -> None:
    (ready / "functions" / "agents.py").unlink()  # a function that calls no IXON API
    add_component(ready, "gauge")
    write_workspace(ready, ui_components={"gauge": {"template_id": "", "main_page": True}})

    text = doctor.email_requests(ready, environ={})

    assert text.startswith("Subject: UI Component templates for My Cloud Function")
    assert f"Cloud Function template ID: {TEMPLATE}" in text
    assert "- gauge: used on a main page; new: please create its page-component-template" in text

    write_workspace(ready, ui_components={"gauge": {"template_id": "PcT0000000A1"}})
    assert doctor.email_requests(ready, environ={}).startswith("Nothing to ask IXON")


# -- the real tasks ----------------------------------------------------------------------------


@pytest.fixture
def api() -> Iterator[StandIn]:
    with StandIn(company_id=COMPANY, template_id=TEMPLATE, token=TOKEN) as standin:
        yield standin


def no_token(result) -> str:
    output = result.stdout + result.stderr
    assert TOKEN not in output
    assert "Traceback" not in output
    return output


def test_invoke_doctor_in_a_fresh_workspace_exits_non_zero(workspace: Path) -> None:
    result = invoke(workspace, "doctor", check=False)

    assert result.returncode != 0
    assert "missing  Cloud Function template ID: IXON_API_TEMPLATE_ID is not set" in result.stdout
    assert "IXON Studio" in result.stdout
    assert "`invoke doctor --email`" in result.stdout
    [error] = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert "Cloud Function template ID" in error


def test_invoke_doctor_email_prints_the_request(workspace: Path) -> None:
    result = invoke(workspace, "doctor", "--email", IXON_API_COMPANY_ID=COMPANY)

    assert "Cloud Function name: My Cloud Function" in result.stdout
    assert f"Company ID: {COMPANY}" in result.stdout


def test_invoke_test_records_its_result_for_doctor(workspace: Path) -> None:
    invoke(workspace, "test", "-k", "greet")

    result = invoke(workspace, "doctor", check=False)

    assert "only the tests matching -k greet ran last" in result.stdout
    assert ".devkit/" in (workspace / ".gitignore").read_text()


def test_invoke_doctor_online_asks_the_api_about_the_token(workspace: Path, api: StandIn) -> None:
    point_workspace_at(workspace, api)
    api.role = "Platform administrator"

    result = invoke(workspace, "doctor", "--online", IXON_API_ACCESS_TOKEN=TOKEN, check=False)
    out = no_token(result)

    # Only the template's examples, as baked, stop a deploy of this workspace.
    assert "ERROR: 1 step(s) would stop a deploy: Examples" in result.stderr

    assert "done     Token (online): IXON accepts it: user Ada Lovelace" in out
    assert f"done     Company (online): {COMPANY} is Acme Machines" in out
    assert (
        "done     Role (online): your role in Acme Machines is Platform administrator, the role "
        "IXON's process for Cloud Functions asks for" in out
    )
    # Nothing deployed yet: the deployed function read as `invoke status` reads it.
    assert "warning  Deployed (online): VERSION 0.1.0 is not deployed here yet" in out
    # discovery, MyUser, MyCompany, BackendComponentTemplate, its VersionList and ConfigList,
    # UserMembershipList, GroupList, RoleList
    assert api.count("GET") == 9


def test_invoke_doctor_online_with_a_rejected_token_is_one_error(
    workspace: Path, api: StandIn
) -> None:
    point_workspace_at(workspace, api)
    api.fail("user", 401, body="echo")  # a careless answer that repeats the header

    result = invoke(workspace, "doctor", "--online", IXON_API_ACCESS_TOKEN=TOKEN, check=False)
    out = no_token(result)

    assert result.returncode != 0
    assert "missing  IXON's API (online): MyUser failed: 401" in out
    assert "access token is wrong or has expired" in out
    assert len([line for line in result.stderr.splitlines() if line.startswith("ERROR")]) == 1


def online(project: Path, api: StandIn) -> list[str]:
    """`invoke doctor --online`'s lines, in-process against `api`, checked for the token."""
    point_workspace_at(project, api)
    doctor_online = workspace_module("ixon_devkit.doctor.doctor_online")
    lines: list[str] = []
    doctor_online.run(project, echo=lines.append)
    assert all(TOKEN not in line for line in lines)
    return lines


def test_doctor_online_reads_the_role_of_the_company_wide_membership(ready: Path) -> None:
    with StandIn(company_id=COMPANY, token=TOKEN) as api:
        api.role = "Viewer"  # the user's asset-group membership and another user's are admins
        lines = online(ready, api)

        asked = {request.path.split("?")[0]: request.path for request in api.requests}
    role = next(line for line in lines if "Role (online)" in line)
    assert role.startswith("warning  Role (online): your role in Acme Machines is Viewer; ")
    assert "deploying a Cloud Function needs the Platform administrator role" in role
    assert "(IXON's process for Cloud Functions)" in role
    # IXON's documented endpoints, each with a fields selection of what doctor reads
    assert "fields=publicId,name" in asked["/api/users/me"]
    assert "fields=publicId,name" in asked["/api/companies/me"]
    assert "group.publicId" in asked["/api/users/memberships"]
    assert "isCompanyGroup" in asked["/api/groups"]
    assert "/api/roles" in asked
    assert not any("UI Components (online)" in line for line in lines)


def test_doctor_online_says_what_it_cannot_tell(ready: Path) -> None:
    add_component(ready, "status-panel")
    (ready / "cdk.config.json").write_text(json.dumps({"components": {"status-panel": {}}}))
    with StandIn(company_id=COMPANY, token=TOKEN) as api:
        api.role = "Platform administrator"
        ui = online(ready, api)[-1]
        api.fail("memberships", 403)
        refused = next(line for line in online(ready, api) if "Role (online)" in line)
        api.role = None
        none = next(line for line in online(ready, api) if "Role (online)" in line)

    assert ui.startswith("warning  UI Components (online): deploying a UI Component needs a role ")
    assert '"Develop apps" permission (IXON\'s documentation for UI Components)' in ui
    assert "doctor cannot tell whether your role Platform administrator has it" in ui
    assert refused.startswith("warning  Role (online): cannot tell your role in Acme Machines: ")
    assert "IXON did not answer UserMembershipList" in refused and "403" in refused
    assert "IXON lists no company-wide membership" in none


def test_a_403_on_upload_names_the_platform_administrator_role(
    workspace: Path, api: StandIn
) -> None:
    point_workspace_at(workspace, api)
    api.fail("upload", 403, times=None)

    result = invoke(
        workspace,
        "deploy",
        "--skip-checks",
        "--keep-examples",
        IXON_API_ACCESS_TOKEN=TOKEN,
        check=False,
    )
    no_token(result)

    [error] = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert "403 Forbidden" in error
    role = error.index("Platform administrator role")
    assert role < error.index("API application")


def test_a_deploy_ends_with_its_summary_and_records_provisioning(
    workspace: Path, api: StandIn
) -> None:
    point_workspace_at(workspace, api)
    api.provisioning = True

    result = invoke(
        workspace, "deploy", "--skip-checks", "--keep-examples", IXON_API_ACCESS_TOKEN=TOKEN
    )
    no_token(result)

    [entry] = json.loads((workspace / "deployments.json").read_text())["deployments"]
    assert entry["company_to_be_provisioned"] is True and entry["component"] is None
    # The summary is the deploy's last lines: what went where, what was skipped, what is next.
    tail = result.stdout.rstrip().splitlines()
    start = tail.index(f"Deploy summary (company {COMPANY}):")
    assert tail[start + 1] == (
        f"  deployed Cloud Function my-cloud-function 0.1.0 to template {TEMPLATE}: "
        f"sha256 {entry['sha256']}"
    )
    summary = "\n".join(tail[start:])
    assert "skipped: the tests and lint (--skip-checks)" in summary
    assert "skipped: the refusal of the template's examples (--keep-examples)" in summary
    assert "wait for IXON to prepare the company" in summary
    assert (
        "grant the function its API access in IXON Studio > Cloud Functions > the function > "
        "API Access: AgentList" in summary
    )
    assert tail[-1].startswith("  - its logs: Admin > Apps")
    assert "Next, in" not in "\n".join(tail[:start])  # said once, at the end

    doctor_out = invoke(workspace, "doctor", IXON_API_ACCESS_TOKEN=TOKEN, check=False).stdout
    assert "warning  Deploy and provisioning: the first upload" in doctor_out
    assert "missing  Version: version 0.1.0 was already deployed to template" in doctor_out
