"""The names UI Components call, checked against what the workspace serves.

A component that calls a name no exposed function answers hangs in IXON Cloud until its
timeout, without a word; so the names are found in the components' sources (IXON's client
call forms), resolved as ixoncdkingress resolves them, listed by `invoke component-calls`,
flagged by doctor, refused by deploy (`--ignore-component-calls`), named by remove-examples,
and `invoke new-component` starts from a served function (or a placeholder doctor refuses).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from support import CHROMIUM
from test_ui import SHADOW, Browser, one_error, serving_both, wait_for_line

from conftest import UI_COMPONENT, bake, invoke, link_node_modules, workspace_module

ui_calls = workspace_module("ixon_devkit.ui.ui_calls")
served = workspace_module("ixon_devkit.serve.served")

COMPONENT = UI_COMPONENT
SOURCE = f"components/{COMPONENT}/{COMPONENT}.svelte"
EXAMPLE_CALLS = ("notes.recent", "notes.add", "example.greet")


def step(result: subprocess.CompletedProcess[str], name: str) -> str:
    """The line of doctor's step `name`."""
    lines = [line for line in result.stdout.splitlines() if f" {name}: " in line]
    assert len(lines) == 1, result.stdout
    return lines[0]


# -- finding the calls in a component's sources ---------------------------------------------


def test_calls_are_found_in_ixon_client_forms_and_comments_are_not() -> None:
    source = """\
import type { BackendComponentClient } from '@ixon-cdk/types';
// client.call('commented.out');
/* this.client.call("block.comment") */
const url = 'http://example.com//x'; const pattern = /["']/g;
export class Panel {
  private client: BackendComponentClient;
  constructor(context) { this.client = context.createBackendComponentClient(); }
  async load(fn, args = {}) { return this.client.call(fn, args); }
  go() { return this.client?.call("panel.go", { a: 1 }); }
  run(suffix) { return this.client.call(suffix + '.y'); }
}
context.createBackendComponentClient().call(`chained.call`);
context.createBackendComponentClient().call(`template.${x}`);
Object.prototype.hasOwnProperty.call(item, 'key');
greet.call('not a name', 1); context.createBackendComponentClient().call('odd name');
panel.load('through.helper', {});
"""
    found = [(c.name, c.line) for c in ui_calls.calls(source, "components/p/p.ts")]

    assert found == [
        ("panel.go", 9),
        (None, 10),
        ("chained.call", 12),
        (None, 13),
        ("odd name", 15),
        ("through.helper", 16),
    ]


def test_svelte_markup_comments_and_apostrophes_do_not_hide_or_invent_calls() -> None:
    source = """\
<script>
  export let context;
  const client = context.createBackendComponentClient();
  function call(name, args = {}) {
    return client.call(name, args);
  }
</script>
<p>Don't panic: it's fine</p>
<!-- <button on:click={() => call('old.name')}>old</button> -->
<button on:click={() => call('notes.add', { text })}>Add</button>
<button on:click={() => client.call("notes.remove", { id })}>Remove</button>
"""
    found = [(c.name, c.line) for c in ui_calls.calls(source, "components/x/x.svelte")]

    assert found == [("notes.add", 10), ("notes.remove", 11)]


# -- what the workspace serves, resolved as ixoncdkingress resolves a name -------------------


def _served(files: dict[str, str]):
    return served.of_sources({path: text.encode() for path, text in files.items()})


EXPOSED = "from ixoncdkingress.function.context import FunctionContext\n\n"


def test_bare_names_reach_the_package_and_what_it_re_exports() -> None:
    found = _served(
        {
            "functions/__init__.py": "from app import send_email as send\n",
            "functions/app.py": EXPOSED
            + "@FunctionContext.expose\ndef send_email(context, to, subject='hi'):\n    pass\n\n"
            + "def helper(context):\n    pass\n",
            "functions/test_app.py": EXPOSED
            + "@FunctionContext.expose\ndef hidden(context):\n    pass\n",
        }
    )

    assert found.names == ["send", "app.send_email"]
    assert found.serves("send") and found.serves("functions.send")
    assert found.serves("app.send_email") and found.serves("functions.app.send_email")
    assert not found.serves("send_email")  # re-exported under another name
    assert not found.serves("app.helper")  # not exposed
    assert not found.serves("test_app.hidden")  # a test: the bundle leaves it out
    assert found.serves("anything.list-agent-tools")  # the runtime answers it itself
    assert found.function("send").required == ("to",)
    assert found.closest("app.send_mail") == ["app.send_email"]


