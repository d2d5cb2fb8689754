"""The workspace's tasks, as an invoke Collection that the workspace's `tasks.py` imports.

The template owns this file (a template update through cruft replaces it); `tasks.py` belongs
to you. Tasks that run code in the workspace's environment (test, lint, serve, call, deploy,
...) set up the environment first when it is missing or its requirements changed, then run a
`python -m devkit.runtime.X` entry point in it. Every user-facing error is a
`devkit.errors.UserError`, turned into one `ERROR:` line and an exit code by `user_task` alone.

Runs in whatever Python runs invoke: standard library (and invoke) only, Python 3.9+.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from invoke import Collection, Exit, task

from devkit.errors import UserError, error_line
from devkit.host import check_runs, environment, legacy, processes


def _lazy(name: str) -> ModuleType:
    """The module `name`, imported at its first use: every task loads this file, and `invoke
    test` (run hundreds of times a day) should not pay for `invoke adopt`'s modules."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name}")
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


adopting = _lazy("devkit.host.adopt")
api_names = _lazy("devkit.host.api_access")
bundling = _lazy("devkit.host.bundle")
ui_components = _lazy("devkit.host.components")
doctoring = _lazy("devkit.host.doctor")
doctor_targets = _lazy("devkit.host.doctor_targets")
examples = _lazy("devkit.host.examples")
import_world = _lazy("devkit.host.import_world")
login = _lazy("devkit.host.login")
scaffold = _lazy("devkit.host.scaffold")
together = _lazy("devkit.host.together")
token_file = _lazy("devkit.host.token_file")
ui_bundle = _lazy("devkit.host.ui_bundle")
versioning = _lazy("devkit.host.versioning")
linting = _lazy("devkit.host.lint")
locking = _lazy("devkit.host.lock")
nodejs = _lazy("devkit.host.node")

ROOT = Path(__file__).resolve().parent.parent


class CommandError(UserError):
    """A tool run by a task failed and has said why above; the message says what to do."""


def user_task(*arguments: Any, **options: Any) -> Any:
    """`@task`, with every UserError turned into its one `ERROR:` line and exit code."""

    def decorate(body: Callable[..., Any]) -> Any:
        @functools.wraps(body)
        def wrapped(*call_arguments: Any, **call_options: Any) -> Any:
            try:
                return body(*call_arguments, **call_options)
            except UserError as error:
                raise Exit(error_line(error), code=error.exit_code) from None

        return task(wrapped, **options)

    if arguments and callable(arguments[0]):
        return decorate(arguments[0])
    return decorate


def ensure_environment(force: bool = False) -> environment.Environment:
    """The workspace's environment, set up first when needed."""
    return environment.ensure(ROOT, force=force)


def run_in_environment(*arguments: str, failed: str = "") -> int:
    """Run `python ARGUMENTS` in the workspace's environment (set up when needed).

    A non-zero exit ends the task with that code; with `failed`, also with that ERROR line
    (without it the tool has already said what went wrong).
    """
    env = ensure_environment()
    code = subprocess.run([str(env.python), *arguments], cwd=ROOT).returncode
    if code != 0:
        if failed:
            raise CommandError(failed, exit_code=code)
        raise Exit(code=code)
    return code


@user_task(help={"force": "Reinstall even when the environment is up to date"})
def setup(c, force=False):
    """Create .venv and sync it to requirements-dev.txt, and the Node packages (quick when done).

    A lock that no longer fits its declaration (requirements*.in) is locked again first. With
    UI Components (a package.json) it also runs `npm ci`, which needs Node.js 22 or newer;
    a stamp in node_modules/ makes it quick when nothing changed. Finds Python 3.12 on PATH,
    through the py launcher, among pyenv's or uv's Pythons, or at IXON_PYTHON. IXON_VENV puts
    the environment somewhere else than .venv.
    """
    env = ensure_environment(force=force)
    environment.compile_devkit(env, ROOT)  # quick when compiled (ensure compiles at a build)
    for found in legacy.find(ROOT):
        print(f"WARNING: {found.describe()}", file=sys.stderr)
    print(f"Ready: {env.python}")
    if nodejs.wanted(ROOT):
        print(nodejs.install(ROOT, force=force))


