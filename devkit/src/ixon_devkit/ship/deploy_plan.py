"""`invoke deploy`'s plan: everything that sends nothing, in this order.

The template's examples, still as baked, are refused first unless `--keep-examples`
(`check_examples`); then `make_plan` returns a `Plan`:
1. the settings are loaded and checked (no request is made with a bad one; a dry run uses
   stand-ins for those it lacks, `dry_run_settings`);
2. the release rules: a version already deployed to the same template is refused (`invoke bump`
   first) unless forced; a dirty tree or a `v<version>` tag that is not at HEAD draws a warning;
3. the workspace's tests and lint run (unless skipped, which is said loudly: `run_checks`);
4. the bundle is built (`ixon_devkit.ship.bundle`), with its own checks.

`Plan.describe` says what would be sent where (the dry run prints it). The execution is
`ixon_devkit.ship.deploy_upload`'s, the whole deploy `ixon_devkit.ship.deploy`'s.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ixon_devkit.cloud import api_transport, ixon_api
from ixon_devkit.errors import UserError
from ixon_devkit.ship import bundle as bundling
from ixon_devkit.ship import check_runs, targets
from ixon_devkit.ship import deploy_record as deployments
from ixon_devkit.ui import ui_deploy
from ixon_devkit.workspace import examples, masking, settings, workspace_file
from ixon_devkit.workspace import lint as linting
from ixon_devkit.workspace.git import GitState, git_state


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


def print_warning(text: str) -> None:
    """A warning of the deploy, on stderr."""
    print(text, file=sys.stderr, flush=True)


def print_line(text: str) -> None:
    """A line of the deploy, on stdout."""
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
        raise DeployError(mask_token(root, str(error))) from None


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
    print_line(
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
            text = mask_token(root, str(error))
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


def mask_token(root: Path, text: str) -> str:
    """`text` with the access token masked: a message may quote a setting that holds it by
    mistake (the token pasted as IXON_API_COMPANY_ID, say)."""
    token = settings.find_token(root)
    return masking.mask(text, token.reveal()) if token is not None else text


def run_checks(root: Path) -> None:
    """Tests, lint and the agentic tools, as their own tasks check them, before a deploy."""
    from ixon_devkit.workspace import tools  # noqa: PLC0415 - imports the functions, so only here

    for line in tools.deploy_warnings(root, sys.executable):
        print_warning(f"WARNING: {line}")
    code = subprocess.run([sys.executable, "-m", "pytest", "-q"], cwd=root).returncode
    # Recorded, so `invoke doctor` knows the tests ran on the code this deploy ships.
    check_runs.record_test_run(root, code, by="invoke deploy")
    if code == check_runs.NO_TESTS:
        print_warning(f"WARNING: {check_runs.NO_TESTS_WARNING}")
    elif code != 0:
        raise DeployError(check_runs.failed_check("pytest -q"))
    lint_against_baseline(root)


def lint_against_baseline(root: Path) -> None:
    """`ruff check` and `ruff format --check`, failing only on findings that
    lint-baseline.txt does not list."""
    result = linting.check(sys.executable, root)
    for line in result.describe():
        print_warning(line)
    if result.new:
        raise DeployError(linting.new_findings_refusal(result.new))
