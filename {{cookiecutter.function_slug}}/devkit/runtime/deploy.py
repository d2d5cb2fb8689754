"""`invoke deploy`: settings, release rules, checks, bundle, upload, record; in that order.

1. The settings are loaded and checked (no request is made with a bad one).
2. A version already deployed to the same template is refused (`invoke bump` first) unless
   forced; a dirty tree or a `v<version>` tag that is not at HEAD draws a warning.
3. The workspace's tests and lint run (unless skipped, which is said loudly).
4. The bundle is built (`devkit.host.bundle`), with its own checks.
5. A dry run stops here and prints what would be sent where; otherwise the bundle is uploaded
   through IXON's API v2 (`devkit.runtime.ixon_api`) and the deploy is recorded
   (`devkit.host.deploy_record`).

Every failure is a DeployError with one line; the access token is masked in all of them.
Runs in the workspace's environment: `python -m devkit.runtime.deploy`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from devkit.errors import UserError, main_wrapper
from devkit.host import bundle as bundling
from devkit.host import deploy_record as deployments
from devkit.host import settings
from devkit.runtime import ixon_api, ui_deploy

ROOT = Path(__file__).resolve().parents[2]


class DeployError(UserError):
    """A deploy that did not happen (or may not have); the message says why and what to do."""


@dataclass(frozen=True)
class Options:
    """The flags of `invoke deploy`."""

    dry_run: bool = False
    skip_checks: bool = False
    force: bool = False
    verbose: bool = False
    functions_only: bool = False
    ui_only: bool = False
    component: str = ""
    publish: bool = False

    @property
    def function(self) -> bool:
        """Whether the Cloud Function is deployed (not with --ui-only or --component)."""
        return not (self.ui_only or self.component)


def _warn(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _say(text: str) -> None:
    print(text, flush=True)


def deploy(
    root: Path,
    options: Options,
    *,
    run_checks: Callable[[], None],
    echo: Callable[[str], None] = _say,
    warn: Callable[[str], None] = _warn,
) -> bundling.Bundle | None:
    """Deploy the workspace at `root`; the function's uploaded (or, in a dry run, built)
    bundle, None when only UI Components were deployed."""
    root = root.resolve()
    try:
        config = settings.load(root, warn=warn)
    except settings.SettingsError as error:
        raise DeployError(_mask_token(root, str(error))) from None
    token = config.token
    try:
        chosen: list[ui_deploy.Target] = []
        if not options.functions_only:
            # Every component's template ID and version is checked before anything is sent.
            names = [options.component] if options.component else []
            chosen = ui_deploy.targets(root, names, force=options.force, warn=warn)
            if options.ui_only and not chosen:
                raise DeployError(
                    "--ui-only, but the workspace has no UI Components "
                    "(`invoke new-component NAME` adds one)"
                )
        if options.publish and not chosen:
            raise DeployError("--publish publishes UI Components, and none is being deployed")
        built = None
        if options.function:
            built = _deploy(root, options, config, run_checks=run_checks, echo=echo, warn=warn)
        elif not options.skip_checks:
            echo("Running the tests and lint before deploying (skip with --skip-checks)")
            run_checks()
        if chosen:
            state = deployments.git_state(root)
            client = ixon_api.Client(config, echo=echo, verbose=options.verbose)
            ui_deploy.deploy(
                root,
                chosen,
                config,
                client,
                publish_versions=options.publish,
                dry_run=options.dry_run,
                commit=state.commit,
                dirty=state.dirty,
                echo=echo,
            )
        return built
    except DeployError as error:
        raise DeployError(token.mask(str(error))) from None
    except UserError as error:
        raise DeployError(token.mask(str(error)), exit_code=error.exit_code) from None
    except (OSError, ValueError, UnicodeError) as error:
        # Anything unforeseen still ends as one line, and never with the token in it.
        raise DeployError(token.mask(f"deploy failed: {type(error).__name__}: {error}")) from None


def _mask_token(root: Path, text: str) -> str:
    """`text` with the access token masked: a message may quote a setting that holds it by
    mistake (the token pasted as IXON_API_COMPANY_ID, say)."""
    try:
        token = settings.load_token(root, warn=lambda _line: None)
    except settings.SettingsError:
        return text
    return token.mask(text)


def _deploy(
    root: Path,
    options: Options,
    config: settings.DeploySettings,
    *,
    run_checks: Callable[[], None],
    echo: Callable[[str], None],
    warn: Callable[[str], None],
) -> bundling.Bundle:
    version = bundling.read_version(root)
    template = config.template_id
    if deployments.was_deployed(root, version, template.value):
        if not options.force:
            raise DeployError(
                f"version {version} was already deployed to template {template.value} (see "
                f"{deployments.RECORD_NAME}): IXON requires a new version for every deployment; "
                "run `invoke bump` first (or --force to upload it again)"
            )
        warn(
            f"WARNING: --force: uploading version {version} again to template {template.value}, "
            f"although {deployments.RECORD_NAME} shows it was deployed there before"
        )
    state = deployments.git_state(root, version)
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
    if options.skip_checks:
        warn("WARNING: --skip-checks: NOT running the tests and lint before deploying")
    else:
        echo("Running the tests and lint before deploying (skip with --skip-checks)")
        run_checks()
    built = bundling.build(root, secrets=[config.token.reveal()])
    for line in built.describe(root):
        echo(line)
    client = ixon_api.Client(config, echo=echo, verbose=options.verbose)
    if options.verbose or options.dry_run:
        for line in config.describe():
            echo(f"  {line}")
    if options.dry_run:
        _show_plan(config, built, echo)
        return built
    echo(f"Asking {config.base_url.value} where uploads go (discovery)")
    url = client.discover_upload_url()
    echo(f"Uploading {built.path.name} ({built.size:,} bytes) to {url}")
    result = client.upload(url, built.path.read_bytes())
    entry = deployments.record(
        root,
        version=version,
        template_id=template.value,
        company_id=config.company_id.value,
        sha256=built.sha256,
        commit=state.commit,
        dirty=state.dirty,
    )
    if result.company_to_be_provisioned:
        echo(ixon_api.PROVISIONING_MESSAGE)
    echo(
        f"Deployed {built.slug} {version} to template {template.value} of company "
        f"{config.company_id.value} (HTTP {result.status}, sha256 {built.sha256[:12]}): "
        f"recorded in {deployments.RECORD_NAME} at {entry['time']}"
    )
    return built


def _show_plan(
    config: settings.DeploySettings, built: bundling.Bundle, echo: Callable[[str], None]
) -> None:
    base = config.base_url.value
    echo("Dry run: nothing was sent. A deploy would:")
    echo(f"  GET  {base}  (Api-Version: {config.api_version.value}) for the discovery document")
    echo(
        f"  POST the {ixon_api.UPLOAD_LINK} link, {{publicId}} = {config.template_id.value}, "
        f"with {built.path.name} ({built.size:,} bytes, sha256 {built.sha256})"
    )
    echo(
        f"       Api-Version: {config.api_version.value}, Api-Application: "
        f"{config.application_id.value}, Api-Company: {config.company_id.value}, "
        "Authorization: Bearer ********, Content-Type: application/zip"
    )


def run_checks(root: Path) -> None:
    """Tests, lint and the agentic tools, as their own tasks check them, before a deploy."""
    from devkit.runtime import tools  # noqa: PLC0415 - imports the functions, so only here

    for line in tools.deploy_warnings(root, sys.executable):
        _warn(f"WARNING: {line}")
    for arguments in (
        ("-m", "pytest", "-q"),
        ("-m", "ruff", "check", "."),
        ("-m", "ruff", "format", "--check", "."),
    ):
        if subprocess.run([sys.executable, *arguments], cwd=root).returncode != 0:
            raise DeployError(
                f"`{' '.join(arguments[1:])}` failed, so nothing was deployed: fix what "
                "it reports (or, at your own risk, deploy with --skip-checks)"
            )


@main_wrapper
def main(argv: list[str] | None = None) -> int:
    """`python -m devkit.runtime.deploy [--dry-run] ...`, as `invoke deploy` runs it."""
    parser = argparse.ArgumentParser(prog="invoke deploy", description=__doc__.splitlines()[0])
    for flag in (
        "--dry-run",
        "--skip-checks",
        "--force",
        "--verbose",
        "--functions-only",
        "--ui-only",
        "--publish",
    ):
        parser.add_argument(flag, action="store_true")
    parser.add_argument("--component", default="")
    options = parser.parse_args(argv)
    if options.functions_only and (options.ui_only or options.component or options.publish):
        raise DeployError(
            "--functions-only deploys no UI Component: drop --ui-only, --component and --publish"
        )
    root = ROOT
    deploy(
        root,
        Options(
            dry_run=options.dry_run,
            skip_checks=options.skip_checks,
            force=options.force,
            verbose=options.verbose,
            functions_only=options.functions_only,
            ui_only=options.ui_only,
            component=options.component,
            publish=options.publish,
        ),
        run_checks=lambda: run_checks(root),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
