"""Mails about service work, queued in the document store."""

from __future__ import annotations

from typing import Any

from ixoncdkingress.function.context import FunctionContext


@FunctionContext.expose
def send_email(context: FunctionContext, to: str, subject: str) -> dict[str, Any]:
    """Queue a mail to `to` from the configured sender."""
    mail = {"kind": "mail", "to": to, "subject": subject, "from": context.config["mail_from"]}
    context.document_db_client.insert_one(dict(mail))
    return {"queued": True, **mail}