@user_task(
    help={
        "k": "Only run tests matching this expression (pytest -k)",
        "verbose": "List every test",
        "record": "Record IXON's real API answers for tests marked ixon_recording (your token)",
        "watch": "Run them again after every save (the changed test files, or all), until Ctrl-C",
    }
)
def test(c, k="", verbose=False, record=False, watch=False):
    """Run the tests with pytest."""
    env = ensure_environment()
    arguments = ["-m", "devkit.runtime.watch" if watch else "pytest"]
    if k:
        arguments += ["-k", k]
    if verbose:
        arguments.append("-v")
    environ = {**os.environ, "IXON_RECORD": "1"} if record else None
    if watch:
        processes.run_foreground([str(env.python), *arguments], ROOT)
        return
    code = subprocess.run([str(env.python), *arguments], cwd=ROOT, env=environ).returncode
    check_runs.record_test_run(ROOT, code, selection=k)
    if code == check_runs.NO_TESTS and not k:
        print("No tests yet (pytest found none): `invoke new NAME` adds a function with its test")
        return
    if code == check_runs.NO_TESTS:
        raise CommandError(
            "no tests ran: check the -k expression, or add tests under tests/", exit_code=5
        )
    if code != 0:
        raise CommandError(
            "tests failed (listed above): fix them, then run `invoke test` again "
            "(`invoke test -k NAME` runs only the matching ones)",
            exit_code=code,
        )


@user_task(
    help={
        "upgrade": "Move every pin to the newest release the declarations allow",
        "check": "Only check that every lock fits its declaration (CI; no registry needed)",
    }
)
def lock(c, upgrade=False, check=False):
    """Compile requirements*.in into the locks requirements*.txt (same input, same bytes).

    Then `invoke setup` (or any task) syncs .venv to the new lock. Needs the package registry.
    """
    if check:
        reason = locking.stale_reason(ROOT)
        if reason:
            raise CommandError(f"{reason}: run `invoke lock` and commit the locks")
        print("The locks fit their declarations")
        return
    changed = environment.lock_workspace(ROOT, upgrade=upgrade)
    print(f"Locked: {', '.join(changed)} changed" if changed else "Locked: nothing changed")


@user_task(help={"strict": "Fail on findings the runtime's own caps hold back too"})
def audit(c, strict=False):
    """Known vulnerabilities of the locked packages (pip-audit) and the Node packages (npm).

    Says which findings the runtime's own pins hold back; fails only on what this workspace can
    fix (all with --strict). One line, and no failure, when the advisories cannot be reached.
    """
    run_in_environment("-m", "devkit.runtime.audit", *(["--strict"] if strict else []))
    if nodejs.wanted(ROOT):
        line, failed = nodejs.audit(ROOT)
        print(line)
        if failed:
            raise CommandError("npm audit found vulnerabilities (listed above): `npm audit fix`")


@user_task
def typecheck(c):
    """Check the type hints of functions/ and tests/ with mypy (optional: CI does not run it)."""
    run_in_environment(
        "-m", "mypy", "functions", "tests", failed="mypy found type errors (listed above)"
    )


@user_task(
    help={
        "baseline": f"Write {linting.BASELINE}: the current findings, which then fail no more",
    }
)
def lint(c, baseline=False):
    """Check the code with ruff: lint rules (new findings, past the baseline) and formatting.

    Findings listed in lint-baseline.txt (written by --baseline, for code brought in as it
    was) are counted, not failed; any other finding fails, as in `invoke deploy`.
    """
    env = ensure_environment()
    found = linting.findings(env.python, ROOT)
    if baseline:
        count = linting.write_baseline(ROOT, found)
        print(
            f"Wrote {linting.BASELINE}: {count} finding(s) that `invoke lint` and `invoke deploy` "
            "no longer fail on; delete its lines as you fix them"
            if count
            else f"No findings: no {linting.BASELINE} needed"
        )
        return
    result = linting.compare(found, linting.read_baseline(ROOT))
    for line in result.describe():
        print(line)
    if not result.new:
        print("ruff check: no new findings")
    formatted = subprocess.run(
        [str(env.python), "-m", "ruff", "format", "--check", "."], cwd=ROOT
    ).returncode
    failed = [
        name
        for name, bad in (("ruff check", result.new), ("ruff format --check", formatted))
        if bad
    ]
    if failed:
        raise CommandError(
            f"{' and '.join(failed)} found problems (listed above): `invoke format` "
            "fixes the formatting and ruff's safe fixes; fix the rest by hand (code brought in "
            f"as it was: `invoke lint --baseline` lists its findings in {linting.BASELINE})"
        )


