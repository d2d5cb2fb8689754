"""Tasks of this Cloud Function workspace: `invoke --list` lists them.

Tasks that run code in the workspace's environment (test, lint, serve, call, deploy, ...) set
up `.venv` first when it is missing or its requirements changed, so on a fresh machine
`invoke test` alone is enough. The logic lives in `devkit/`; this file only wires it up.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from invoke import Exit, task

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from devkit import bundle as bundling  # noqa: E402
from devkit import deploy as deploying  # noqa: E402
from devkit import environment, scaffold  # noqa: E402
from devkit import serve as serving  # noqa: E402
from devkit import tools as agent_tools  # noqa: E402
from devkit import version as versioning  # noqa: E402
from devkit.host import components as ui_components  # noqa: E402
from devkit.host import node as nodejs  # noqa: E402
from devkit.host import together  # noqa: E402
from devkit.host import ui_bundle  # noqa: E402


def _environment(force: bool = False) -> environment.Environment:
    try:
        return environment.ensure(ROOT, force=force)
    except environment.SetupError as error:
        raise Exit(f"ERROR: {error}") from None


def _run(env: environment.Environment, *arguments: str) -> None:
    """Run `python -m ...` in the workspace's environment; fail the task with its exit code."""
    result = subprocess.run([str(env.python), *arguments], cwd=ROOT)
    if result.returncode != 0:
        raise Exit(code=result.returncode)


@task(help={"force": "Reinstall even when the environment is up to date"})
def setup(c, force=False):
    """Create .venv and install requirements-dev.txt (quick when up to date).

    Finds Python 3.12 on PATH, through the py launcher, among pyenv's or uv's Pythons, or at
    IXON_PYTHON. IXON_VENV puts the environment somewhere else than .venv.
    """
    env = _environment(force=force)
    print(f"Ready: {env.python}")
    if nodejs.wanted(ROOT):
        try:
            print(nodejs.install(ROOT, force=force))
        except nodejs.NodeError as error:
            raise Exit(f"ERROR: {error}") from None


@task(
    help={
        "k": "Only run tests matching this expression (pytest -k)",
        "verbose": "List every test",
    }
)
def test(c, k="", verbose=False):
    """Run the tests with pytest."""
    env = _environment()
    arguments = ["-m", "pytest"]
    if k:
        arguments += ["-k", k]
    if verbose:
        arguments.append("-v")
    result = subprocess.run([str(env.python), *arguments], cwd=ROOT)
    if result.returncode == 5:
        raise Exit("ERROR: no tests ran: check the -k expression, or add tests under tests/", 5)
    if result.returncode != 0:
        raise Exit(
            "ERROR: tests failed (listed above): fix them, then run `invoke test` again "
            "(`invoke test -k NAME` runs only the matching ones)",
            result.returncode,
        )


@task
def lint(c):
    """Check the code with ruff: lint rules and formatting."""
    env = _environment()
    failed = [
        step
        for step, arguments in (
            ("ruff check", ("-m", "ruff", "check", ".")),
            ("ruff format --check", ("-m", "ruff", "format", "--check", ".")),
        )
        if subprocess.run([str(env.python), *arguments], cwd=ROOT).returncode != 0
    ]
    if failed:
        raise Exit(
            f"ERROR: {' and '.join(failed)} found problems (listed above): `invoke format` "
            "fixes the formatting and ruff's safe fixes; fix the rest by hand"
        )


@task(name="format")
def format_(c):
    """Format the code and apply ruff's safe fixes."""
    env = _environment()
    _run(env, "-m", "ruff", "format", ".")
    _run(env, "-m", "ruff", "check", "--fix", ".")


