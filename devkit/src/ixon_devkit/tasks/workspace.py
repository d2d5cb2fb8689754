"""The tasks that change or examine the workspace itself: new, new-component, tools, doctor,
adopt, remove-examples, rewrite-imports and upgrade (`ixon_devkit.tasks` gathers every task).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ixon_devkit.errors import UserError
from ixon_devkit.tasks.common import (
    ROOT,
    adopting,
    component_calls,
    doctor_targets,
    doctoring,
    ensure_environment,
    examples,
    import_world,
    run_in_environment,
    scaffold,
    ui_components,
    user_task,
)
from ixon_devkit.workspace import environment, legacy


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
            print(
                "Next: invoke test -k objectstorage; invoke docs functions: Object Storage says "
                "what IXON calls"
            )
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
    run_in_environment("-m", "ixon_devkit.workspace.tools", *(["--strict"] if strict else []))


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
            command = [str(env.python), "-m", "ixon_devkit.doctor.doctor_online"]
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
    followed; the end says what is left to do (invoke docs adopting). Running it again never
    replaces what you changed without --force. Asks about the examples unless told.
    """
    if path in ("-h", "--help"):  # invoke reads a flag after the task as the PATH
        subprocess.run([sys.executable, "-m", "invoke", "--help", "adopt"], cwd=ROOT, check=False)
        return
    if remove_examples and keep_examples:
        raise adopting.AdoptError("give --remove-examples or --keep-examples, not both")
    if not remove_examples and not keep_examples and examples.state(ROOT).unchanged:
        remove_examples = _ask_about_examples()
    env = environment.environment_for(ROOT)
    if not dry_run and adopting.has_function(Path(path)):
        # As `invoke setup` makes it: uv to lock the merged requirements (put in by pip when
        # PATH has none), ruff for the adopted code's findings, the runtime's module names.
        try:
            env = ensure_environment()
        except UserError as error:  # adopt goes on, and says what it could not do
            warning = f"WARNING: the workspace's environment could not be set up: {error}"
            print(warning, file=sys.stderr)
    python = env.python if env.python.exists() else None
    modules = import_world.runtime_modules(python, ROOT) if python else ()
    options = adopting.Options(
        remove_examples=remove_examples,
        force=force,
        dry_run=dry_run,
        rewrite_imports=not keep_old_imports,
    )
    plan = adopting.adopt(ROOT, Path(path), options, modules, python)
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
    """Remove the template's example functions and tests that are still as baked.

    Names the UI Components that still call the functions it removes.
    """
    calls = _component_calls()
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
    note = calls and component_calls.removal_note(
        calls, component_calls.report(ROOT, without=state.unchanged), dry_run=dry_run
    )
    if note:
        print(note)


def _component_calls():
    """The UI Components' calls as they are, or None (no usable cdk.config.json: the UI
    Component steps of `invoke doctor` say what is wrong)."""
    try:
        return component_calls.report(ROOT)
    except ui_components.ComponentError:
        return None


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


@user_task
def upgrade(c):
    """Finish moving this workspace from an older template release, after `cruft update`.

    Carries your tasks into the new tasks.py, your requirements into requirements*.in, pins
    ixon-devkit, locks again and removes what is left of devkit/ and cruft's .rej files it took
    over. Where tasks.py does not load, `python3 -m bootstrap upgrade` runs the same.
    """
    import ixon_devkit  # noqa: PLC0415
    from ixon_devkit.tasks import namespace  # noqa: PLC0415 (it imports this module)
    from ixon_devkit.workspace import upgrade as upgrading  # noqa: PLC0415

    lines = upgrading.upgrade(
        ROOT,
        version=ixon_devkit.__version__,
        workspace_tasks=set(namespace.tasks),
        relock=environment.lock_workspace,
    )
    for line in lines:
        print(line)
