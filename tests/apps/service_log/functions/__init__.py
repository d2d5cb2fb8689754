"""Service log. A call named only `send_email` reaches the function re-exported here."""

# A bare import: ixoncdkingress puts the functions folder first on sys.path.
from mailer import send_email

__all__ = ["send_email"]
