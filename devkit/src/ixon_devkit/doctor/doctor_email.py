"""`invoke doctor --email`: the e-mails to IXON support this workspace needs, filled in.

A Cloud Function template (and page-component templates for new UI Components) when the
workspace has none, and the authorisation of the IXON API names the code calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ixon_devkit.cloud import api_access
from ixon_devkit.doctor.doctor_sources import Sources, read_sources, ui_components
from ixon_devkit.workspace import ids, settings


def email_requests(root: Path, environ: Mapping[str, str] | None = None) -> str:
    """The e-mail to IXON support requesting a Cloud Function template, filled in from the
    workspace; and, when the code calls IXON API endpoints, the one asking to authorise them."""
    root = root.resolve()
    sources = read_sources(root, environ)
    function_name = str(sources.workspace.get("function_name") or "") or "[the function's name]"
    company = sources.lookup(settings.COMPANY_ID)
    company_id = (
        company.value
        if company and ids.COMPANY_ID.fullmatch(company.value)
        else "[company ID: IXON portal, Settings > Company]"
    )
    company_name = str(sources.workspace.get("company_name") or "") or (
        "[company name: `invoke doctor --online` shows it]"
    )
    template = sources.lookup(settings.TEMPLATE_ID)
    template_id = template.value if template else ""
    lines = []
    if not template_id:
        lines += [
            f"Subject: Cloud Function template for {function_name}",
            "",
            "Hello IXON support,",
            "",
            "Please create a Cloud Function template for our company, so that we can deploy our",
            "Cloud Function with IXON's API.",
            "",
            f"- Company name: {company_name}",
            f"- Company ID: {company_id}",
            f"- Cloud Function name: {function_name}",
            *_component_lines(sources),
            "",
            "Please send us the Cloud Function's template ID"
            + (
                " and the page-component-template ID of each new UI Component."
                if _new_components(sources)
                else "."
            ),
            "",
            "Kind regards,",
            "[your name]",
        ]
    elif _new_components(sources):
        lines += [
            f"Subject: UI Component templates for {function_name}",
            "",
            "Hello IXON support,",
            "",
            "Please create page-component templates for the new UI Components of our Cloud",
            "Function, so that we can deploy them with IXON's API.",
            "",
            f"- Company name: {company_name}",
            f"- Company ID: {company_id}",
            f"- Cloud Function name: {function_name}",
            f"- Cloud Function template ID: {template_id}",
            *_component_lines(sources),
            "",
            "Please send us the page-component-template ID of each new UI Component.",
            "",
            "Kind regards,",
            "[your name]",
        ]
    used = api_access.used_names(root)
    if used:
        if lines:
            lines += ["", "-" * 72, ""]
        lines += [
            f"Subject: API access for the Cloud Function {function_name}",
            "",
            "Hello IXON support,",
            "",
            "Our Cloud Function calls these IXON API endpoints (discovery names); please",
            "authorise them for it:",
            "",
            *[f"- {used_name}" for used_name in used],
            "",
            f"- Company name: {company_name}",
            f"- Company ID: {company_id}",
            f"- Cloud Function name: {function_name}",
            f"- Cloud Function template ID: {template_id or '[the template ID, once we have it]'}",
            "",
            "Kind regards,",
            "[your name]",
        ]
    if not lines:
        lines = [
            f"Nothing to ask IXON: the Cloud Function has its template ID ({template_id}), "
            "every UI Component has one, and the code calls no IXON API endpoint."
        ]
    return "\n".join(lines)


def _component_lines(sources: Sources) -> list[str]:
    components = ui_components(sources)
    if not components:
        return [
            "- UI Components to link: [the name of each, whether it is used on a main page, "
            "and its page-component-template ID if it has one]"
        ]
    lines = ["- UI Components to link:"]
    for name, entry in sorted(components.items()):
        main_page = entry.get("main_page")
        used_on = (
            "[used on a main page: yes or no]"
            if not isinstance(main_page, bool)
            else ("used on a main page" if main_page else "not used on a main page")
        )
        template_id = str(entry.get("template_id") or "")
        known = (
            f"page-component-template {template_id}"
            if template_id
            else "new: please create its page-component-template"
        )
        lines.append(f"  - {name}: {used_on}; {known}")
    return lines


def _new_components(sources: Sources) -> bool:
    components = ui_components(sources)
    return any(not str(entry.get("template_id") or "") for entry in components.values())
