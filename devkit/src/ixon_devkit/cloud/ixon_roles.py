"""What IXON asks of the account that deploys, with where each fact comes from.

- A Cloud Function: the user needs the role **Platform administrator** in the company (IXON's
  process for Cloud Functions, as its onboarding notes give it).
- A UI Component: the user needs a role with the **Develop apps** permission (IXON's
  documentation for UI Components).
- Roles are defined per company: a role is `{publicId, name, permissions: [{publicId}]}`
  (RoleList, IXON's OpenAPI description 0.1.294). A user's access is a list of memberships
  `{publicId, user, group, role}` (UserMembershipList); the company-wide membership is the one
  whose group has `isCompanyGroup: true` (GroupList). The company itself is read through
  `MyCompany`, the user through `MyUser` (`/users/me`), each with a `fields` selection.
- IXON's documentation does not say which permission publicId "Develop apps" is, nor whether
  a company may rename Platform administrator: where that matters, the workspace says it cannot
  tell rather than guessing.

Standard library only: `invoke doctor` and the deploy messages both read it.
"""

from __future__ import annotations

#: The role IXON's process asks for to deploy a Cloud Function.
FUNCTION_ROLE = "Platform administrator"
#: The permission IXON's UI Component documentation asks for to deploy a UI Component.
UI_PERMISSION = "Develop apps"

FUNCTION_SOURCE = "IXON's process for Cloud Functions"
UI_SOURCE = "IXON's documentation for UI Components"


def function_need() -> str:
    """What deploying a Cloud Function needs, with its source."""
    return f"deploying a Cloud Function needs the {FUNCTION_ROLE} role ({FUNCTION_SOURCE})"


def ui_need() -> str:
    """What deploying a UI Component needs, with its source."""
    return (
        f'deploying a UI Component needs a role with the "{UI_PERMISSION}" permission ({UI_SOURCE})'
    )
