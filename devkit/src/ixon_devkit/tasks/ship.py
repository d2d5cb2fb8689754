"""The tasks that ship: bundle, deploy, version, bump, api-access, component-calls, login and
logout
(`ixon_devkit.tasks` gathers every task).
"""

from __future__ import annotations

import sys

from ixon_devkit.tasks.common import (
    ROOT,
    CommandError,
    api_names,
    bundling,
    component_calls,
    ensure_environment,
    examples,
    import_world,
    login,
    run_in_environment,
    token_file,
    ui_bundle,
    user_task,
    versioning,
)


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
    iterable=["smoke_arg"],
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
        "ignore_component_calls": "Deploy even when UI Components call functions that "
        "functions/ does not serve",
        "target": 'The deploy target of workspace.json "targets" (default: "default_target")',
        "smoke": "After the upload, call this function through IXON; its answer ends the summary",
        "smoke_arg": "An argument of the --smoke call as key=value; repeat for more",
    },
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
    ignore_component_calls=False,
    target="",
    smoke="",
    smoke_arg=None,
):
    """Test, lint, bundle and upload the function and the UI Components; record the deploy.

    Settings: IXON_API_COMPANY_ID and IXON_API_TEMPLATE_ID from the environment, .env or
    workspace.json; the token from IXON_API_ACCESS_TOKEN or .accesstoken; each UI Component's
    template ID from workspace.json or IXON_UI_TEMPLATE_ID_<NAME> (invoke docs deploying); with
    named targets in workspace.json, those of --target (else the default one). Refuses a
    Cloud Function whose code calls IXON API names not in "api_access" of workspace.json,
    and UI Components that call functions that functions/ does not serve.
    """
    _warn(token_file.warning(ROOT))
    if not (ui_only or component or bundling.ui_only(ROOT)):  # the Cloud Function goes too
        api_names.check_before_deploy(ROOT, skip=ignore_api_access, warn=_warn)
    # Either half breaks the calls: components that call a name, or a function without it.
    component_calls.check_before_deploy(
        ROOT, [component] if component else None, skip=ignore_component_calls, warn=_warn
    )
    if smoke:
        _check_smoke_name(smoke)
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
    arguments += ["--smoke", smoke] if smoke else []
    for item in smoke_arg or []:
        arguments += ["--smoke-arg", item]
    run_in_environment("-m", "ixon_devkit.ship.deploy", *arguments)


def _check_smoke_name(name: str) -> None:
    """Refuse, before anything is uploaded, a --smoke call of a name that functions/ does not
    serve (it would only end in IXON's "Not found" after the upload)."""
    from ixon_devkit.serve import served  # noqa: PLC0415 - only with --smoke

    found = served.read(ROOT)
    if found.serves(name):
        return
    nearest = found.closest(name)
    hint = f": did you mean {nearest[0]}?" if nearest else ""
    raise CommandError(
        f"--smoke {name}: no function of functions/ serves that name{hint} "
        "(`invoke component-calls` lists what is served); nothing was uploaded"
    )


def _warn(line: str | None) -> None:
    if line:
        print(line, file=sys.stderr, flush=True)


TRUST_HELP = {
    "trust_base_url": "Send to this IXON_API_BASE_URL although it is neither IXON's nor loopback"
}


@user_task(name="login", help=TRUST_HELP)
def login_(c, trust_base_url=""):
    """Log in to IXON: asks for e-mail, password (and one-time password); writes .accesstoken.

    Gets a 30-day access token from IXON's API as IXON's `cdk login` does, stores it readable
    by you only and says who is logged in until when; never shows the password or the token.
    Without a terminal it reads the e-mail address, the password and, when IXON asks for it,
    the one-time password from lines of standard input. CI sets IXON_API_ACCESS_TOKEN instead.
    A base URL that is neither IXON's nor this machine's is asked about on a terminal and
    refused without one, unless --trust-base-url names it.
    """
    logged_in = login.log_in(
        ROOT, login.default_ask(), trust=trust_base_url, confirm=login.default_confirm()
    )
    print("\n".join(login.describe(logged_in)))


@user_task(help=TRUST_HELP)
def logout(c, trust_base_url=""):
    """Log out of IXON: revoke the token of .accesstoken at IXON, then remove the file.

    When IXON cannot be reached or does not revoke it, the file is kept (the token still
    works) and the error says so; run it again later. A base URL that is neither IXON's nor
    this machine's is asked about (refused without a terminal) unless --trust-base-url names it.
    """
    print(login.log_out(ROOT, trust=trust_base_url, confirm=login.default_confirm()).message)


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
        run_in_environment("-m", "ixon_devkit.cloud.names_refresh")
    print("\n".join(api_names.describe(api_names.report(ROOT), ROOT)))


@user_task(name="component-calls")
def component_calls_(c):
    """Show the function names each UI Component calls beside what functions/ serves.

    Names come from the components' sources (client.call('module.function', ...) and helper
    functions that pass a name on to the client); a name no exposed function serves gets the
    closest served names. `invoke doctor` and `invoke deploy` refuse those.
    """
    print("\n".join(component_calls.describe(component_calls.report(ROOT))))


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
