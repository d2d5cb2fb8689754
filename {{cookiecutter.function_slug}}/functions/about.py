"""Which version of this Cloud Function runs: ask it with `about.version`.

The version comes from `functions/_version.py`, which `invoke bump` keeps equal to `VERSION`
and which the bundle carries, so the answer is the version that was deployed.
"""

from __future__ import annotations

from ixoncdkingress.function.context import FunctionContext

from functions import _version


@FunctionContext.expose
def version(context: FunctionContext) -> str:
    """The version of this Cloud Function (MAJOR.MINOR.PATCH), as released with `invoke bump`."""
    return _version.__version__