@user_task(name="format")
def format_(c):
    """Format the code and apply ruff's safe fixes."""
    run_in_environment("-m", "ruff", "format", ".")
    run_in_environment("-m", "ruff", "check", "--fix", ".")


@user_task(
    iterable=["trust_origin"],
    help={
        "host": "Address to listen on (default 127.0.0.1: this machine only; others need --expose)",
        "port": "Port to listen on (default 8020, as ixoncdkingress)",
        "docdb": "Document store: auto, docker, memory or a mongodb:// URI (docs/serving.md)",
        "functions_only": "Serve only the functions, without IXON's UI simulator (no Node needed)",
        "component": "The UI Component to simulate (default: the first in cdk.config.json)",
        "ui_port": "Port of IXON's UI simulator (default 8000)",
        "allow_unlisted_api": 'Let functions call IXON API names not in "api_access" (local only)',
        "trust_origin": "A page origin (scheme://host:port) that may call too; repeat for more",
        "expose": "Listen on a --host beyond this machine (calls then go without your token)",
        "expose_token": "With --expose: give those calls your IXON access token all the same",
        "same_caller": "Give every call (the simulator's too) the company and agent of "
        'call_context.yaml, as invoke call sends them (workspace.json: "same_caller": true)',
        "production": "Run as IXON Cloud does: signed calls only, no form page, no reload",
    },
)
def serve(
    c,
    *,
    host="127.0.0.1",
    port=8020,
    docdb="auto",
    functions_only=False,
    component="",
    ui_port=8000,
    allow_unlisted_api=False,
    trust_origin=None,
    expose=False,
    expose_token=False,
    same_caller=False,
    production=False,
):
    """Serve the functions on http://127.0.0.1:8020/ and, with UI Components, IXON's simulator.

    Runs ixoncdkingress's own request handling with one document store for the whole run
    (--docdb auto: MongoDB in Docker when a daemon answers, else in memory); edits apply on
    the next call. With UI Components, IXON's simulator (http://localhost:8000/) runs beside
    it and calls it; both print here, prefixed "functions" and "ui"; one Ctrl-C stops both.
    Calls get your IXON API access (.accesstoken or IXON_API_ACCESS_TOKEN).
    """
    simulate = "" if functions_only else _simulated_component(component, ui_port)
    if functions_only and component:
        raise CommandError("--component picks a UI Component to simulate: drop --functions-only")
    env = ensure_environment()
    command = [str(env.python), "-m", "devkit.runtime.serve", "--host", host, "--port", str(port)]
    command += ["--docdb", docdb, *(["--allow-unlisted-api"] if allow_unlisted_api else [])]
    command += ["--production"] if production else []
    for origin in trust_origin or []:
        command += ["--trust-origin", origin]
    command += [*(["--expose"] if expose else []), *(["--expose-token"] if expose_token else [])]
    command += ["--same-caller"] if same_caller else []
    node = _node_for_the_ui() if simulate else None
    if node is not None:
        command += ["--simulator-port", str(ui_port)]
    if node is None:
        code = processes.run_foreground(command, ROOT)
        if code != 0:
            raise Exit(code=code)
        return
    print(
        f"Serving the functions on http://{host}:{port}/ and UI Component {simulate} in IXON's "
        f"simulator on http://localhost:{ui_port}/; Ctrl-C stops both"
    )
    if port != 8020:
        print(
            f"NOTE: the simulator calls http://localhost:8020/ unless its settings (the gear, "
            f"Cloud Function URL) say http://localhost:{port}/ (docs/ui-components.md)"
        )
    servers = [
        together.Server("functions", command, ROOT, {**os.environ, "PYTHONUNBUFFERED": "1"}),
        together.Server(
            "ui",
            [*ui_bundle.runner_command(ROOT, node), "simulate", simulate, "--port", str(ui_port)],
            ROOT,
            # The SDK opens a browser through BROWSER; "none" keeps it from trying on servers.
            {**os.environ, "BROWSER": os.environ.get("BROWSER", "none")},
            optional_hint=(
                "IXON's simulator failed (its messages above); the functions are still served: "
                "fix what it says (`invoke setup` reinstalls the Node packages), or use "
                "`invoke serve --functions-only`"
            ),
        ),
    ]
    code = together.Together(servers).run()
    if code != 0:
        raise Exit(code=code)


