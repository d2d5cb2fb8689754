"""Existing IXON code moves in unchanged (`invoke adopt PATH`) and runs the same everywhere.

The apps under `tests/apps/` are synthetic, shaped as the public IXON apps that people migrate:
`service_log` (IXON's Makefile workspace inside an app repository: a bare re-export in
`functions/__init__.py`, a helper subpackage, its own decorator, tests on a docker-compose
MongoDB, `context_config.json`, `.env`, a UI Component), `legacy_cbc` (written for
ixoncdkingress 0.0.x) and `shadowing` (modules named like a library the runtime imports, and
like the `functions` package itself).

Workspaces that install the adopted requirements get an environment of their own, so the
environment every other test shares is never changed by them.
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from adopt_support import adopt_into, snapshot
from support import free_port, serve_secret

from conftest import (
    SHARED_VENV,
    TEMPLATE,
    bake,
    compile_bytecode,
    invoke,
    link_node_modules,
    workspace_env,
    workspace_module,
)

APPS = TEMPLATE / "tests" / "apps"
EXAMPLE_MODULES = ("example", "notes", "caller", "about", "agents", "assistant", "helpers")


def copy_app(app: str, project: Path, *parts: str) -> None:
    """Copy folders or files of an app over a workspace by hand, as people did before adopt."""
    for part in parts:
        source = APPS / app / part
        if source.is_dir():
            shutil.copytree(source, project / part, dirs_exist_ok=True)
        else:
            shutil.copy2(source, project / part)


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]


def one_error(result: subprocess.CompletedProcess[str]) -> str:
    """The one ERROR line of a refused task, which must exit non-zero and leave no traceback."""
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    errors = error_lines(result)
    assert len(errors) == 1, result.stdout + result.stderr
    return errors[0]


#: The environment of adopted workspaces, whose requirements differ from the template's: kept
#: beside the shared one across sessions, since a workspace's setup refreshes it only when
#: their requirements changed.
ADOPTED_VENV = SHARED_VENV.with_name(f"{SHARED_VENV.name}-adopted")


@pytest.fixture(scope="module")
def own_venv(adopted: Path) -> str:
    """An environment for workspaces whose requirements differ from the template's, set up
    by the adopted workspace's `invoke setup` (quick when nothing changed)."""
    with open(ADOPTED_VENV.parent / f".{ADOPTED_VENV.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            invoke(adopted, "setup", IXON_VENV=str(ADOPTED_VENV), timeout=900)
            if os.environ.get("PYTHONDONTWRITEBYTECODE"):
                compile_bytecode(ADOPTED_VENV)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return str(ADOPTED_VENV)


# --- findings: copying by hand ----------------------------------------------------------------


def test_a_copied_test_suite_with_its_own_conftest_keeps_the_workspace_fixtures(workspace):
    copy_app("service_log", workspace, "tests/conftest.py")

    result = invoke(workspace, "test", "-k", "test_example or test_notes", "--verbose")

    assert (
        "test_example.py::test_a_call_by_name_goes_through_ixoncdkingress PASSED" in result.stdout
    )
    assert "fixture 'client' not found" not in result.stdout


def test_a_bare_import_in_functions_init_works_in_tests_as_in_serve(workspace):
    copy_app("service_log", workspace, "functions")
    (workspace / "tests" / "test_send.py").write_text(
        "from functions import send_email\n\n\n"
        "def test_send(function_context):\n"
        "    assert send_email(function_context, to='a@b.c', subject='s')['queued']\n\n\n"
        "def test_send_by_bare_name(client):\n"
        "    assert client.call('send_email', to='a@b.c', subject='s')['queued']\n",
        encoding="utf-8",
    )
    (workspace / "context_values.yaml").write_text('mail_from: "me@example.com"\n')

    result = invoke(workspace, "test", "-k", "test_send", "--verbose", check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "test_send.py::test_send_by_bare_name PASSED" in result.stdout


def test_functions_py_is_the_default_module_and_imports_through_the_package_are_refused(
    workspace,
):
    copy_app("shadowing", workspace, "functions/functions.py", "functions/certifi.py")

    bundled = invoke(workspace, "bundle", check=False)
    tested = invoke(workspace, "test", check=False)

    # functions.py is IXON's default module: the examples' `from functions import ...`
    # cannot resolve beside it, named by file and line; certifi.py is only noted.
    error = one_error(bundled)
    assert "functions/about.py:11 `from functions import _version`" in error
    assert "functions/example.py:11" in tested.stdout + tested.stderr
    assert tested.returncode != 0
    (workspace / "functions" / "functions.py").unlink()
    bundled = invoke(workspace, "bundle", "--functions-only")
    assert "functions/certifi.py is named like `certifi`" in bundled.stdout
    assert "functions.certifi.<function>" in bundled.stdout


@pytest.mark.parametrize("name", ["certifi", "typing_extensions", "idna", "annotated_types"])
def test_new_refuses_names_the_runtime_has_imported(default_workspace, name):
    error = one_error(invoke(default_workspace, "new", name, check=False))

    assert f"'{name}'" in error
    assert not (default_workspace / "functions" / f"{name}.py").exists()


def test_two_app_descriptions_name_both_modules(workspace):
    copy_app("service_log", workspace, "functions")
    (workspace / "context_values.yaml").write_text('mail_from: "me@example.com"\n')

    tools = invoke(workspace, "tools", check=False)
    bundled = invoke(workspace, "bundle", check=False)

    assert "functions/assistant.py" in tools.stdout and "functions/service_log.py" in tools.stdout
    error = one_error(bundled)
    assert "AppDescription" in error
    assert "functions/assistant.py:" in error and "functions/service_log.py:" in error


def test_tools_judge_a_return_type_by_what_the_exposed_function_returns(workspace):
    copy_app("service_log", workspace, "functions")
    (workspace / "functions" / "assistant.py").unlink()
    plain = workspace / "functions" / "plain_model.py"
    plain.write_text(
        "from ixoncdkingress.function.context import FunctionContext\n"
        "from pydantic import BaseModel\n\n\n"
        "class Count(BaseModel):\n    n: int\n\n\n"
        '@FunctionContext.expose(is_agentic=True, description="Count.")\n'
        "def count(context: FunctionContext) -> Count:\n    return Count(n=1)\n",
        encoding="utf-8",
    )

    result = invoke(workspace, "tools")

    assert "returns a pydantic model (LogSummary)" not in result.stdout
    assert "returns a pydantic model (Count)" in result.stdout


def test_a_legacy_context_config_beside_the_yaml_is_said_to_be_ignored(workspace):
    copy_app("service_log", workspace, "context_config.json")

    called = invoke(workspace, "call", "example.greet", "--port", "9")
    tested = invoke(workspace, "test", "-k", "test_example")

    said = "context_values.yaml is used; context_config.json is ignored"
    assert said in called.stderr
    assert said in tested.stdout


# --- findings: the old runtime ------------------------------------------------------------------


def test_setup_refuses_a_pin_of_the_old_runtime_in_one_line(workspace):
    (workspace / "requirements.txt").write_text("ixoncdkingress==0.0.21\n", encoding="utf-8")

    error = one_error(invoke(workspace, "setup", check=False))

    assert "requirements.txt:1" in error and "0.0.21" in error
    assert "ixoncdkingress==1.0.0" in error


def test_old_runtime_imports_are_reported_with_their_replacement(workspace):
    copy_app("legacy_cbc", workspace, "functions")

    bundled = invoke(workspace, "bundle", check=False)
    tested = invoke(workspace, "test", check=False)
    tools = invoke(workspace, "tools", check=False)

    error = one_error(bundled)
    assert "functions/greeter.py:3" in error
    assert "ixoncdkingress.function.context" in error and "FunctionContext" in error
    for output in (tested.stdout + tested.stderr, tools.stdout + tools.stderr):
        assert "functions/greeter.py:3" in output
        assert "functions/store.py:1" in output
        assert "Traceback" not in output
    assert tested.returncode != 0


# --- examples ------------------------------------------------------------------------------------


def test_a_workspace_without_examples(tmp_path, shared_venv):
    project = bake(tmp_path, examples="no")

    functions = sorted(path.name for path in (project / "functions").iterdir())
    tests = sorted(path.name for path in (project / "tests").glob("test_*.py"))

    assert functions == ["__init__.py", "_version.py"]
    assert tests == []
    assert "{{" not in (project / "README.md").read_text(encoding="utf-8")


def test_deploy_refuses_unchanged_examples_with_the_command_that_removes_them(workspace):
    result = invoke(workspace, "deploy", "--dry-run", "--skip-checks", check=False)

    error = one_error(result)
    assert "functions/assistant.py" in error
    assert "invoke remove-examples" in error and "--keep-examples" in error


def test_remove_examples_keeps_an_edited_one(workspace):
    notes = workspace / "functions" / "notes.py"
    notes.write_text(notes.read_text(encoding="utf-8") + "\n# mine now\n", encoding="utf-8")

    result = invoke(workspace, "remove-examples")

    left = sorted(path.stem for path in (workspace / "functions").glob("*.py"))
    assert left == ["__init__", "_version", "notes"]
    assert "functions/notes.py" in result.stdout and "changed" in result.stdout
    assert not (workspace / "tests" / "test_example.py").exists()
    assert "functions/assistant.py" not in invoke(workspace, "bundle").stdout
    # AgentList was listed for functions/agents.py alone: nothing asks IXON to grant it now.
    settings = json.loads((workspace / "workspace.json").read_text(encoding="utf-8"))
    assert settings["api_access"] == []
    assert "Took AgentList out of api_access" in result.stdout


def test_an_adopt_keeps_the_examples_api_names_while_the_examples_stay(fresh):
    project, adopting = fresh

    _, said = adopt_into(project, adopting, APPS / "split_repo", remove_examples=False)

    settings = json.loads((project / "workspace.json").read_text(encoding="utf-8"))
    assert settings["api_access"] == ["AgentList"]  # functions/agents.py still calls it
    assert "out of api_access" not in said


# --- invoke adopt --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def adopted(tmp_path_factory: pytest.TempPathFactory, shared_venv: Path) -> Path:
    """A workspace that adopted the service log app, its examples removed."""
    project = bake(tmp_path_factory.mktemp("adopted"))
    result = invoke(project, "adopt", str(APPS / "service_log"), "--remove-examples")
    (project / "adopt.log").write_text(result.stdout + result.stderr, encoding="utf-8")
    return project


def test_adopt_brings_the_functions_package_whole(adopted):
    for name in ("__init__.py", "mailer.py", "service_log.py", "logbook/entries.py"):
        source = APPS / "service_log" / "functions" / name
        assert (adopted / "functions" / name).read_bytes() == source.read_bytes(), name
    for module in EXAMPLE_MODULES:
        assert not (adopted / "functions" / f"{module}.py").exists(), module
    assert (adopted / "functions" / "_version.py").is_file()


def test_adopt_maps_requirements_context_values_settings_and_components(adopted):
    import yaml

    dev = (adopted / "requirements-dev.in").read_text(encoding="utf-8")  # locked by setup
    values = yaml.safe_load((adopted / "context_values.yaml").read_text(encoding="utf-8"))
    settings = json.loads((adopted / "workspace.json").read_text(encoding="utf-8"))

    assert "pytest-timeout==2.4.0" in dev
    assert values == {"mail_from": "service@example.com", "max_entries": "50"}
    assert not (adopted / "context_config.json").exists()
    assert settings["company_id"] == "1234-5678-9012-3456-7890"
    assert settings["template_id"] == "SvcLog000001"
    assert (adopted / "components" / "service-log" / "manifest.json").is_file()
    assert (adopted / "cdk.config.json").is_file()


def test_adopt_says_what_it_did_and_what_is_left(adopted):
    log = (adopted / "adopt.log").read_text(encoding="utf-8")
    conftest = (APPS / "service_log" / "tests" / "conftest.py").read_text(encoding="utf-8")
    line = conftest[: conftest.index("MongoClient(host")].count("\n") + 1

    assert f"tests/conftest.py:{line}" in log and "document_store" in log  # their own MongoDB
    assert "components/" in log
    assert "context_config.json" in log
    assert "AssetList" in log  # an API access name to grant
    assert "Traceback" not in log


def test_the_adopted_suite_runs_on_its_own_mongodb(adopted, own_venv, mongo_standin):
    result = invoke(
        adopted,
        "test",
        "--verbose",
        IXON_VENV=own_venv,
        MONGO_HOST="127.0.0.1",
        MONGO_PORT=str(mongo_standin),
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "test_service_log.py::test_entries_are_kept PASSED" in result.stdout
    assert "test_mailer.py::test_mail_is_queued PASSED" in result.stdout


def rewired(adopted: Path, folder: Path) -> Path:
    """A copy of the adopted workspace whose suite takes the README's recipe: its MongoDB
    fixture hands out the workspace's `document_store`."""
    project = folder / "rewired"
    shutil.copytree(adopted, project, ignore=shutil.ignore_patterns("__pycache__"))
    conftest = project / "tests" / "conftest.py"
    source = conftest.read_text(encoding="utf-8")
    start = source.index("@pytest.fixture\ndef mongo_client")
    end = source.index("@pytest.fixture\ndef context")
    conftest.write_text(
        source[:start]
        + "@pytest.fixture\ndef mongo_client(document_store):\n    return document_store\n\n\n"
        + source[end:],
        encoding="utf-8",
    )
    return project


def test_the_adopted_suite_runs_on_the_workspace_document_store(adopted, own_venv, tmp_path):
    project = rewired(adopted, tmp_path)

    result = invoke(project, "test", IXON_VENV=own_venv, MONGO_PORT="9", check=False)

    assert result.returncode == 0, result.stdout + result.stderr


def mongo_script(python: Path, uri: str, script: str) -> str:
    """Run `script` (with `client`, a pymongo client of `uri`) in `python`; its output."""
    code = f"import sys, pymongo\nclient = pymongo.MongoClient(sys.argv[1])\n{script}"
    ran = subprocess.run(
        [str(python), "-c", code, uri], capture_output=True, text=True, timeout=60, check=True
    )
    return ran.stdout


def test_the_workspace_document_store_can_be_a_mongodb_server(
    adopted, own_venv, tmp_path, mongo_standin
):
    project = rewired(adopted, tmp_path)
    uri = f"mongodb://127.0.0.1:{mongo_standin}/"
    python = Path(own_venv) / "bin" / "python"
    invoke(adopted, "setup", IXON_VENV=own_venv)
    seed = (
        "client['0000-0000-0000-0000-0001'].c.insert_one({'old': 1}); client.other.c.insert_one({})"
    )
    mongo_script(python, uri, seed)

    result = invoke(project, "test", IXON_VENV=own_venv, IXON_TEST_MONGODB_URI=uri, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    # The calling company's database was emptied, the tests' own dropped, the rest kept.
    assert mongo_script(python, uri, "print(client.list_database_names())").strip() == "['other']"


def test_the_adopted_functions_are_served_with_the_document_store(adopted, own_venv):
    invoke(adopted, "setup", IXON_VENV=own_venv)  # another test may have set it up for its app
    result = invoke(
        adopted, "call", "service_log.add_entry", "--arg", "text=Oiled", IXON_VENV=own_venv
    )
    mailed = invoke(
        adopted,
        "call",
        "send_email",
        "--arg",
        "to=a@b.c",
        "--arg",
        "subject=s",
        IXON_VENV=own_venv,
    )

    assert json.loads(result.stdout)["text"] == "Oiled"
    assert json.loads(mailed.stdout)["from"] == "service@example.com"


#: The workspace each port of `served` serves (for its session secret).
SERVED: dict[int, Path] = {}


def post(port: int, name: str, **arguments: object) -> object:
    """Call `name` on a running `invoke serve` with IXON's JSON body (serve adds the caller)."""
    body = json.dumps({"name": name, "arguments": arguments}).encode()
    headers = {"Content-Type": "application/json", **serve_secret(SERVED[port])}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/", body, headers)
        answer = connection.getresponse()
        assert answer.status == 200, answer.read()[:500]
        return json.loads(answer.read())
    finally:
        connection.close()


@contextlib.contextmanager
def served(project: Path, venv: str) -> Iterator[int]:
    """A real `invoke serve --functions-only` of `project` on a free port; yields the port."""
    port = free_port()
    log = project.parent / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "invoke", "serve", "--functions-only", "--port", str(port)],
            cwd=project,
            env=workspace_env(IXON_VENV=venv),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, log.read_text(errors="replace")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                if serve_secret(project):  # written once it listens
                    break
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.2)
        SERVED[port] = project
        yield port
    finally:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=30)


def test_invoke_serve_answers_the_adopted_functions_with_the_document_store(adopted, own_venv):
    with served(adopted, own_venv) as port:
        added = post(port, "service_log.add_entry", text="Oiled")
        entries = post(port, "service_log.list_entries")
        mailed = post(port, "send_email", to="a@b.c", subject="s")  # the bare re-export

    assert added["text"] == "Oiled"
    assert [entry["text"] for entry in entries] == ["Oiled"]
    assert mailed["from"] == "service@example.com"


def test_the_adopted_bundle_holds_the_app_and_no_example(adopted, own_venv):
    invoke(adopted, "bundle", "--functions-only", IXON_VENV=own_venv)

    (archive,) = (adopted / "dist").glob("*.zip")
    names = zipfile.ZipFile(archive).namelist()
    assert "functions/__init__.py" in names and "functions/logbook/entries.py" in names
    assert not [name for name in names if Path(name).stem in EXAMPLE_MODULES]


def files_of(project: Path) -> list[str]:
    """The workspace's files, bytecode caches aside: adopt sets up the environment first, as
    every task does, which may compile devkit."""
    return sorted(
        p.relative_to(project).as_posix()
        for p in project.rglob("*")
        if "__pycache__" not in p.parts
    )


def test_adopt_refuses_to_overwrite_a_changed_file_and_writes_nothing(tmp_path, shared_venv):
    project = bake(tmp_path)
    init = project / "functions" / "__init__.py"
    init.write_text('"""Mine."""\n', encoding="utf-8")
    before = files_of(project)

    error = one_error(
        invoke(project, "adopt", str(APPS / "service_log"), "--keep-examples", check=False)
    )

    assert "functions/__init__.py" in error and "--force" in error
    assert files_of(project) == before
    assert init.read_text(encoding="utf-8") == '"""Mine."""\n'


def test_adopt_dry_run_shows_the_plan_and_writes_nothing(default_workspace):
    before = {p: p.stat().st_mtime_ns for p in default_workspace.rglob("*") if p.is_file()}

    result = invoke(
        default_workspace, "adopt", str(APPS / "service_log"), "--remove-examples", "--dry-run"
    )

    assert "functions/mailer.py" in result.stdout
    assert {p: p.stat().st_mtime_ns for p in default_workspace.rglob("*") if p.is_file()} == before


def test_adopt_without_an_answer_about_the_examples_asks_or_refuses(default_workspace):
    result = subprocess.run(
        [sys.executable, "-m", "invoke", "adopt", str(APPS / "service_log")],
        cwd=default_workspace,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert "--remove-examples" in one_error(result) and "--keep-examples" in one_error(result)


def test_adopt_rewrites_old_runtime_imports_and_the_pin(tmp_path, own_venv):
    project = bake(tmp_path)

    result = invoke(project, "adopt", str(APPS / "legacy_cbc"), "--remove-examples")

    greeter = (project / "functions" / "greeter.py").read_text(encoding="utf-8")
    assert (
        "from ixoncdkingress.function.context import FunctionContext, FunctionResource" in greeter
    )
    assert "CbcContext" not in greeter
    assert "ixoncdkingress==1.0.0" in (project / "requirements.txt").read_text(encoding="utf-8")
    assert "0.0.21" in result.stdout  # said what it replaced
    assert "functions/greeter.py:3 ixoncdkingress.cbc.context -> " in result.stdout  # each change
    tested = invoke(project, "test", "--verbose", IXON_VENV=own_venv, check=False)
    assert "test_greeter.py::test_hello PASSED" in tested.stdout, tested.stdout + tested.stderr


def test_adopt_reports_old_runtime_imports_it_did_not_rewrite(tmp_path, shared_venv):
    project = bake(tmp_path)

    result = invoke(
        project, "adopt", str(APPS / "legacy_cbc"), "--keep-examples", "--keep-old-imports"
    )

    assert "functions/greeter.py:3" in result.stdout
    assert "CbcContext" in (project / "functions" / "greeter.py").read_text(encoding="utf-8")
    assert "`invoke rewrite-imports`" in result.stdout


def test_adopt_takes_the_default_module_and_a_module_named_like_a_library(tmp_path, shared_venv):
    project = bake(tmp_path)

    result = invoke(project, "adopt", str(APPS / "shadowing"), "--remove-examples")

    left_to_do = result.stdout.partition("Left to do")[2]
    assert "functions/functions.py" not in left_to_do and "certifi" not in left_to_do
    # The runtime is loaded before functions/ goes on sys.path, as in IXON Cloud: the
    # library's certifi serves requests, and the app's tests import beside it.
    invoke(project, "test")
    bundled = invoke(project, "bundle", "--functions-only")
    assert "functions/functions.py" in bundled.stdout
    assert "functions.certifi.<function>" in bundled.stdout


# --- adopting, in-process: an untrusted app, IXON's layouts, running again ----------------------


def hostile_app(tmp_path: Path) -> Path:
    """The hostile app, with what git cannot keep well: a link out, a newline in a name, a big
    file."""
    app = tmp_path / "hostile"
    shutil.copytree(APPS / "hostile", app)
    outside = tmp_path / "outside-secret.txt"
    outside.write_text("OUTSIDE-THE-APP\n", encoding="utf-8")
    (app / "functions" / "leak.py").symlink_to(outside)
    (app / "tests" / "linked").symlink_to(tmp_path)  # a folder link, out of the app
    (app / "functions" / "odd\nname.py").write_text("x = 1\n", encoding="utf-8")
    with (app / "functions" / "big.bin").open("wb") as big:
        big.truncate(11 * 1024 * 1024)
    return app


def test_a_hostile_app_changes_no_token_destination_brings_nothing_from_outside(fresh, tmp_path):
    project, adopting = fresh
    app = hostile_app(tmp_path)

    _, said = adopt_into(project, adopting, app)

    env = project / ".env"
    carried = env.read_text(encoding="utf-8") if env.exists() else ""
    assert "collector.invalid" not in carried and "proxy.invalid" not in carried
    assert "collector.invalid" not in (project / "workspace.json").read_text(encoding="utf-8")
    assert "IXON_API_BASE_URL=https://collector.invalid/api/" in said  # named, with its value
    settings = workspace_module("ixon_devkit.workspace.settings", project)
    endpoint = settings.load_api_endpoint(project, environ={})
    assert endpoint.base_url.value == settings.DEFAULT_BASE_URL  # the token still goes to IXON
    assert settings.foreign_destination(endpoint.base_url) is None
    assert "HTTPS_PROXY=http://proxy.invalid:3128" in said
    assert "abcdefghijklmnopqrstuvwxyz012345" not in said + carried  # the app's token
    assert not [name for name, data in snapshot(project).items() if b"OUTSIDE-THE-APP" in data]
    assert not (project / "functions" / "leak.py").exists()
    assert not (project / "tests" / "linked").exists()
    assert (
        not list((project / "functions").glob("odd*"))
        and not (project / "functions" / "big.bin").exists()
    )
    for named in ("functions/leak.py", "tests/linked", "functions/odd\\nname.py", "big.bin"):
        assert named in said, named
    for line in ("'-e .'", "'helper @ file:///tmp/helper'", "'-r ../shared/requirements.txt'"):
        assert line in said, line
    assert "tests/conftest.py:5 defines the fixture `client`" in said
    assert "defines the fixture `document_store`" in said  # by its name= argument
    assert "preinstall" in said and "postinstall" in said and "prepare" in said


def test_setup_runs_no_install_script_of_an_adopted_package_json(fresh, tmp_path, shared_venv):
    # shared_venv puts it in the end-to-end tier: it runs npm twice.
    project, adopting = fresh
    adopt_into(project, adopting, hostile_app(tmp_path))
    node = workspace_module("ixon_devkit.ui.node", project)

    said = node.install(project, quiet=True)

    assert "installed" in said
    assert not list(project.glob("PWNED-*"))
    settings = json.loads((project / "workspace.json").read_text(encoding="utf-8"))
    settings["node_scripts"] = True
    (project / "workspace.json").write_text(json.dumps(settings), encoding="utf-8")
    node.install(project, force=True, quiet=True)
    assert sorted(p.name for p in project.glob("PWNED-*")) == [
        "PWNED-post",
        "PWNED-pre",
        "PWNED-prepare",
    ]  # the setting really switches them on: the scripts would have run without the flag


def test_text_in_another_encoding_is_one_line_naming_each_file(fresh, tmp_path):
    project, adopting = fresh
    app = tmp_path / "utf16"
    shutil.copytree(APPS / "hostile", app)
    (app / "requirements.txt").write_text("ixoncdkingress==1.0.0\n", encoding="utf-16")
    (app / "context_values.yaml").write_text("a: 1\n", encoding="utf-16")
    (app / ".env").write_bytes("COMPANY=caf\xe9\n".encode("latin-1"))
    before = snapshot(project)

    with pytest.raises(adopting.AdoptError) as refused:
        adopt_into(project, adopting, app)

    message = str(refused.value)
    assert "\n" not in message
    assert "requirements.txt (UTF-16)" in message and "context_values.yaml (UTF-16)" in message
    assert ".env (not UTF-8" in message
    assert snapshot(project) == before


def test_runtime_pins_deploy_ids_and_the_example_config_are_settled_in_one_adopt(fresh):
    import yaml

    project, adopting = fresh

    _, said = adopt_into(project, adopting, APPS / "file_browser")

    declared = (project / "requirements.in").read_text(encoding="utf-8").splitlines()
    production = (project / "requirements.txt").read_text(encoding="utf-8")
    dev = (project / "requirements-dev.txt").read_text(encoding="utf-8")
    locked = {line.split("==")[0]: line.split()[0] for line in dev.splitlines() if "==" in line}
    for name in ("idna", "certifi", "charset-normalizer"):
        assert locked[name] in declared, name  # the runtime's pin won
        assert f"kept {locked[name]}" in said
    assert "idna==3.4" not in declared and "idna==3.4" not in production
    assert "ixoncdkingress==1.0.0" in declared and "0.0.23" not in "\n".join(declared)
    assert "already has the 1.x modules" in said  # 0.0.23 carries them
    (six,) = [line for line in declared if line.startswith("six")]
    assert six.startswith("six==") and f"pinned six>=1.16 to {six}" in said
    assert six in production  # locked as `invoke lock` would
    assert "checked with uv" in said
    assert "functions/functions.py:3 imports yaml, which only the development lock held" in said
    assert locked["pyyaml"] in declared and locked["pyyaml"] in production
    assert "packaging" not in declared  # ixoncdkingress brings it there (docker needs it)
    assert workspace_module("ixon_devkit.workspace.lock", project).stale_reason(project) is None
    settings = json.loads((project / "workspace.json").read_text(encoding="utf-8"))
    values = yaml.safe_load((project / "context_values.yaml").read_text(encoding="utf-8"))
    assert settings["ui_components"]["file-list"] == {"template_id": "FileList0001"}
    assert settings["company_id"] == "1111-2222-3333-4444-5555"
    assert settings["template_id"] == "FileBrowser1"
    # placeholders to fill in, empty: an example's values could be addresses a call sends to
    assert values == {"folder": "", "apiToken": "", "apiApplication": ""}
    assert "fill in folder, apiToken" in said
    assert "AgentList" in settings["api_access"]


def test_an_empty_context_becomes_a_mapping_not_comments(fresh, tmp_path):
    import yaml

    project, adopting = fresh
    app = tmp_path / "empty"
    shutil.copytree(APPS / "split_repo", app)
    (app / "backend" / "context_config.json").write_text('{"values": {}}\n', encoding="utf-8")

    adopt_into(project, adopting, app)

    text = (project / "context_values.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(text) == {}, text


def test_a_split_repository_and_a_ui_only_one_are_found_by_their_files(fresh, adopt_base, tmp_path):
    project, adopting = fresh

    _, said = adopt_into(project, adopting, APPS / "split_repo")

    assert "the Cloud Function from backend/ and the UI Components from frontend/" in said
    settings = json.loads((project / "workspace.json").read_text(encoding="utf-8"))
    assert settings["api_access"] == []  # only the removed examples called AgentList
    assert "took AgentList out of api_access (only the removed examples called it)" in said
    split = APPS / "split_repo"
    assert (project / "functions" / "notes.py").read_bytes() == (
        split / "backend" / "functions" / "notes.py"
    ).read_bytes()
    assert (project / "tests" / "test_notes.py").is_file()
    assert (project / "components" / "notes-panel" / "manifest.json").is_file()
    settings = json.loads((project / "workspace.json").read_text(encoding="utf-8"))
    assert settings["ui_components"]["notes-panel"] == {"template_id": "NotesPanel01"}

    ui_only = tmp_path / "ui-only-workspace"
    shutil.copytree(adopt_base, ui_only)
    _, said = adopt_into(ui_only, workspace_module("ixon_devkit.adopt", ui_only), APPS / "ui_only")
    assert "the UI Components from the app's folder" in said
    assert "Cloud Function from" not in said
    assert (ui_only / "components" / "status-tile" / "status-tile.svelte").is_file()
    assert not [p for p in (ui_only / "functions").glob("*.py") if p.stem in EXAMPLE_MODULES]


def test_adopting_again_changes_nothing_and_never_undoes_your_edits(fresh):
    project, adopting = fresh
    adopt_into(project, adopting, APPS / "service_log")
    after_first = snapshot(project)

    again, said = adopt_into(project, adopting, APPS / "service_log")

    assert not again.writes and not again.deletes, said
    assert snapshot(project) == after_first
    dev = project / "requirements-dev.in"
    dev.write_text(dev.read_text(encoding="utf-8").replace("pytest-timeout==2.4.0\n", ""))
    mailer = project / "functions" / "mailer.py"
    mailer.write_text(mailer.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    (project / "tests" / "test_mailer.py").unlink()
    edited = snapshot(project)

    with pytest.raises(adopting.AdoptError) as refused:
        adopt_into(project, adopting, APPS / "service_log")

    assert "functions/mailer.py" in str(refused.value) and "--force" in str(refused.value)
    assert "tests/test_mailer.py (deleted since the last adopt)" in str(refused.value)
    assert snapshot(project) == edited
    forced, _ = adopt_into(project, adopting, APPS / "service_log", force=True)
    assert "# mine" not in mailer.read_text(encoding="utf-8") and forced.writes
    assert (project / "tests" / "test_mailer.py").is_file()
    # The pin you took out stays out (the lock still has it until `invoke lock`).
    assert "pytest-timeout" not in dev.read_text(encoding="utf-8")


def test_requirements_that_cannot_install_together_are_refused_before_writing(
    fresh, tmp_path, shared_venv
):
    # shared_venv puts it in the end-to-end tier: uv asks the package index.
    project, adopting = fresh
    app = tmp_path / "old-boto"
    shutil.copytree(APPS / "split_repo", app)
    # motor 3.6 needs pymongo 4.9; ixoncdkingress 1.0.0 needs pymongo 4.7
    (app / "backend" / "requirements.txt").write_text(
        "ixoncdkingress==1.0.0\nmotor==3.6.0\n", encoding="utf-8"
    )
    before = snapshot(project)

    with pytest.raises(adopting.AdoptError) as refused:
        adopt_into(project, adopting, app)

    message = str(refused.value)
    assert "motor" in message and "pymongo" in message and "uv" in message
    assert "\n" not in message and "nothing was written" in message
    assert snapshot(project) == before


def with_node_lock(app: Path, into: Path) -> Path:
    """A copy of `app` whose UI half lists and locks the component SDK as an IXON app does (the
    1.2.0 set that installs here, from the template's own lock)."""
    copy = into / app.name
    shutil.copytree(app, copy)
    ui_template = TEMPLATE / "devkit" / "src" / "ixon_devkit" / "ui" / "ui_template"
    for package in copy.rglob("package.json"):
        for name in ("package.json", "package-lock.json"):
            shutil.copy(ui_template / name, package.parent / name)
    return copy


def test_ixons_default_layout_comes_in_with_one_command_and_runs(
    tmp_path, shared_venv, node_modules
):
    """functions/functions.py called by bare names with camelCase arguments, old runtime pins,
    an unpinned requirement, an example config (with apiApplication, so the runtime makes its
    own lookups on every call), an empty context, no tests: one adopt, no hand edits, then the
    workspace's tasks work."""
    app = with_node_lock(APPS / "file_browser", tmp_path)
    project = bake(tmp_path / "ws")
    own_venv = str(tmp_path / "venv")  # its requirements are its own (six)
    invoke(project, "adopt", str(app), "--remove-examples")
    link_node_modules(project)
    invoke(project, "setup", IXON_VENV=own_venv)
    run = {"IXON_VENV": own_venv, "check": False}

    with served(project, own_venv) as port:  # the name and arguments the component sends
        answer = post(port, "get_files", httpServerName="plc", maxCount=5)
    tested = invoke(project, "test", **run)
    bundled = invoke(project, "bundle", **run)
    deployed = invoke(project, "deploy", "--dry-run", **run)
    again = invoke(project, "adopt", str(app), "--remove-examples", **run)

    assert answer["server"] == "plc" and answer["max"] == 5 and answer["folder"] == "/"
    assert again.returncode == 0 and "none changed" in again.stdout, again.stdout + again.stderr
    # IXON's import world: functions.py accepted; no tests is not a failure; a dry run needs
    # no token.
    assert tested.returncode == 0 and "No tests yet" in tested.stdout, tested.stdout
    assert bundled.returncode == 0, bundled.stdout + bundled.stderr
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert "FileList0001/version-upload" in deployed.stdout  # the UI half too


def test_a_split_repository_comes_in_with_one_command_and_runs(tmp_path, shared_venv, node_modules):
    """backend/ and frontend/: adopted, tested, served, bundled (both halves) and dry-run
    deployed with no hand edit (its requirements are the workspace's, so the shared environment
    serves)."""
    app = with_node_lock(APPS / "split_repo", tmp_path)
    project = bake(tmp_path / "ws")
    invoke(project, "adopt", str(app), "--remove-examples")
    link_node_modules(project)

    tested = invoke(project, "test", "--verbose", check=False)
    with served(project, str(shared_venv)) as port:
        post(port, "notes.add", text="Oiled")  # the names the component calls
        count = post(port, "notes.count")
    bundled = invoke(project, "bundle", check=False)
    deployed = invoke(project, "deploy", "--dry-run", check=False)
    again = invoke(project, "adopt", str(app), "--remove-examples", check=False)

    assert "test_notes.py::test_a_note_is_kept PASSED" in tested.stdout, tested.stdout
    assert count == 1
    assert bundled.returncode == 0, bundled.stdout + bundled.stderr
    assert (project / "dist" / "ui-notes-panel-2.zip").is_file()  # the UI half too
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert "NotesPanel01/version-upload" in deployed.stdout
    assert "none changed" in again.stdout, again.stdout + again.stderr


def test_a_ui_only_repository_comes_in_with_one_command(tmp_path, shared_venv, node_modules):
    """UI Components only: adopted with no hand edit; the workspace then has no tests and
    says so, bundles and dry-runs a deploy of the UI alone, and a second adopt changes nothing."""
    app = with_node_lock(APPS / "ui_only", tmp_path)
    project = bake(tmp_path / "ws")
    invoke(project, "adopt", str(app), "--remove-examples")
    link_node_modules(project)

    tested = invoke(project, "test", check=False)
    bundled = invoke(project, "bundle", check=False)
    deployed = invoke(project, "deploy", "--dry-run", check=False)
    again = invoke(project, "adopt", str(app), "--remove-examples", check=False)

    assert tested.returncode == 0 and "No tests yet" in tested.stdout, tested.stdout
    assert (project / "components" / "status-tile" / "manifest.json").is_file()
    assert bundled.returncode == 0, bundled.stdout + bundled.stderr
    assert "building the UI Components alone" in bundled.stdout
    assert (project / "dist" / "ui-status-tile-1.zip").is_file()
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert "page-component-templates/StatusTile01/version-upload" in deployed.stdout
    assert "Dry run: nothing was sent." in deployed.stdout
    assert "none changed" in again.stdout, again.stdout + again.stderr
