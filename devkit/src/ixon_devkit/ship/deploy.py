"""`invoke deploy`: first a plan, then its execution.

`make_plan` does everything that sends nothing, in this order, and returns a `Plan` (the
template's examples, still as baked, are refused before it unless `--keep-examples`):
1. the settings are loaded and checked (no request is made with a bad one);
2. the release rules: a version already deployed to the same template is refused (`invoke bump`
   first) unless forced; a dirty tree or a `v<version>` tag that is not at HEAD draws a warning;
3. the workspace's tests and lint run (unless skipped, which is said loudly);
4. the bundle is built (`ixon_devkit.ship.bundle`), with its own checks.

`--dry-run` prints the plan (`Plan.describe`: what would be sent where). `execute` carries it
out: one deploy of a version to a template at a time (`deploy_record.one_upload`), the release
rule checked again under that lock, discovery, the upload recorded as pending, the upload
through IXON's API v2 (`ixon_devkit.cloud.ixon_api`), then the record settled
(`ixon_devkit.ship.deploy_record`): a deploy killed at any point loses no upload IXON took. A deploy
from a clean git tree commits the record at the end (`deploy_record.commit_record`).

With UI Components, their part (`ixon_devkit.ui.ui_deploy`) joins both phases: every
component's template ID and manifest version is checked and each is built before anything is
sent; after the function's upload (none with --ui-only or --component) each is uploaded to its
page-component template, recorded and, with --publish, published.

The deploy ends with one summary (`ixon_devkit.ship.deploy_summary`): what went where, what was
skipped, and the next steps in the IXON portal with the API access names to grant.

Every failure is a DeployError with one line; the access token is masked in all of them.
Runs in the workspace's environment: `python -m ixon_devkit.ship.deploy`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ixon_devkit.cloud import api_access, api_transport, ixon_api, remote_call
from ixon_devkit.errors import UserError, main_wrapper
from ixon_devkit.ship import bundle as bundling
from ixon_devkit.ship import check_runs, deploy_summary, targets
from ixon_devkit.ship import deploy_record as deployments
from ixon_devkit.ui import ui_deploy
from ixon_devkit.workspace import examples, files, root, settings, workspace_file
from ixon_devkit.workspace import lint as linting
from ixon_devkit.workspace.git import GitState, git_state

ROOT = root.find()


class DeployError(UserError):
    """A deploy that did not happen (or may not have); the message says why and what to do."""


@dataclass(frozen=True)
class Options:
    """The flags of `invoke deploy`."""

    dry_run: bool = False
    skip_checks: bool = False
    force: bool = False
    verbose: bool = False
    keep_examples: bool = False
    functions_only: bool = False
    ui_only: bool = False
    component: str = ""
    publish: bool = False
    #: The deploy target of workspace.json ("": the default one).
    target: str = ""
    #: A function to call through IXON right after the upload, and its arguments.
    smoke: str = ""
    smoke_arguments: tuple[tuple[str, str], ...] = ()

    @property
    def function(self) -> bool:
        """Whether the Cloud Function is deployed (not with --ui-only or --component)."""
        return not (self.ui_only or self.component)


@dataclass(frozen=True)
class Plan:
    """A deploy worked out before anything is sent: where, what, and under which rules."""

    root: Path
    options: Options
    settings: settings.DeploySettings
    version: str
    again: bool
    git: GitState
    bundle: bundling.Bundle

    def describe(self) -> list[str]:
        """The settings, then what the deploy would send where, the token masked (the dry run
        prints this)."""
        config = self.settings
        built = self.bundle
        template = config.template_id.value
        return [
            *(f"  {line}" for line in config.describe()),
            "A deploy would:",
            f"  upload version {self.version} to template {template} "
            + ("AGAIN (--force)" if self.again else "(not deployed there before)"),
            f"  GET  {config.base_url.value}  (Api-Version: {config.api_version.value}) for the "
            "discovery document",
            f"  POST the {ixon_api.UPLOAD_LINK} link, {{publicId}} = {config.template_id.value}, "
            f"with {built.path.name} ({built.size:,} bytes, sha256 {built.sha256})",
            f"       Api-Version: {config.api_version.value}, Api-Application: "
            f"{config.application_id.value}, Api-Company: {config.company_id.value}, "
            "Authorization: Bearer ********, Content-Type: application/zip",
            f"       (only to {api_transport.show_origin(config.base_url.value)}, the origin of "
            f"{config.base_url.name}; each request within {config.deadline:g} s)",
            f"  record version {self.version} in {deployments.RECORD_NAME}",
        ]


@dataclass(frozen=True)
class Deployed:
    """A deploy that IXON took."""

    plan: Plan
    result: ixon_api.UploadResult
    entry: dict


def _warn(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _say(text: str) -> None:
    print(text, flush=True)


def check_examples(root: Path, options: Options, echo: Callable[[str], None]) -> list[str]:
    """Refuse the template's examples, still as baked, unless `--keep-examples`; the examples
    shipped on purpose."""
    shipped = examples.state(root).shipped()
    if shipped and not options.keep_examples:
        raise DeployError(examples.refusal(shipped))
    if shipped:
        echo(
            "Deploying the template's examples on purpose (--keep-examples): " + ", ".join(shipped)
        )
    return shipped


def skipped(options: Options, kept_examples: list[str]) -> list[str]:
    """What this deploy leaves out or lets through on purpose, for its summary."""
    notes = []
    if options.skip_checks:
        notes.append("the tests and lint (--skip-checks)")
    if not options.function:
        notes.append("the Cloud Function (--ui-only or --component)")
    if options.functions_only:
        notes.append("the UI Components (--functions-only)")
    if kept_examples:
        notes.append(
            "the refusal of the template's examples (--keep-examples): " + ", ".join(kept_examples)
        )
    return notes


def deploy(
    root: Path,
    options: Options,
    *,
    run_checks: Callable[[], None],
    echo: Callable[[str], None] = _say,
    warn: Callable[[str], None] = _warn,
    client: Callable[[settings.DeploySettings], ixon_api.Client] | None = None,
) -> bundling.Bundle | None:
    """Deploy the workspace at `root`; the function's uploaded (or, in a dry run, built)
    bundle, None when only UI Components were deployed."""
    root = root.resolve()
    kept = check_examples(root, options, echo) if options.function else []
    if options.dry_run:
        config, missing = dry_run_settings(
            root, warn, function=options.function, target=options.target
        )
    else:
        config = load_settings(root, warn, function=options.function, target=options.target)
        missing = []
    summary = deploy_summary.Summary(config.company_id.value, skipped=skipped(options, kept))
    clean = options.dry_run or deployments.clean_tree(root)
    try:
        components = ui_targets(root, options, warn)
        if options.function:
            plan: Plan | None = make_plan(
                root, options, config, run_checks=run_checks, echo=echo, warn=warn
            )
        else:
            plan = None
            checks(options, run_checks, echo, warn)
        ui_plan = ui_deploy.build(root, components, config, echo=echo)
        if options.dry_run:
            show_dry_run(plan, ui_plan, config, publish=options.publish, missing=missing, echo=echo)
            return plan.bundle if plan else None
        if options.verbose:
            for line in config.describe():
                echo(f"  {line}")
        make_client = client or (
            lambda config: ixon_api.Client(config, echo=echo, verbose=options.verbose)
        )
        with make_client(config) as api:
            ship(
                root,
                config,
                api,
                summary,
                plan=plan,
                ui_plan=ui_plan,
                publish=options.publish,
                echo=echo,
            )
            remote_call.smoke_after_deploy(
                config, api, summary, options.smoke, options.smoke_arguments
            )
        summary.record = _record_in_git(root, summary, clean=clean)
        for line in summary.lines():
            echo(line)
        remote_call.raise_if_smoke_failed(summary)
        return plan.bundle if plan else None
    except UserError as error:
        if summary.shipped and not summary.smoke_failed:  # a later step failed: what went out
            summary.record = _record_in_git(root, summary, clean=clean)
            for line in summary.lines(stopped=True):
                echo(line)
        raise DeployError(config.token.mask(str(error)), exit_code=error.exit_code) from None
    except (OSError, ValueError, UnicodeError) as error:
        # Anything unforeseen still ends as one line, and never with the token in it.
        raise DeployError(
            config.token.mask(f"deploy failed: {type(error).__name__}: {error}")
        ) from None


def ship(
    root: Path,
    config: settings.DeploySettings,
    api: ixon_api.Client,
    summary: deploy_summary.Summary,
    *,
    plan: Plan | None,
    ui_plan: list[ui_deploy.Built],
    publish: bool,
    echo: Callable[[str], None],
) -> None:
    """Upload the planned function, then each UI Component, noting each in `summary`."""
    if plan is not None:
        deployed = execute(plan, api, echo=echo)
        summary.shipped.append(
            deploy_summary.Shipped(
                f"Cloud Function {plan.bundle.slug}",
                plan.version,
                plan.settings.template_id.value,
                plan.bundle.sha256,
            )
        )
        summary.provisioning = deployed.result.company_to_be_provisioned
        summary.grants = api_access.granted_names(root)
    if ui_plan:
        state = git_state(root)
        ui_deploy.ship(
            root,
            ui_plan,
            config,
            api,
            publish=publish,
            commit=state.commit,
            dirty=state.dirty,
            echo=echo,
            shipped=summary.shipped,
        )


def _record_in_git(root: Path, summary: deploy_summary.Summary, *, clean: bool) -> str:
    """Commit the record of what went out (`deploy_record.commit_after_deploy`): the line
    the summary ends with."""
    shipped = [f"{item.what} {item.version}" for item in summary.shipped]
    return deployments.commit_after_deploy(root, shipped, clean=clean)


# -- the plan: everything that sends nothing ---------------------------------------------------


def load_settings(
    root: Path, warn: Callable[[str], None], *, function: bool = True, target: str = ""
) -> settings.DeploySettings:
    """The checked settings (of deploy target `target`, else the default one); a DeployError
    (the token masked) when one is not usable. Without the function (`function=False`) its
    template ID may be unset."""
    try:
        return settings.load(root, warn=warn, function=function, target=target)
    except settings.SettingsError as error:
        raise DeployError(_mask_token(root, str(error))) from None


#: Stand-ins a dry run uses for settings it lacks, so that it can show the whole plan (it
#: sends nothing); each is shaped as the setting must be.
DRY_RUN_STAND_INS = {
    settings.ACCESS_TOKEN: ("access token", "DryRunStandIn0NoTokenWasFound000"),
    settings.COMPANY_ID: (settings.COMPANY_ID, "0000-0000-0000-0000-0000"),
    settings.TEMPLATE_ID: (settings.TEMPLATE_ID, "NotSetDryRun"),
}


def without_function(root: Path, options: Options) -> Options:
    """The options for a workspace of UI Components without a Cloud Function: the UI part
    alone (said once), as --ui-only does."""
    if not options.function or not bundling.ui_only(root):
        return options
    if options.functions_only:
        raise DeployError(
            "--functions-only, but the workspace has no Cloud Function (nothing in functions/ "
            "is marked @FunctionContext.expose): drop --functions-only to deploy the UI"
        )
    _say(
        "No Cloud Function (nothing in functions/ is marked @FunctionContext.expose): "
        "deploying the UI Components alone"
    )
    return replace(options, ui_only=True)


def dry_run_settings(
    root: Path, warn: Callable[[str], None], *, function: bool = True, target: str = ""
) -> tuple[settings.DeploySettings, list[str]]:
    """The settings for a dry run: a missing or malformed access token, company ID or
    template ID is replaced by a stand-in (marked as such); the lines saying what is missing."""
    environ = dict(os.environ)
    missing: list[str] = []
    replaced: set[str] = set()
    while True:
        try:
            config = settings.load(root, environ, warn=warn, function=function, target=target)
            break
        except settings.SettingsError as error:
            text = _mask_token(root, str(error))
            name = next(
                (
                    name
                    for name, (words, _value) in DRY_RUN_STAND_INS.items()
                    if words in text and name not in replaced
                ),
                None,
            )
            if name is None:
                raise DeployError(text) from None
            missing.append(text)
            replaced.add(name)
            environ[name] = DRY_RUN_STAND_INS[name][1]
    marked = "MISSING: a stand-in for the dry run"
    if settings.ACCESS_TOKEN in replaced:
        config = replace(config, token=settings.Token(config.token.reveal(), marked))
    for key, name in (("company_id", settings.COMPANY_ID), ("template_id", settings.TEMPLATE_ID)):
        if name in replaced:
            config = replace(config, **{key: replace(getattr(config, key), source=marked)})
    return config, missing


def show_dry_run(
    plan: Plan | None,
    ui_plan: list[ui_deploy.Built],
    config: settings.DeploySettings,
    *,
    publish: bool,
    missing: list[str],
    echo: Callable[[str], None],
) -> None:
    """What a deploy would send where, and what a real one still lacks."""
    echo("Dry run: nothing was sent.")
    for line in plan.describe() if plan else []:
        echo(line)
    for line in ui_deploy.describe(ui_plan, config, publish=publish):
        echo(line)
    for line in missing:
        echo(f"MISSING for a real deploy (the dry run used a stand-in): {line}")


def ui_targets(root: Path, options: Options, warn: Callable[[str], None]) -> list[ui_deploy.Target]:
    """The UI Components to deploy, each checked (template ID, version not yet deployed)."""
    if options.functions_only:
        return []
    names = [options.component] if options.component else []
    chosen = targets.choose(workspace_file.read(root), options.target)
    found = ui_deploy.targets(
        root, names, force=options.force, warn=warn, template_ids=chosen.ui_template_ids
    )
    if options.ui_only and not found:
        raise DeployError(
            "--ui-only, but the workspace has no UI Components "
            "(`invoke new-component NAME` adds one)"
        )
    if options.publish and not found:
        raise DeployError("--publish publishes UI Components, and none is being deployed")
    return found


def make_plan(
    root: Path,
    options: Options,
    config: settings.DeploySettings,
    *,
    run_checks: Callable[[], None],
    echo: Callable[[str], None],
    warn: Callable[[str], None],
) -> Plan:
    """Check the release rules, run the checks and build the bundle: the Plan, nothing sent."""
    version = bundling.read_version(root)
    again = check_not_deployed(root, version, config, options, warn)
    state = git_warnings(root, version, warn)
    checks(options, run_checks, echo, warn)
    built = bundling.build(root, secrets=[config.token.reveal()])
    for line in built.describe(root):
        echo(line)
    return Plan(root, options, config, version, again, state, built)


def check_not_deployed(
    root: Path,
    version: str,
    config: settings.DeploySettings,
    options: Options,
    warn: Callable[[str], None],
    *,
    pending: bool = False,
) -> bool:
    """IXON's rule: a new version for every deploy; --force overrides it, loudly. Whether this
    is the version's second upload to the template. An upload left pending counts only with
    `pending` (under `one_upload`: outside it, it may be a running deploy's)."""
    template = config.template_id.value
    company = config.company_id.value
    if not deployments.was_deployed(root, version, template, company, pending=pending):
        return False
    where = f"{template} (target {config.target})" if config.target else template
    pending_entry = deployments.unsettled(root, version, template, company) if pending else None
    if not options.force:
        raise DeployError(
            deployments.pending_refusal(pending_entry)
            if pending_entry
            else deployments.repeat_refusal(version, where)
        )
    shows = (
        "shows an upload there that was never settled (IXON may have it)"
        if pending_entry
        else "shows it was deployed there before"
    )
    warn(
        f"WARNING: --force: uploading version {version} again to template {where}, "
        f"although {deployments.RECORD_NAME} {shows}"
    )
    return True


def git_warnings(root: Path, version: str, warn: Callable[[str], None]) -> GitState:
    """The git state to record; a warning for a dirty tree or a tag not at HEAD."""
    state = git_state(root, version)
    if state.commit is not None:
        if state.dirty:
            warn(
                "WARNING: the git tree has uncommitted changes: the upload will hold code that "
                "no commit has; commit first to keep deploys traceable"
            )
        if not state.tag_at_head:
            warn(
                f"WARNING: tag v{version} does not point at HEAD: `invoke bump` tags each "
                "release, so this upload may not be the code released as " + version
            )
    return state


def checks(
    options: Options,
    run_checks: Callable[[], None],
    echo: Callable[[str], None],
    warn: Callable[[str], None],
) -> None:
    """The workspace's tests and lint, unless skipped (which is said loudly)."""
    if options.skip_checks:
        warn("WARNING: --skip-checks: NOT running the tests and lint before deploying")
    else:
        echo("Running the tests and lint before deploying (skip with --skip-checks)")
        run_checks()


# -- the execution -----------------------------------------------------------------------------


def execute(plan: Plan, client: ixon_api.Client, *, echo: Callable[[str], None] = _say) -> Deployed:
    """Upload the planned bundle and record it: one deploy of a version at a time."""
    config = plan.settings
    template = config.template_id.value
    root = plan.root

    def waiting() -> None:
        echo(f"Waiting for another deploy of {plan.version} to template {template} to finish")

    def plan_warnings(line: str) -> None:
        if not plan.again:  # the plan said its --force warning already
            _warn(line)

    try:
        with deployments.one_upload(root, plan.version, template, waiting=waiting):
            # Checked again: a deploy of the same version may have finished while we planned.
            # Any upload left pending now is a stopped deploy's: the running ones hold the lock.
            check_not_deployed(
                root, plan.version, config, plan.options, warn=plan_warnings, pending=True
            )
            echo(f"Asking {config.base_url.value} where uploads go (discovery)")
            url = client.discover_upload_url()
            built = plan.bundle
            echo(f"Uploading {built.path.name} ({built.size:,} bytes) to {url}")
            result, entry = _upload_recorded(plan, client, url)
    except files.LockBusyError as error:
        raise DeployError(f"{error} (nothing was sent)") from None
    if result.company_to_be_provisioned:
        echo(ixon_api.PROVISIONING_MESSAGE)
    aimed = f" (target {config.target})" if config.target else ""
    echo(
        f"Deployed {plan.bundle.slug} {plan.version} to template {template} of company "
        f"{config.company_id.value}{aimed} (HTTP {result.status}, sha256 "
        f"{plan.bundle.sha256[:12]}): "
        f"recorded in {deployments.RECORD_NAME} at {entry['time']}"
    )
    return Deployed(plan, result, entry)


def _upload_recorded(
    plan: Plan, client: ixon_api.Client, url: str
) -> tuple[ixon_api.UploadResult, dict]:
    """Record the upload as pending, send it, then settle the record (or drop it when IXON
    refused the upload); killed anywhere in between, the pending entry stays."""
    name = deployments.RECORD_NAME
    archive = plan.bundle.path.read_bytes()
    result, pending = deployments.send_on_record(
        plan.root,
        lambda: client.upload(url, archive),
        uncertain=(ixon_api.UncertainRequestError,),
        version=plan.version,
        template_id=plan.settings.template_id.value,
        company_id=plan.settings.company_id.value,
        sha256=plan.bundle.sha256,
        commit=plan.git.commit,
        dirty=plan.git.dirty,
        component=None,
        target=plan.settings.target,
    )
    try:
        entry = deployments.settle(
            plan.root, pending, provisioning=result.company_to_be_provisioned
        )
    except (UserError, OSError) as error:
        raise DeployError(
            f"IXON took the upload of {plan.version} (HTTP {result.status}), but settling it "
            f'in {name} failed ({error}): delete the line "{deployments.PENDING_KEY}": true '
            "of its entry by hand so the next deploy knows this version is out"
        ) from None
    return result, entry


def _mask_token(root: Path, text: str) -> str:
    """`text` with the access token masked: a message may quote a setting that holds it by
    mistake (the token pasted as IXON_API_COMPANY_ID, say)."""
    token = settings.find_token(root)
    return token.mask(text) if token is not None else text


def run_checks(root: Path) -> None:
    """Tests, lint and the agentic tools, as their own tasks check them, before a deploy."""
    from ixon_devkit.workspace import tools  # noqa: PLC0415 - imports the functions, so only here

    for line in tools.deploy_warnings(root, sys.executable):
        _warn(f"WARNING: {line}")
    code = subprocess.run([sys.executable, "-m", "pytest", "-q"], cwd=root).returncode
    # Recorded, so `invoke doctor` knows the tests ran on the code this deploy ships.
    check_runs.record_test_run(root, code, by="invoke deploy")
    if code == check_runs.NO_TESTS:
        _warn(f"WARNING: {check_runs.NO_TESTS_WARNING}")
    elif code != 0:
        raise DeployError(check_runs.failed_check("pytest -q"))
    lint_against_baseline(root)


def lint_against_baseline(root: Path) -> None:
    """`ruff check` and `ruff format --check`, failing only on findings that
    lint-baseline.txt does not list."""
    result = linting.check(sys.executable, root)
    for line in result.describe():
        _warn(line)
    if result.new:
        raise DeployError(linting.new_findings_refusal(result.new))


@main_wrapper
def main(argv: list[str] | None = None) -> int:
    """`python -m ixon_devkit.ship.deploy [--dry-run] ...`, as `invoke deploy` runs it."""
    parser = argparse.ArgumentParser(prog="invoke deploy", description=__doc__.splitlines()[0])
    for flag in (
        "--dry-run",
        "--skip-checks",
        "--force",
        "--verbose",
        "--functions-only",
        "--ui-only",
        "--publish",
        "--keep-examples",
    ):
        parser.add_argument(flag, action="store_true")
    parser.add_argument("--component", default="")
    parser.add_argument("--target", default="")
    parser.add_argument("--smoke", default="")
    parser.add_argument("--smoke-arg", action="append", default=[])
    options = parser.parse_args(argv)
    smoke_arguments = remote_call.smoke_arguments(options)
    if options.functions_only and (options.ui_only or options.component or options.publish):
        raise DeployError(
            "--functions-only deploys no UI Component: drop --ui-only, --component and --publish"
        )
    root = ROOT
    deploy(
        root,
        without_function(
            root,
            Options(
                dry_run=options.dry_run,
                skip_checks=options.skip_checks,
                force=options.force,
                verbose=options.verbose,
                keep_examples=options.keep_examples,
                functions_only=options.functions_only,
                ui_only=options.ui_only,
                component=options.component,
                publish=options.publish,
                target=options.target,
                smoke=options.smoke,
                smoke_arguments=smoke_arguments,
            ),
        ),
        run_checks=lambda: run_checks(root),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
