"""Jinja extensions of this template; cookiecutter (and cruft) load them by `_extensions`.

Standard library and Jinja only: it runs inside cookiecutter while the template renders.
`cruft update` renders the workspace's old template and the new one in one process, so the old
release's `local_extensions` is the one imported for both: an extension added later lives in a
module of its own (`wheel_extension.py`), and this one's classes keep their names and meaning.
"""

from __future__ import annotations

import os

from jinja2 import Environment
from jinja2.ext import Extension


class TemplateFolder(Extension):
    """`{{ template_folder() }}`: the template's own folder, absolute.

    Cookiecutter renders a hook while working in the template's folder, so the current folder
    at that moment is the template, however it was given (`.`, a relative path, a cached
    clone). The post-generation hook records it for cruft without relying on the shell's
    `PWD`, which cmd.exe and PowerShell do not set.
    """

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.globals["template_folder"] = os.getcwd