def _node_for_the_ui() -> nodejs.Node | None:
    """Node with the UI's packages installed; None, said why, when they cannot be: serve then
    serves the functions alone rather than nothing."""
    try:
        return nodejs.ensure(ROOT)
    except nodejs.NodeError as error:
        print(
            f"WARNING: the UI half cannot run, so serving the functions alone: {error} "
            "(`invoke serve --functions-only` serves them without trying the UI)",
            file=sys.stderr,
            flush=True,
        )
        return None


def _simulated_component(wanted: str, ui_port: int) -> str:
    """The UI Component `invoke serve` simulates ("" for none), its port checked first."""
    names = [item.name for item in ui_components.listed(ROOT)]
    if not names:
        if wanted:
            raise CommandError(
                f"there is no UI Component to simulate (--component {wanted}): "
                "`invoke new-component NAME` adds one"
            )
        return ""
    chosen = wanted or names[0]
    if chosen not in names:
        raise CommandError(f"no UI Component named {chosen}; the workspace has: {', '.join(names)}")
    if not together.port_is_free(ui_port):
        raise CommandError(
            f"port {ui_port}, the UI simulator's, is in use (another invoke serve or cdk "
            f"simulate?): stop that, or use --ui-port {ui_port + 1}"
        )
    return chosen


@user_task(
    iterable=["arg"],
    help={
        "name": "The function as module.function, for example example.greet",
        "arg": "An argument as key=value (a string); repeat for more",
        "json": "Arguments as a JSON object, for typed values: '{\"limit\": 5}'",
        "port": "Port of a running invoke serve (default 8020)",
    },
)
def call(c, name, arg=None, json="", port=8020):
    """Call a function and print its JSON result (on invoke serve, else in-process).

    Sends the body IXON Cloud sends, with the caller of call_context.yaml. Without a server on
    the port it runs in-process, with an empty in-memory document store.
    """
    arguments = ["-m", "devkit.runtime.call", name, "--port", str(port)]
    for item in arg or []:
        arguments += ["--arg", item]
    if json:
        arguments += ["--json", json]
    run_in_environment(*arguments)


@user_task(
    help={
        "functions_only": "Bundle only the Cloud Function, not the UI Components",
        "ui_only": "Build only the UI Components, not the Cloud Function",
        "component": "Build only this UI Component",
    }
)
def bundle(c, *, functions_only=False, ui_only=False, component=""):
    """Check the sources and build dist/<name>-<version>.zip, the same bytes every time.

    Holds requirements.txt and functions/ (Python files, plus data files matching the
    bundle_include patterns of workspace.json); prints the files, size and sha256. Each UI
    Component is built with IXON's builder into dist/ui-<component>-<manifest version>.zip.
    """
    if functions_only and (ui_only or component):
        raise CommandError("--functions-only leaves out the UI: drop --ui-only and --component")
    if not (ui_only or component) and not functions_only and bundling.ui_only(ROOT):
        print(
            "No Cloud Function (nothing in functions/ is marked @FunctionContext.expose): "
            "building the UI Components alone"
        )
        ui_only = True
    if not (ui_only or component):
        bundling.check_requirements(ROOT)  # before setting up an environment from them
        env = ensure_environment()  # the runtime says which module names are taken
        modules = import_world.runtime_modules(env.python, ROOT)
        built = bundling.build(ROOT, runtime_modules=modules or None)
        print("\n".join(built.describe(ROOT)))
        shipped = examples.state(ROOT).shipped()
        if shipped:
            print(
                "WARNING: the bundle holds the template's examples unchanged "
                f"({', '.join(shipped)}): `invoke remove-examples` removes them; `invoke deploy` "
                "refuses them unless --keep-examples",
                file=sys.stderr,
            )
    if not functions_only:
        for made in ui_bundle.build_all(ROOT, [component] if component else []):
            print("\n".join(made.describe(ROOT)))


