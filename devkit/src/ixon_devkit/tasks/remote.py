"""The tasks about the deployed Cloud Function: status, logs, config (`ixon_devkit.tasks` gathers
every task; `invoke call --remote` and `invoke deploy --smoke` are flags of call and deploy).

Each runs a `python -m ixon_devkit.PART.X` entry point in the workspace's environment, which asks
IXON's API through the deploy's client (`ixon_devkit.cloud.remote`).
"""

from __future__ import annotations

from ixon_devkit.tasks.common import CommandError, run_in_environment, user_task

TARGET_HELP = 'The deploy target of workspace.json "targets" (default: "default_target")'


def _target(target: str) -> list[str]:
    return ["--target", target] if target else []


@user_task(
    help={
        "target": 'One deploy target of workspace.json "targets" (default: every target)',
        "verbose": "Show every request and answer (the token masked)",
    }
)
def status(c, target="", verbose=False):
    """Show what IXON runs for each deploy target beside VERSION and deployments.json.

    IXON's versions of the Cloud Function (which local version is IXON's number N, which is
    the draft, the published one, the one configured for the company), whether the company's
    configuration is enabled, and the API access IXON granted (accessTokenScope) beside
    "api_access": the names the code calls that IXON has not granted.
    """
    run_in_environment(
        "-m", "ixon_devkit.cloud.status", *_target(target), *(["--verbose"] if verbose else [])
    )


@user_task(
    help={
        "target": TARGET_HELP,
        "level": "Only entries at this level or above: debug, info, warning, error, critical",
        "function": "Only entries of this function (module.function)",
        "grep": "Only entries holding this text (case-insensitive)",
    }
)
def logs(c, target="", level="", function="", grep=""):
    """Show the deployed function's logs from IXON, newest last (IXON keeps about 48 hours).

    Entries in a form it cannot read are shown as IXON sent them, marked "?", and counted.
    """
    arguments = [*_target(target)]
    for flag, value in (("--level", level), ("--function", function), ("--grep", grep)):
        if value:
            arguments += [flag, value]
    run_in_environment("-m", "ixon_devkit.cloud.logs", *arguments)


@user_task(
    name="config",
    help={
        "action": "pull (IXON -> the file) or push (the file -> IXON)",
        "target": TARGET_HELP,
        "yes": "push without asking (CI); the difference is shown all the same",
    },
)
def config_(c, action, target="", yes=False):
    """Pull the company's configuration values of the deployed function into a file, or push it.

    The file has the shape of context_values.yaml: company_config.yaml (per named target
    company_config.<target>.yaml); a secret configuration goes to .devkit/ (ignored by git)
    instead. push shows the difference and asks first (--yes for CI).
    """
    if action not in ("pull", "push"):
        raise CommandError(
            f"invoke config takes pull or push, not {action!r}: give it first, then options; "
            "invoke --help config lists them"
        )
    arguments = [action, *_target(target), *(["--yes"] if yes else [])]
    run_in_environment("-m", "ixon_devkit.cloud.remote_config", *arguments)
