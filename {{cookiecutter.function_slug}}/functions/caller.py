"""Who is calling: the user, company, asset and agent IXON Cloud sends with every call.

Call it as `caller.whoami`. A UI Component on a device page sends the asset or agent too.
"""

from __future__ import annotations

from typing import Any

from ixoncdkingress.function.context import FunctionContext

from functions import helpers


@FunctionContext.expose
def whoami(context: FunctionContext) -> dict[str, Any]:
    """The calling user, company, asset and agent, with custom properties and permissions."""
    return {
        "user": helpers.describe(context.user),
        "company": helpers.describe(context.company),
        "asset": helpers.describe(context.asset),
        "agent": helpers.describe(context.agent),
    }


@FunctionContext.expose
def can(context: FunctionContext, permission: str) -> bool:
    """Whether the calling company grants `permission` (for example `COMPANY_ADMIN`)."""
    company = context.company
    return bool(company and company.permissions and permission in company.permissions)
