"""Tasks of this workspace: `invoke --list` lists them, `invoke docs` shows the manual.

The workspace's tasks (setup, test, serve, deploy, ...) come from the tooling package that
requirements-dev.in pins (ixon-devkit); bootstrap.py runs them in the workspace's environment,
setting it up first when needed. This file is yours: add your own tasks below.
"""

import bootstrap

bootstrap.enter(__file__)

from ixon_devkit.tasks import namespace, user_task  # noqa: E402, F401

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
