"""Refuse bad answers before cookiecutter writes a single file.

Cookiecutter renders this file, so the answers arrive as JSON inside a raw string literal:
no answer can break the Python or run as code. The checks are plain functions, imported and
tested by the template's own tests.
"""

from __future__ import annotations

import json
import re
import sys

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
COMPANY_ID = re.compile(r"\d{4}(?:-\d{4}){4}")
TEMPLATE_ID = re.compile(r"[A-Za-z0-9]{12}")
#: A UI Component's name becomes part of a custom element tag (`app-<name>`).
UI_COMPONENT = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
MAX_UI_COMPONENT = 40
#: Names the component SDK uses for its own folders (kept in step with
#: ixon_devkit/ui/components.py).
UI_COMPONENT_TAKEN = frozenset(
    {"dist", "node-modules", "components", "simulator", "runner", "core"}
)
VERSION = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
PACKAGE_VERSION = re.compile(r"\d+(?:\.\d+){0,3}(?:(?:a|b|rc|\.post|\.dev)\d+)?")
PYTHON_VERSION = re.compile(r"3\.\d{1,2}")
FREE_TEXT = ("function_name", "description", "author")
#: The licenses the workspace's LICENSE file can be written for.
LICENSES = ("MIT", "Apache-2.0", "Proprietary")
MAX_SLUG = 64


def _invalid(field: str, value: str, expected: str) -> str:
    return f"{field} {json.dumps(value, ensure_ascii=False)} is not valid: expected {expected}"


def check(answers: dict[str, str]) -> list[str]:
    """Every problem with the answers, one message each; empty when all is well."""
    problems = []
    slug = answers.get("function_slug", "")
    if not SLUG.fullmatch(slug) or len(slug) > MAX_SLUG:
        problems.append(
            _invalid(
                "function_slug",
                slug,
                f"a folder name of lower-case letters and digits joined by '-' "
                f"(at most {MAX_SLUG} characters), like my-cloud-function",
            )
        )
    company_id = answers.get("company_id", "")
    if company_id and not COMPANY_ID.fullmatch(company_id):
        problems.append(
            _invalid(
                "company_id",
                company_id,
                "five groups of four digits like 7966-5700-7008-0957-0300, or empty to fill "
                "in later",
            )
        )
    template_id = answers.get("template_id", "")
    if template_id and not TEMPLATE_ID.fullmatch(template_id):
        problems.append(
            _invalid(
                "template_id",
                template_id,
                "12 letters or digits like RHQa2MEa0Dxg, or empty to fill in later",
            )
        )
    problems += check_ui_component(answers)
    if answers.get("license", "MIT") not in LICENSES:
        problems.append(_invalid("license", answers.get("license", ""), " or ".join(LICENSES)))
    version = answers.get("version", "")
    if not VERSION.fullmatch(version):
        problems.append(_invalid("version", version, "MAJOR.MINOR.PATCH like 0.1.0"))
    ingress = answers.get("ixoncdkingress_version", "")
    if not PACKAGE_VERSION.fullmatch(ingress) or not ingress.startswith("1."):
        # The workspace's tooling and examples use ixoncdkingress 1.x (agentic tools and all).
        problems.append(_invalid("ixoncdkingress_version", ingress, "a 1.x release like 1.0.0"))
    python = answers.get("python_version", "")
    if not PYTHON_VERSION.fullmatch(python):
        problems.append(_invalid("python_version", python, "MAJOR.MINOR like 3.12"))
    elif python != "3.12":
        problems.append(
            _invalid("python_version", python, "3.12, the only Python ixoncdkingress 1.x runs on")
        )
    for field in FREE_TEXT:
        value = answers.get(field, "")
        if field == "function_name" and not value.strip():
            problems.append(_invalid(field, value, "a name that is not empty"))
        elif any(ord(character) < 32 for character in value):
            problems.append(_invalid(field, value, "a single line without control characters"))
    return problems


def check_ui_component(answers: dict[str, str]) -> list[str]:
    """Problems with the first UI Component's name and its page-component-template ID."""
    problems = []
    name = answers.get("ui_component", "")
    template_id = answers.get("ui_component_template_id", "")
    if name in UI_COMPONENT_TAKEN:
        problems.append(_invalid("ui_component", name, "a name the SDK does not use itself"))
    elif name and (not UI_COMPONENT.fullmatch(name) or len(name) > MAX_UI_COMPONENT):
        problems.append(
            _invalid(
                "ui_component",
                name,
                "lower-case letters, digits and dashes, starting with a letter "
                f"(at most {MAX_UI_COMPONENT} characters), like status-panel, or empty for none",
            )
        )
    if template_id and not name:
        problems.append(
            _invalid(
                "ui_component_template_id",
                template_id,
                "empty when ui_component is empty (there is no UI Component to deploy to it)",
            )
        )
    elif template_id and not TEMPLATE_ID.fullmatch(template_id):
        problems.append(
            _invalid(
                "ui_component_template_id",
                template_id,
                "12 letters or digits like PcT0000000A1, or empty to fill in later",
            )
        )
    return problems


def main(raw_answers: str) -> int:
    """Print one `ERROR:` line per problem and return 1, or return 0 when all is well."""
    problems = check(json.loads(raw_answers))
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(r"""{{ cookiecutter | tojson }}"""))
