"""`invoke deploy`: first a plan, then its execution.

The plan (`ixon_devkit.ship.deploy_plan`) does everything that sends nothing: the template's
examples refused unless `--keep-examples`, the settings checked, the release rules, the tests
and lint, the bundle built. `--dry-run` prints it (`Plan.describe`: what would be sent where).
The execution (`ixon_devkit.ship.deploy_upload`) uploads the function under the record's lock
and settles the record (`ixon_devkit.ship.deploy_record`): a deploy killed at any point loses no
upload IXON took. A deploy from a clean git tree commits the record at the end
(`deploy_record.commit_record`).

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
import sys
from collections.abc import Callable
from pathlib import Path

from ixon_devkit.cloud import ixon_api, remote_call
from ixon_devkit.errors import UserError, main_wrapper
from ixon_devkit.ship import bundle as bundling
from ixon_devkit.ship import deploy_record as deployments
from ixon_devkit.ship import deploy_summary
from ixon_devkit.ship.deploy_plan import (
    DeployError,
    Options,
    Plan,
    check_examples,
    checks,
    dry_run_settings,
    load_settings,
    make_plan,
    print_line,
    print_warning,
    run_checks,
    show_dry_run,
    skipped,
    ui_targets,
    without_function,
)
from ixon_devkit.ship.deploy_upload import record_in_git, ship
from ixon_devkit.ui import ui_deploy
from ixon_devkit.workspace import masking, root, settings

ROOT = root.find()


def deploy(
    root: Path,
    options: Options,
    *,
    run_checks: Callable[[], None],
    echo: Callable[[str], None] = print_line,
    warn: Callable[[str], None] = print_warning,
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
        summary.record = record_in_git(root, summary, clean=clean)
        for line in summary.lines():
            echo(line)
        remote_call.raise_if_smoke_failed(summary)
        return plan.bundle if plan else None
    except UserError as error:
        if summary.shipped and not summary.smoke_failed:  # a later step failed: what went out
            summary.record = record_in_git(root, summary, clean=clean)
            for line in summary.lines(stopped=True):
                echo(line)
        secret = config.token.reveal()
        raise DeployError(masking.mask(str(error), secret), exit_code=error.exit_code) from None
    except (OSError, ValueError, UnicodeError) as error:
        # Anything unforeseen still ends as one line, and never with the token in it.
        raise DeployError(
            masking.mask(f"deploy failed: {type(error).__name__}: {error}", config.token.reveal())
        ) from None


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