@task(
    help={
        "host": "Address to listen on (default 127.0.0.1: this machine only)",
        "port": "Port to listen on (default 8020, as ixoncdkingress)",
        "docdb": "Document store: auto, docker, memory or a mongodb:// URI (README: Serving)",
        "functions_only": "Serve only the functions, without IXON's UI simulator (no Node needed)",
        "component": "The UI Component to simulate (default: the first in cdk.config.json)",
        "ui_port": "Port of IXON's UI simulator (default 8000)",
    }
)
def serve(
    c,
    host="127.0.0.1",
    port=8020,
    docdb="auto",
    functions_only=False,
    component="",
    ui_port=8000,
):
    """Serve the functions on http://127.0.0.1:8020/ and the UI simulator on :8000.

    Runs ixoncdkingress's own request handling with one document store for the whole run
    (--docdb auto: MongoDB in Docker when a daemon answers, else in memory); edits apply on
    the next call. With UI Components, IXON's simulator runs beside it (its output prefixed
    "ui", the server's "functions"); one Ctrl-C stops both.
    """
    found = [] if functions_only else _ui_components()
    if component and not found:
        raise Exit(
            "ERROR: --component needs a UI Component and the simulator: "
            + ("drop --functions-only" if functions_only else "invoke new-component NAME adds one")
        )
    simulate = None
    if found:
        names = [item.name for item in found]
        simulate = component or names[0]
        if simulate not in names:
            raise Exit(
                f"ERROR: no UI Component named {simulate}; the workspace has: {', '.join(names)}"
            )
        if not together.port_is_free(ui_port):
            raise Exit(
                f"ERROR: port {ui_port} (the UI simulator's) is in use, perhaps by another "
                f"invoke serve: stop that, or pick another with --ui-port {ui_port + 1}"
            )
    env = _environment()
    command = [str(env.python), "-m", "devkit.serve", "--host", host, "--port", str(port)]
    command += ["--docdb", docdb]
    if simulate is None:
        code = serving.run_foreground(command, ROOT)
        if code != 0:
            raise Exit(code=code)
        return
    try:
        node = nodejs.ensure(ROOT)
    except nodejs.NodeError as error:
        raise Exit(f"ERROR: {error}") from None
    others = [name for name in names if name != simulate]
    print(
        f"Serving the functions on http://{host}:{port}/ and simulating UI Component "
        f"{simulate} on http://localhost:{ui_port}/"
        + (f" (others: --component {' or '.join(others)})" if others else "")
        + "; Ctrl-C stops both"
    )
    if port != 8020:
        print(
            f"NOTE: the simulator calls http://localhost:8020/ unless you set the Cloud "
            f"Function URL to http://localhost:{port}/ in its settings (README: Simulator)"
        )
    servers = [
        together.Server(
            "functions", command, ROOT, {**os.environ, "PYTHONUNBUFFERED": "1"}
        ),
        together.Server(
            "ui",
            [str(node.node), str(ROOT.joinpath(*ui_bundle.RUNNER)), "simulate", simulate,
             "--port", str(ui_port)],
            ROOT,
            {**os.environ, "BROWSER": os.environ.get("BROWSER", "none")},
        ),
    ]
    code = together.Together(servers).run()
    if code != 0:
        raise Exit(code=code)


def _ui_components() -> list[ui_components.Component]:
    try:
        return ui_components.listed(ROOT)
    except ui_components.ComponentError as error:
        raise Exit(f"ERROR: {error}") from None