@user_task(
    help={
        "dry_run": "Check and bundle, then show what would be sent where; send nothing",
        "skip_checks": "Do not run the tests and lint first (says so loudly)",
        "force": "Upload even a version already deployed to this template",
        "verbose": "Show every request and answer (the token masked)",
        "keep_examples": "Deploy the template's examples too, if still unchanged (refused without)",
        "functions_only": "Deploy only the Cloud Function, no UI Component",
        "ui_only": "Deploy only the UI Components, not the Cloud Function",
        "component": "Deploy only this UI Component (not the Cloud Function)",
        "publish": "Publish the UI Component versions uploaded (as cdk publish does)",
        "ignore_api_access": 'Deploy even when the code calls IXON API names not in "api_access"',
        "target": 'The deploy target of workspace.json "targets" (default: "default_target")',
    }
)
def deploy(
    c,
    *,
    dry_run=False,
    skip_checks=False,
    force=False,
    verbose=False,
    functions_only=False,
    ui_only=False,
    component="",
    publish=False,
    keep_examples=False,
    ignore_api_access=False,
    target="",
):
    """Test, lint, bundle and upload the function and the UI Components; record the deploy.

    Settings: IXON_API_COMPANY_ID and IXON_API_TEMPLATE_ID from the environment, .env or
    workspace.json; the token from IXON_API_ACCESS_TOKEN or .accesstoken; each UI Component's
    template ID from workspace.json or IXON_UI_TEMPLATE_ID_<NAME> (docs/deploying.md); with
    named targets in workspace.json, those of --target (else the default one). Refuses a
    Cloud Function whose code calls IXON API names not in "api_access" of workspace.json.
    """
    _warn(token_file.warning(ROOT))
    if not (ui_only or component or bundling.ui_only(ROOT)):  # the Cloud Function goes too
        api_names.check_before_deploy(ROOT, skip=ignore_api_access, warn=_warn)
    flags = {
        "--dry-run": dry_run,
        "--skip-checks": skip_checks,
        "--force": force,
        "--verbose": verbose,
        "--keep-examples": keep_examples,
        "--functions-only": functions_only,
        "--ui-only": ui_only,
        "--publish": publish,
    }
    arguments = [flag for flag, on in flags.items() if on]
    if component:
        arguments += ["--component", component]
    if target:
        arguments += ["--target", target]
    run_in_environment("-m", "devkit.runtime.deploy", *arguments)


def _warn(line: str | None) -> None:
    if line:
        print(line, file=sys.stderr, flush=True)


@user_task(name="login")
def login_(c):
    """Log in to IXON: asks for e-mail, password (and one-time password); writes .accesstoken.

    Gets a 30-day access token from IXON's API as IXON's `cdk login` does, stores it readable
    by you only and says who is logged in until when; never shows the password or the token.
    Without a terminal it reads the e-mail address, the password and, when IXON asks for it,
    the one-time password from lines of standard input. CI sets IXON_API_ACCESS_TOKEN instead.
    """
    logged_in = login.log_in(ROOT, login.default_ask())
    print("\n".join(login.describe(logged_in)))


@user_task
def logout(c):
    """Log out of IXON: revoke the token of .accesstoken at IXON, then remove the file.

    When IXON cannot be reached or does not revoke it, the file is kept (the token still
    works) and the error says so; run it again later.
    """
    print(login.log_out(ROOT).message)


@user_task(
    name="api-access",
    help={"refresh": "First take IXON's list of API names from the live discovery (your token)"},
)
def api_access(c, refresh=False):
    """Show the IXON API names the code calls beside "api_access" of workspace.json.

    Names come from the code (literal names in calls of context.api_client's get, post,
    patch, put and delete) and from the tests and serve (.devkit/api-calls.json); the output
    says what to grant in IXON Studio, what is granted but unused, what to send to IXON, and
    names that are not on IXON's list of API names (a misspelling, with the closest names).
    """
    if refresh:
        run_in_environment("-m", "devkit.runtime.names_refresh")
    print("\n".join(api_names.describe(api_names.report(ROOT), ROOT)))


@user_task(name="version")
def version_(c):
    """Print the workspace's version (from VERSION) alone on the last line."""
    for problem in versioning.mismatches(ROOT):
        print(f"WARNING: {problem}: run invoke bump to set both", file=sys.stderr)
    print(versioning.current(ROOT))


