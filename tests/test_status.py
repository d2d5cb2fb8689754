"""In process: how the day-two commands read what IXON answers (no baking, no environment).

`accessTokenScope` (a string whose format IXON's OpenAPI description 0.1.294 leaves open), the
matching of IXON's versions to `deployments.json`, the shapes of the logs' open `data`, and the
difference `invoke config push` shows. The end-to-end tests are in `tests/test_remote.py`.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from ixon_standin import StandIn
from test_api_client import COMPANY, TEMPLATE, TOKEN, Recorder, make_settings

from conftest import workspace_module

status = workspace_module("ixon_devkit.cloud.status")
logs = workspace_module("ixon_devkit.cloud.logs")
remote_config = workspace_module("ixon_devkit.cloud.remote_config")
remote_call = workspace_module("ixon_devkit.cloud.remote_call")
remote = remote_call.remote


@pytest.mark.parametrize(
    ("scope", "names"),
    [
        (None, set()),
        ("", set()),
        ("AgentList, MyUser", {"AgentList", "MyUser"}),
        ("AgentList MyUser;AssetList", {"AgentList", "MyUser", "AssetList"}),
        ('["AgentList", "MyUser"]', {"AgentList", "MyUser"}),
        (
            json.dumps(
                {
                    "allow": [{"rels": ["AgentList", "AssetList"], "methods": ["GET"]}],
                    "deny": [{"rels": ["AssetList"]}],
                }
            ),
            {"AgentList"},
        ),
        ('[{"rel": "AgentList"}, {"rels": ["MyUser"]}]', {"AgentList", "MyUser"}),
    ],
)
def test_the_forms_of_access_token_scope_that_status_reads(scope, names) -> None:
    read = status.read_scope(scope)
    assert (read.names, read.unread) == (frozenset(names), "")


@pytest.mark.parametrize("scope", ["unrestricted", '"unrestricted"', '{"type": "unrestricted"}'])
def test_an_unrestricted_scope_grants_everything(scope) -> None:
    assert status.read_scope(scope).names is None


@pytest.mark.parametrize("scope", ["agents: all of them", '{"something": 1}', "[1, 2]"])
def test_a_scope_in_another_form_is_kept_as_it_is(scope) -> None:
    read = status.read_scope(scope)
    assert read.unread == scope
    assert read.names == frozenset()


def _version(number: int, created: str) -> dict:
    return {"publicId": f"VeRsIoN0000{number}", "number": str(number), "createdOn": created}


def test_each_upload_is_matched_to_the_deploy_recorded_right_after_it() -> None:
    versions = [
        _version(1, "2026-12-01T10:00:00Z"),
        _version(2, "2026-12-02T10:00:00Z"),  # uploaded by someone else: not recorded
        _version(3, "2026-12-03T10:00:00Z"),
    ]
    entries = [
        {"version": "0.1.0", "time": "2026-12-01T10:00:02Z"},
        {"version": "0.2.0", "time": "2026-12-03T10:00:01Z"},
        {"version": "0.9.0", "time": "2026-12-05T10:00:00Z"},  # no upload near it
    ]

    assert status.match(versions, entries) == {
        "VeRsIoN00001": "0.1.0",
        "VeRsIoN00003": "0.2.0",
    }


def test_a_deploy_is_not_matched_to_an_upload_long_before_it() -> None:
    versions = [_version(1, "2026-12-01T10:00:00Z")]
    entries = [{"version": "0.1.0", "time": "2026-12-01T11:00:00Z"}]
    assert status.match(versions, entries) == {}


def test_log_entries_of_every_shape_come_through() -> None:
    data = {
        "logs": [
            {"timestamp": "2026-12-06T10:00:02Z", "level": "ERROR", "message": "boom"},
            {"time": "2026-12-06T10:00:01Z", "severity": "info", "msg": "hello", "function": "a.b"},
            "2026-12-06T10:00:03Z WARNING slow answer",
            {"unknown": "shape"},
        ]
    }
    entries = logs.entries_of(data)

    assert [entry.level for entry in entries] == ["error", "info", "warning", ""]
    assert entries[1].line() == "2026-12-06T10:00:01Z INFO     a.b: hello"
    assert entries[3].line() == '? {"unknown": "shape"}'
    assert [e.message for e in logs.entries_of("INFO one\nnot a log line\n")] == ["one", ""]
    assert logs.entries_of(None) == []
    traceback = logs.entry_of({"level": "error", "message": "Traceback:\n  File x\nKeyError"})
    assert traceback.line() == "ERROR    Traceback:\n      File x\n    KeyError"


def test_logs_come_newest_last() -> None:
    newest_first = logs.entries_of(
        [
            {"timestamp": "2026-12-06T10:00:03Z", "level": "info", "message": "third"},
            {"timestamp": "2026-12-06T10:00:01Z", "level": "info", "message": "first"},
            {"timestamp": "2026-12-06T10:00:02Z", "level": "info", "message": "second"},
        ]
    )
    assert [e.message for e in logs.newest_last(newest_first)] == ["first", "second", "third"]
    # Without a time on every entry, IXON's order stays, reversed when it is newest first.
    mixed = logs.entries_of(
        ["2026-12-06T10:00:03Z INFO c", "no time at all", "2026-12-06T10:00:01Z INFO a"]
    )
    assert logs.newest_last(mixed)[0].line().endswith("INFO     a")


def test_the_filters_keep_what_cannot_be_judged() -> None:
    entries = logs.entries_of(
        [
            {"level": "info", "message": "called", "function": "example.greet"},
            {"level": "error", "message": "failed", "function": "example.pump"},
            {"level": "critical", "message": "down", "function": "other.thing"},
            ["unreadable"],
        ]
    )

    def messages(**filters) -> list[str]:
        return [e.message or e.raw for e in logs.select(entries, **filters)]

    assert messages(level="error") == ["failed", "down", '["unreadable"]']
    assert messages(function="example.pump") == ["failed", '["unreadable"]']
    assert messages(function="pump") == ["failed", '["unreadable"]']
    assert messages(text="DOWN") == ["down"]


def test_push_shows_each_change_and_hides_secret_values() -> None:
    old = {"greeting": "Hello", "limit": "5", "gone": "x"}
    new = {"greeting": "Howdy", "limit": "5", "site": "Delft"}

    assert remote_config.difference(old, new, secret=False) == [
        '  ~ greeting: "Hello" -> "Howdy"',
        '  + site: "Delft"',
        '  - gone: "x"',
    ]
    hidden = remote_config.difference(old, new, secret=True)
    assert hidden == [
        "  ~ greeting: (secret) -> (secret)",
        "  + site: (secret)",
        "  - gone: (secret)",
    ]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (None, {}),
        ("", {}),
        ('{"a": "1"}', {"a": "1"}),
        ("a: '1'\nb: two\n", {"a": "1", "b": "two"}),
    ],
)
def test_ixons_values_are_read_as_json_or_yaml(values, expected) -> None:
    assert remote_config.parse_values(values, "company X") == expected


@pytest.mark.parametrize("values", ['["a"]', "just words", "a: [1\n"])
def test_values_that_are_no_mapping_are_one_clear_line(values) -> None:
    with pytest.raises(remote_config.ConfigError, match="not a JSON or YAML mapping"):
        remote_config.parse_values(values, "company X")


def test_the_versions_are_asked_for_the_template_and_sorted_by_ixons_number() -> None:
    with StandIn(company_id=COMPANY, template_id=TEMPLATE, token=TOKEN) as api:
        for _ in range(11):
            api.cloud.uploaded(b"PK", "Ada")
        api.cloud.versions.reverse()
        out = Recorder()
        config = make_settings(api.base_url)
        with remote.ixon_api.Client(config, echo=out.echo, sleep=out.sleep) as client:
            versions = remote.Remote(config, client).versions()

    assert [item["number"] for item in versions] == [str(n) for n in range(1, 12)]
    [asked] = [r for r in api.requests if r.path.startswith("/api/backend-component-template-v")]
    query = parse_qs(urlsplit(asked.path).query)
    assert query["filters"] == [f'eq(template.publicId,"{TEMPLATE}")']
    assert asked.headers["Api-Company"] == COMPANY


def test_a_remote_call_is_sent_once_even_when_ixon_did_not_take_it() -> None:
    with StandIn(company_id=COMPANY, template_id=TEMPLATE, token=TOKEN) as api:
        api.fail("function-call", 503)
        out = Recorder()
        config = make_settings(api.base_url)
        with (
            remote.ixon_api.Client(config, echo=out.echo, sleep=out.sleep) as client,
            pytest.raises(remote.ixon_api.ApiError, match="503 Service Unavailable") as caught,
        ):
            remote_call.call_remote(remote.Remote(config, client), "example.greet", {})

    assert api.count("POST") == 1
    assert out.sleeps == []
    assert "gave up after 1 try" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_status_reads_every_deploy_target_unless_told_one(tmp_path: Path) -> None:
    targets = {"test": {"company_id": COMPANY}, "production": {"company_id": COMPANY}}
    workspace = {"template_id": TEMPLATE, "targets": targets, "default_target": "production"}
    (tmp_path / "workspace.json").write_text(json.dumps(workspace))

    assert status.target_names(tmp_path, "") == ["production", "test"]
    assert status.target_names(tmp_path, "test") == ["test"]
