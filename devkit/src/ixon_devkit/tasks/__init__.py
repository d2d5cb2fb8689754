"""The workspace's tasks, as an invoke Collection that the workspace's `tasks.py` imports.

The tasks are grouped by what they work on in the modules beside this one; the workspace's
`tasks.py` is the user's. Every task runs in the workspace's environment (the workspace's
`bootstrap.py` sees to it); those that run the user's code (test, serve, call, deploy, ...)
first bring the environment in step with its locks, then run a `python -m ixon_devkit.PART.X`
entry point there. Every user-facing error is a `ixon_devkit.errors.UserError`, turned into
one `ERROR:` line and an exit code by `user_task` alone (`ixon_devkit.tasks.common`).
"""

from __future__ import annotations

from invoke import Collection

from ixon_devkit.tasks.code import audit, format_, lint, lock, setup, test, typecheck
from ixon_devkit.tasks.common import user_task
from ixon_devkit.tasks.manual import docs
from ixon_devkit.tasks.remote import config_, logs, status
from ixon_devkit.tasks.serve import call, serve
from ixon_devkit.tasks.ship import (
    api_access,
    bump,
    bundle,
    component_calls_,
    deploy,
    login_,
    logout,
    version_,
)
from ixon_devkit.tasks.workspace import (
    adopt,
    doctor,
    new,
    new_component,
    remove_examples,
    rewrite_imports,
    tools,
    upgrade,
)

__all__ = ["namespace", "user_task"]

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
    docs,
    upgrade,
)
namespace.add_task(api_access)
namespace.add_task(component_calls_)
namespace.add_task(login_)
namespace.add_task(logout)
namespace.add_task(status)
namespace.add_task(logs)
namespace.add_task(config_)