@user_task(
    help={
        "part": "major, minor or patch to raise that part, or a version like 1.2.3 to set",
        "dry_run": "Show what would change in each file and change nothing",
        "allow_dirty": "Bump even when git has uncommitted changes (they stay uncommitted)",
        "no_commit": "Change the files but do not commit (and so do not tag)",
        "no_tag": "Commit but do not make the tag vX.Y.Z",
    }
)
def bump(c, part, *, dry_run=False, allow_dirty=False, no_commit=False, no_tag=False):
    """Raise the version everywhere, commit "Release X.Y.Z" and tag vX.Y.Z (never pushes).

    Changes VERSION, functions/_version.py, CHANGELOG.md (the Unreleased notes move under the
    new version) and the "version" of every UI Component manifest.json. Refuses a version that
    does not go up and, in git, a tree with uncommitted changes other than deployments.json
    and CHANGELOG.md.
    """
    versioning.bump(
        ROOT,
        part,
        dry_run=dry_run,
        allow_dirty=allow_dirty,
        commit=not no_commit,
        tag=not no_tag,
    )


@user_task(
    help={
        "name": "Module name: lower-case letters, digits and _ (like thermometer); "
        "object-storage for IXON's Object Storage hooks",
        "dry_run": "Say which files would be written and write nothing",
    }
)
def new(c, name, dry_run=False):
    """Add functions/NAME.py with an example function, and tests/test_NAME.py that passes.

    `invoke new object-storage` adds IXON's Object Storage hooks
    (functions/ayayot/objectstorage_v1.py) and their tests instead.
    """
    if name == scaffold.OBJECT_STORAGE_NAME:
        written = scaffold.create_object_storage(ROOT, dry_run=dry_run)
        paths = ", ".join(path.as_posix() for path in written)
        print(f"{'Would create' if dry_run else 'Created'} {paths}")
        if not dry_run:
            print("Next: invoke test -k objectstorage; README: Object Storage says what IXON calls")
        return
    scaffold.check_name(ROOT, name)  # the quick refusals first, before any environment
    env = ensure_environment()
    modules = import_world.runtime_modules(env.python, ROOT)
    created = scaffold.create(ROOT, name, dry_run=dry_run, runtime_modules=modules)
    files = f"{created.module.as_posix()} and {created.test.as_posix()}"
    if dry_run:
        print(f"Would create {files}")
        return
    print(f"Created {files}")
    print(f"Next: invoke test -k {name}; a UI Component calls it as {name}.hello")


@user_task(
    name="new-component",
    help={
        "name": "Component name: lower-case letters, digits and dashes (like status-panel)",
        "template_id": "Its page-component-template ID from IXON Studio (empty: fill in later)",
        "dry_run": "Say which files would be written and write nothing",
    },
)
def new_component(c, name, *, template_id="", dry_run=False):
    """Add the UI Component components/NAME/ (and package.json, cdk.config.json if missing)."""
    if dry_run:
        print("Would write " + ", ".join(ui_components.plan(ROOT, name, template_id)))
        return
    print("Wrote " + ", ".join(ui_components.add(ROOT, name, template_id)))
    print(
        f"Next: invoke setup (installs the Node packages), then invoke serve --component {name}"
        + ("" if template_id else "; set its template_id in workspace.json before deploying")
    )


@user_task(help={"strict": "Exit 1 when a tool is not ready (for CI and before deploying)"})
def tools(c, strict=False):
    """List the tools IXON's AI agent would see and, for any that is not ready, why."""
    run_in_environment("-m", "devkit.runtime.tools", *(["--strict"] if strict else []))


@user_task(
    help={
        "online": "Also ask IXON's API what the token may do: user, company, role",
        "email": "Print the e-mails to IXON support this workspace needs (template, API access)",
        "target": "Check only this deploy target of workspace.json (default: every target)",
    }
)
def doctor(c, online=False, email=False, target=""):
    """Where this workspace stands in IXON's process: one line per step, with what to do next.

    Offline by default. With deploy targets in workspace.json, reports each one (or the one of
    --target). Exits non-zero when something would stop a deploy.
    """
    if email:
        print(doctoring.email_requests(ROOT))
        return
    report = doctor_targets.report(ROOT, target or None)
    print("\n".join(report.lines()), flush=True)
    blocking = [step.name for step in report.blocking]
    if online:
        # A target's steps are named `[test] Company ID`: the step is what counts here.
        if any(name.rpartition("] ")[2] in doctoring.ONLINE_NEEDS for name in blocking):
            print("Not asking IXON (--online): fix the company ID and the access token first")
        else:
            env = ensure_environment()
            command = [str(env.python), "-m", "devkit.runtime.doctor_online"]
            command += ["--target", target] if target else []
            if subprocess.run(command, cwd=ROOT).returncode != 0:
                blocking.append("the online checks")
    if blocking:
        raise doctoring.DoctorError(
            f"{len(blocking)} step(s) would stop a deploy: {', '.join(blocking)} "
            "(marked missing above, each with what to do)"
        )