def test_functions_py_takes_the_bare_names_and_hides_the_package() -> None:
    found = _served(
        {
            "functions/__init__.py": "",
            "functions/functions.py": EXPOSED
            + "@FunctionContext.expose\ndef get_files(context):\n    pass\n",
            "functions/example.py": EXPOSED
            + "@FunctionContext.expose\ndef greet(context):\n    pass\n",
        }
    )

    assert found.serves("get_files") and found.serves("functions.get_files")
    assert found.serves("example.greet")
    # `functions` is functions/functions.py, a module: `functions.example` is not found.
    assert not found.serves("functions.example.greet")


def test_static_list_is_the_list_serve_gives(workspace: Path, shared_venv: Path) -> None:
    (workspace / "functions" / "__init__.py").write_text(
        "from example import greet\nfrom .notes import add as add_note\n"
    )
    (workspace / "functions" / "ayayot").mkdir()
    (workspace / "functions" / "ayayot" / "__init__.py").write_text("")
    (workspace / "functions" / "ayayot" / "tools.py").write_text(
        EXPOSED + "@FunctionContext.expose\nasync def ping(context):\n    return 1\n"
    )
    runtime = subprocess.run(
        [
            str(shared_venv / "bin" / "python"),
            "-c",
            "import json, sys\nfrom pathlib import Path\nsys.path[:0] = ['functions', '.']\n"
            "from ixon_devkit.workspace import function_names\n"
            "print(json.dumps(function_names.exposed(Path('functions')).names))",
        ],
        cwd=workspace,
        capture_output=True,
        text=True,
        check=True,
    )

    static = workspace_module("ixon_devkit.serve.served", workspace).read(workspace).names

    assert "greet" in static and "add_note" in static and "ayayot.tools.ping" in static
    assert static == json.loads(runtime.stdout)


def test_one_component_s_calls_and_the_shared_code(tmp_path: Path) -> None:
    project = bake(tmp_path, ui_component=COMPONENT)
    shared = project / "components" / "shared" / "api.ts"
    shared.parent.mkdir()
    shared.write_text("export const count = (client) => client.call('notes.count', {});\n")
    component_calls = workspace_module("ixon_devkit.ui.component_calls", project)

    everything = component_calls.report(project)
    one = component_calls.report(project, [COMPONENT])
    other = component_calls.report(project, ["gauge"])

    assert set(everything.calls) == {COMPONENT, "components/shared"}
    assert everything.names() == one.names() == sorted([*EXAMPLE_CALLS, "notes.count"])
    assert other.names() == ["notes.count"]
    assert list(one.missing()) == ["components/shared"]


# -- the week of a new user: remove the examples, and the component still calls them ---------


@pytest.fixture
def component_workspace(tmp_path: Path, shared_venv: Path) -> Path:
    """A workspace baked with the examples and the status-panel UI Component."""
    return bake(tmp_path, ui_component=COMPONENT)


def test_remove_examples_then_doctor_and_deploy_name_each_unserved_call(
    component_workspace: Path,
) -> None:
    planned = invoke(component_workspace, "remove-examples", "--dry-run")
    removed = invoke(component_workspace, "remove-examples")

    assert f"UI Components would still call the removed examples: {COMPONENT}" in planned.stdout

    assert f"UI Components still call the removed examples: {COMPONENT} calls" in removed.stdout
    for name in EXAMPLE_CALLS:
        assert name in removed.stdout.splitlines()[-1]

    doctor = invoke(component_workspace, "doctor", check=False)
    line = step(doctor, "Component calls")
    assert line.startswith("missing") and f"{COMPONENT} calls" in line
    for name in EXAMPLE_CALLS:
        assert f"{name} ({SOURCE}:" in line
    assert "Component calls" in one_error(doctor)

    refused = invoke(component_workspace, "deploy", "--dry-run", check=False)
    error = one_error(refused)
    assert f"{COMPONENT} calls" in error and "--ignore-component-calls" in error
    for name in EXAMPLE_CALLS:
        assert name in error
    assert "Dry run" not in refused.stdout

    listed = invoke(component_workspace, "component-calls")
    rows = [line.split() for line in listed.stdout.splitlines() if line.startswith("  ")]
    assert [row[:2] for row in rows[1:]] == [[COMPONENT, name] for name in EXAMPLE_CALLS]
    assert all(row[-1] == "NO" for row in rows[1:])
    assert "Served by functions/: nothing" in listed.stdout


def test_override_deploys_on_with_a_warning(component_workspace: Path) -> None:
    invoke(component_workspace, "remove-examples")

    result = invoke(
        component_workspace, "deploy", "--dry-run", "--ignore-component-calls", check=False
    )

    assert "WARNING: --ignore-component-calls: deploying with UI Components" in result.stderr
    assert "example.greet" in result.stderr
    assert "UI Components call functions" not in "".join(
        line for line in result.stderr.splitlines() if line.startswith("ERROR")
    )


