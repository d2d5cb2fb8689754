"""`invoke call --remote NAME`: call the deployed function as the deploy target's company.

Through IXON's `BackendComponentFunctionCall` (IXON's OpenAPI description 0.1.294: POST
`/backend-component-function-call` with `{"template": {"publicId"}, "name", "arguments"}`,
answered 201 with `data.value`, the function's result), by the deploy's client
(`ixon_devkit.cloud.remote`). The result is printed as a local `invoke call` prints it: its JSON on
stdout; a function that is not there (ixoncdkingress's "Not found, function ..." answer) is a
failure, as it is locally. A call may change things, so it is never sent twice: when it went
out without a whole answer, the one line says so (exit code 3).

`invoke deploy --smoke NAME` makes the same call right after the upload (`smoke`).
Runs in the workspace's environment:
`python -m ixon_devkit.cloud.remote_call example.greet --arg name=Ada [--target NAME]`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ixon_devkit.cloud import remote
from ixon_devkit.errors import UserError, main_wrapper
from ixon_devkit.serve import call
from ixon_devkit.workspace import masking, root

ROOT = root.find()
CHECK = "see whether it ran in the function's logs (`invoke logs`) before calling again"


def call_remote(api: remote.Remote, name: str, arguments: dict[str, Any]) -> Any:
    """The deployed function's result; CallError (one line) when IXON or the function fails."""
    payload = {"template": {"publicId": api.template_id}, "name": name, "arguments": arguments}
    data = api.send(
        "POST",
        remote.FUNCTION_CALL,
        json.dumps(payload).encode("utf-8"),
        what=f"call of {name} in the {api.where()}",
        check=CHECK,
        once=True,
    )
    if not isinstance(data, dict) or "value" not in data:
        raise call.CallError(
            masking.mask(
                f"IXON answered the call of {name} without data.value ({str(data)[:200]}): "
                "check the function's logs (`invoke logs`)",
                api.config.token.reveal(),
            )
        )
    return call.check_result(data["value"], name)


def smoke(api: remote.Remote, name: str, arguments: dict[str, Any]) -> tuple[str, bool]:
    """The line `invoke deploy --smoke` reports (the answer, or why there is none), and
    whether the call failed."""
    secret = api.config.token.reveal()
    try:
        value = call_remote(api, name, arguments)
    except UserError as error:
        return masking.mask(f"smoke call {name} FAILED: {error}", secret), True
    shown = json.dumps(value, ensure_ascii=False)
    if len(shown) > 300:
        shown = shown[:300] + "..."
    return masking.mask(f"smoke call {name} answered {shown}", secret), False


def smoke_arguments(options: Any) -> tuple[tuple[str, Any], ...]:
    """The `--smoke-arg` arguments of `invoke deploy`, checked against its other flags."""
    if options.smoke_arg and not options.smoke:
        raise call.InputError("--smoke-arg gives arguments to --smoke NAME: add --smoke")
    if options.smoke and (options.ui_only or options.component):
        raise call.InputError(
            "--smoke calls the Cloud Function, which --ui-only and --component do not deploy"
        )
    return tuple(call.parse_arguments(options.smoke_arg, "").items())


def smoke_after_deploy(
    config: Any, client: Any, summary: Any, name: str, arguments: tuple[tuple[str, Any], ...]
) -> None:
    """`invoke deploy --smoke NAME`: call NAME through IXON after the upload, into `summary`."""
    if not name:
        return
    if not any(item.what.startswith("Cloud Function") for item in summary.shipped):
        summary.smoke = f"smoke call {name} skipped: no Cloud Function was uploaded"
    elif summary.provisioning:
        summary.smoke = (
            f"smoke call {name} skipped: IXON prepares the company first (up to two business "
            f"days); then `invoke call --remote {name}`"
        )
    else:
        summary.smoke, summary.smoke_failed = smoke(
            remote.Remote(config, client), name, dict(arguments)
        )


def raise_if_smoke_failed(summary: Any) -> None:
    """One line (after the summary) when the deploy's smoke call failed."""
    if summary.smoke_failed:
        raise call.CallError(
            f"the upload went out and is recorded, but the {summary.smoke}: see `invoke logs`"
        )


@main_wrapper
def main(argv: list[str] | None = None) -> int:
    """`python -m ixon_devkit.cloud.remote_call NAME [--arg k=v] [--json ...] [--target NAME]`."""
    parser = argparse.ArgumentParser(
        prog="invoke call --remote", description=__doc__.split("\n")[0]
    )
    parser.add_argument("name", help="module.function, for example example.greet")
    parser.add_argument("--arg", action="append", default=[], help="key=value (repeatable)")
    parser.add_argument("--json", default="", help="arguments as a JSON object")
    parser.add_argument("--target", default="")
    options = parser.parse_args(argv)
    if not options.name or options.name.startswith("-"):
        raise call.InputError("give the function first: invoke call --remote example.greet")
    arguments = call.parse_arguments(options.arg, options.json)
    with remote.connected(ROOT, options.target) as api:
        print(f"(calling the deployed {api.where()} through IXON)", file=sys.stderr, flush=True)
        result = call_remote(api, options.name, arguments)
        secret = api.config.token.reveal()
        call.print_result(result, lambda text: masking.mask(text, secret))
    return 0


if __name__ == "__main__":
    sys.exit(main())