@task(
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
    env = _environment()
    arguments = ["-m", "devkit.call", name, "--port", str(port)]
    for item in arg or []:
        arguments += ["--arg", item]
    if json:
        arguments += ["--json", json]
    _run(env, *arguments)


@task(
    help={
        "functions_only": "Bundle only the Cloud Function, not the UI Components",
        "component": "Build only this UI Component (besides the function)",
    }
)
def bundle(c, functions_only=False, component=""):
    """Check the sources and build dist/<name>-<version>.zip, the same bytes every time.

    Holds requirements.txt and functions/ (Python files, plus data files matching the
    bundle_include patterns of workspace.json); prints the files, size and sha256. Each UI
    Component is built with IXON's builder into dist/ui-<component>-<manifest version>.zip.
    """
    try:
        built = bundling.build(ROOT)
    except bundling.BundleError as error:
        raise Exit(f"ERROR: {error}") from None
    print("\n".join(built.describe(ROOT)))
    if functions_only or not _ui_components():
        return
    try:
        for made in ui_bundle.build_all(ROOT, [component] if component else []):
            print("\n".join(made.describe(ROOT)))
    except (ui_bundle.UiBundleError, nodejs.NodeError, ui_components.ComponentError) as error:
        raise Exit(f"ERROR: {error}") from None


def _checks() -> None:
    """Tests, lint and the agentic tools, as their own tasks check them, before a deploy."""
    env = _environment()
    for line in agent_tools.deploy_warnings(ROOT, env.python):
        print(f"WARNING: {line}", file=sys.stderr)
    for arguments in (
        ("-m", "pytest", "-q"),
        ("-m", "ruff", "check", "."),
        ("-m", "ruff", "format", "--check", "."),
    ):
        try:
            _run(env, *arguments)
        except Exit:
            raise Exit(
                f"ERROR: `{' '.join(arguments[1:])}` failed, so nothing was deployed: fix what "
                "it reports (or, at your own risk, deploy with --skip-checks)"
            ) from None


@task(
    help={
        "dry_run": "Check and bundle, then show what would be sent where; send nothing",
        "skip_checks": "Do not run the tests and lint first (says so loudly)",
        "force": "Upload even a version already deployed to this template",
        "verbose": "Show every request and answer (the token masked)",
    }
)
def deploy(c, dry_run=False, skip_checks=False, force=False, verbose=False):
    """Test, lint, bundle and upload the function to IXON Cloud; record the deploy.

    Settings: IXON_API_COMPANY_ID and IXON_API_TEMPLATE_ID from the environment, .env or
    workspace.json; the token from IXON_API_ACCESS_TOKEN or .accesstoken (README: Deploying).
    """
    options = deploying.Options(
        dry_run=dry_run, skip_checks=skip_checks, force=force, verbose=verbose
    )
    try:
        deploying.deploy(ROOT, options, run_checks=_checks)
    except deploying.DeployError as error:
        raise Exit(f"ERROR: {error}") from None


@task(name="version")
def version_(c):
    """Print the workspace's version (from VERSION) alone on the last line."""
    try:
        for problem in versioning.mismatches(ROOT):
            print(f"WARNING: {problem}: run invoke bump to set both", file=sys.stderr)
        print(versioning.current(ROOT))
    except versioning.VersionError as error:
        raise Exit(f"ERROR: {error}") from None


@task(
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
    try:
        versioning.bump(
            ROOT,
            part,
            dry_run=dry_run,
            allow_dirty=allow_dirty,
            commit=not no_commit,
            tag=not no_tag,
        )
    except versioning.VersionError as error:
        raise Exit(f"ERROR: {error}") from None


@task(
    help={
        "name": "Module name: lower-case letters, digits and _ (like thermometer)",
        "dry_run": "Say which files would be written and write nothing",
    }
)
def new(c, name, dry_run=False):
    """Add functions/NAME.py with an example function, and tests/test_NAME.py that passes."""
    try:
        created = scaffold.create(ROOT, name, dry_run=dry_run)
    except scaffold.ScaffoldError as error:
        raise Exit(f"ERROR: {error}") from None
    files = f"{created.module.as_posix()} and {created.test.as_posix()}"
    if dry_run:
        print(f"Would create {files}")
        return
    print(f"Created {files}")
    print(f"Next: invoke test -k {name}; a UI Component calls it as {name}.hello")


@task(
    name="new-component",
    help={
        "name": "Component name: lower-case letters, digits and dashes (like status-panel)",
        "template_id": "Its page-component-template ID from IXON Studio (fill in later if empty)",
        "dry_run": "Say which files would be written and write nothing",
    },
)
def new_component(c, name, template_id="", dry_run=False):
    """Add the UI Component components/NAME/ (and package.json, cdk.config.json if missing)."""
    try:
        if dry_run:
            files = list(ui_components.plan(ROOT, name, template_id))
        else:
            files = ui_components.add(ROOT, name, template_id)
    except ui_components.ComponentError as error:
        raise Exit(f"ERROR: {error}") from None
    print(("Would write " if dry_run else "Wrote ") + ", ".join(files))
    if not dry_run:
        print(
            f"Next: invoke setup (installs the Node packages), then invoke serve --component "
            f"{name}; set its template ID in workspace.json (ui_components) before deploying"
        )


@task(help={"strict": "Exit 1 when a tool is not ready (for CI and before deploying)"})
def tools(c, strict=False):
    """List the tools IXON's AI agent would see and, for any that is not ready, why."""
    env = _environment()
    arguments = ["-m", "devkit.tools"]
    if strict:
        arguments.append("--strict")
    _run(env, *arguments)