def test_a_misspelt_name_gets_the_closest_served_name(component_workspace: Path) -> None:
    source = component_workspace / SOURCE
    source.write_text(source.read_text().replace("'notes.add'", "'notes.ad'"))

    listed = invoke(component_workspace, "component-calls")
    doctor = invoke(component_workspace, "doctor", check=False)

    row = next(line for line in listed.stdout.splitlines() if " notes.ad " in line)
    assert "NO (did you mean notes.add?" in row
    assert "example.greet" in listed.stdout and "yes (functions/example.py:" in listed.stdout
    line = step(doctor, "Component calls")
    assert "notes.ad (" in line and "did you mean notes.add?" in line
    assert "example.greet (" not in line  # served: not named


def test_a_name_passed_around_is_listed_to_check_by_hand(component_workspace: Path) -> None:
    source = component_workspace / SOURCE
    text = source.read_text().replace(
        "  async function refresh() {",
        "  function lookup(which) {\n    return client.call(which.name);\n  }\n\n"
        "  async function refresh() {",
    )
    source.write_text(text)

    doctor = invoke(component_workspace, "doctor", check=False)

    line = step(doctor, "Component calls")
    assert line.startswith("warning") and "client.call(which.name, ...)" in line


# -- new-component starts from what is served -----------------------------------------------


def test_bake_without_examples_gives_a_placeholder_that_doctor_refuses(
    tmp_path: Path, shared_venv: Path
) -> None:
    project = bake(tmp_path, ui_component=COMPONENT, examples="no")

    text = (project / SOURCE).read_text()
    doctor = invoke(project, "doctor", check=False)

    assert not any(name in text for name in EXAMPLE_CALLS)
    assert "TODO: your_module.your_function is a placeholder" in text
    assert "your_module.your_function (" in step(doctor, "Component calls")


def test_new_component_calls_your_function(tmp_path: Path, shared_venv: Path) -> None:
    project = bake(tmp_path, examples="no")
    invoke(project, "new", "thermometer")
    (project / "functions" / "thermometer.py").write_text(
        (project / "functions" / "thermometer.py").read_text()
        + "\n\n@FunctionContext.expose\ndef limit(context: FunctionContext, unit: str) -> int:\n"
        '    """The limit in `unit`."""\n    return 80\n'
    )

    invoke(project, "new-component", "gauge")
    listed = invoke(project, "component-calls")

    text = (project / "components" / "gauge" / "gauge.svelte").read_text()
    assert "client.call('thermometer.hello', {})" in text  # no arguments needed: first
    rows = [line.split() for line in listed.stdout.splitlines() if line.startswith("  gauge")]
    assert rows == [["gauge", "thermometer.hello", rows[0][2], "yes", rows[0][4]]]
    assert "Called by no UI Component: thermometer.limit" in listed.stdout


def test_new_component_with_only_examples_that_need_arguments_says_what_to_give(
    tmp_path: Path, shared_venv: Path
) -> None:
    project = bake(tmp_path)
    (project / "functions" / "mine.py").write_text(
        EXPOSED + "@FunctionContext.expose\ndef store(context, text, *, tag):\n    return text\n"
    )

    invoke(project, "new-component", "gauge")

    text = (project / "components" / "gauge" / "gauge.svelte").read_text()
    assert "client.call('mine.store', { text: null, tag: null })" in text
    assert "TODO: give it its arguments (text, tag) in place of null" in text
    assert not any(name in text for name in EXAMPLE_CALLS)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_a_new_component_shows_your_function_s_answer_in_the_simulator(
    tmp_path: Path, shared_venv: Path, node_modules: Path
) -> None:
    project = bake(tmp_path / "ws", examples="no")
    invoke(project, "new", "thermometer")
    invoke(project, "new-component", COMPONENT)
    link_node_modules(project)

    built = invoke(project, "bundle", "--component", COMPONENT)
    assert f"ui-{COMPONENT}-1.zip" in built.stdout
    with serving_both(project) as (process, function_port, _ui_port, log_path):
        line = wait_for_line(process, log_path, "Simulator running at:")
        wait_for_line(process, log_path, "functions | ")
        browser = Browser(tmp_path / "profile")
        browser.function_port = function_port
        try:
            browser.open(line.split("Simulator running at:")[1].strip())
            answer = browser.wait_for(
                f"{SHADOW}?.querySelector('[data-testid=answer]')?.textContent.includes('Hello')"
                f" && {SHADOW}.querySelector('[data-testid=answer]').textContent",
                timeout=90,
            )
        finally:
            browser.close()
    assert json.loads(answer)["message"] == "Hello, world!"