@user_task(
    help={
        "path": "Folder of the IXON app or workspace to bring in (functions/, UI Components, "
        "or both, also in subfolders such as backend/ and frontend/)",
        "remove_examples": "Remove the template's examples (still as baked) while adopting",
        "keep_examples": "Keep the template's examples beside the adopted code",
        "keep_old_imports": "Keep imports of ixoncdkingress 0.0.x as they are (adopt rewrites "
        "them for 1.x, listing each change)",
        "force": "Overwrite files of the workspace that you changed",
        "dry_run": "Show what would be written, removed and left to do; change nothing",
    }
)
def adopt(
    c,
    path,
    *,
    remove_examples=False,
    keep_examples=False,
    keep_old_imports=False,
    force=False,
    dry_run=False,
):
    """Bring an existing IXON workspace or app in: functions, tests, requirements, values, UI.

    Its code moves in as it is (0.0.x imports rewritten for 1.x); nothing of the app is run or
    followed; the end says what is left to do (docs/adopting.md). Running it again never
    replaces what you changed without --force. Asks about the examples unless told.
    """
    if remove_examples and keep_examples:
        raise adopting.AdoptError("give --remove-examples or --keep-examples, not both")
    if not remove_examples and not keep_examples and examples.state(ROOT).unchanged:
        remove_examples = _ask_about_examples()
    env = environment.environment_for(ROOT)
    modules = import_world.runtime_modules(env.python, ROOT) if env.python.exists() else ()
    options = adopting.Options(
        remove_examples=remove_examples,
        force=force,
        dry_run=dry_run,
        rewrite_imports=not keep_old_imports,
    )
    plan = adopting.adopt(ROOT, Path(path), options, modules)
    print("\n".join(adopting.describe(ROOT, plan, dry_run=dry_run)))


def _ask_about_examples() -> bool:
    """Ask whether to remove the examples; refuse when nobody can answer (scripts, CI)."""
    if not sys.stdin.isatty():
        raise adopting.AdoptError(
            "say whether to remove the template's examples: --remove-examples or "
            "--keep-examples (nothing was written)"
        )
    answer = input("Remove the template's example functions and tests? [Y/n] ").strip().lower()
    return answer in ("", "y", "yes")


@user_task(help={"dry_run": "Say which files would be removed and remove nothing"})
def remove_examples(c, dry_run=False):
    """Remove the template's example functions and tests that are still as baked."""
    state = examples.remove(ROOT, dry_run=dry_run)
    verb = "Would remove" if dry_run else "Removed"
    if state.unchanged:
        print(f"{verb} {', '.join(state.unchanged)}")
    else:
        print("No example left as baked: nothing to remove")
    if state.changed:
        print(f"Kept {', '.join(state.changed)}: changed since baked, so yours now")
    unneeded = [] if dry_run else examples.unneeded_api_names(ROOT)
    if unneeded:
        examples.drop_api_names(ROOT, unneeded)
        print(f"Took {', '.join(unneeded)} out of api_access in workspace.json: no code calls it")


@user_task(help={"dry_run": "Say which files would change and change nothing"})
def rewrite_imports(c, dry_run=False):
    """Rewrite imports of ixoncdkingress 0.0.x (ixoncdkingress.cbc, CbcContext) for 1.x."""
    changed = legacy.rewrite_files(ROOT, dry_run=dry_run)
    if not changed:
        print("No imports of ixoncdkingress 0.0.x found")
        return
    print(f"{'Would rewrite' if dry_run else 'Rewrote'} {', '.join(changed)}")
    if legacy.old_pin(ROOT / "requirements.txt"):
        print(f"Next: pin ixoncdkingress=={legacy.CURRENT_RELEASE} in requirements.txt")


namespace = Collection(
    setup,
    lock,
    audit,
    typecheck,
    test,
    lint,
    format_,
    serve,
    call,
    bundle,
    deploy,
    version_,
    bump,
    new,
    new_component,
    tools,
    doctor,
    adopt,
    remove_examples,
    rewrite_imports,
)
namespace.add_task(api_access)
namespace.add_task(login_)
namespace.add_task(logout)
