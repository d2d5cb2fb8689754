"""Tasks of this workspace: `invoke --list` lists them.

The workspace's own tasks (setup, test, serve, deploy, ...) come from `devkit.tasks`, which
the template owns. This file is yours: add your own tasks below and they join the list.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from devkit.tasks import namespace, user_task  # noqa: E402, F401

# Your own tasks: define them with @user_task (invoke's @task that also turns the workspace's
# errors into one ERROR: line) and add them to the namespace, for example:
#
#     @user_task
#     def hello(c):
#         """Say hello."""
#         print("hello")
#
#     namespace.add_task(hello)

ns = namespace
