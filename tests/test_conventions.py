"""What users expect of a project beyond its code: a license, `.editorconfig`, files that pass
pre-commit's basic hooks, and Dependabot or Renovate configuration that the ecosystems' own
schemas accept. In-process bakes; check-jsonschema's vendored schemas need no network."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from cookiecutter.environment import StrictEnvironment
from test_ci import check_jsonschema
from test_hooks import post_gen

from conftest import SHARED_VENV, TEMPLATE, bake, invoke

#: Files pre-commit's end-of-file-fixer and trailing-whitespace hooks would leave alone.
BINARY = {".png", ".ico", ".zip"}
#: Folders git keeps out of every commit, so the hooks never see them: the tooling's wheel in
#: `.devkit/wheels/` (a bake from a checkout of the template) among them.
IGNORED = {".git", ".devkit"}


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with every optional file: GitHub CI, the Dev Container, a UI Component."""
    return bake(
        tmp_path_factory.mktemp("all"), ci="github", devcontainer="yes", ui_component="gauge"
    )


@pytest.mark.parametrize(
    ("license_", "first_line"),
    [
        ("MIT", "MIT License"),
        ("Apache-2.0", "Copyright {year} Ada O'Brien"),
        ("Proprietary", "Copyright (c) {year} Ada O'Brien. All rights reserved."),
    ],
)
def test_the_license_answer_writes_the_license(license_, first_line):
    """The workspace's LICENSE, rendered as cookiecutter renders it (its own Jinja environment,
    with the `now` tag); test_bake.py bakes the default one."""
    answers = {"license": license_, "author": "Ada O'Brien"}
    environment = StrictEnvironment(context={"cookiecutter": answers}, keep_trailing_newline=True)
    template = (TEMPLATE / "{{cookiecutter.function_slug}}" / "LICENSE").read_text()
    text = environment.from_string(template).render(cookiecutter=answers)
    year = datetime.now(UTC).year

    assert text.splitlines()[0] == first_line.format(year=year)
    assert f"{year} Ada O'Brien" in text
    assert ("Apache License" in text) == (license_ == "Apache-2.0")
    assert ("Permission is hereby granted" in text) == (license_ == "MIT")
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_the_template_has_a_license_and_both_an_editorconfig():
    assert (TEMPLATE / "LICENSE").read_text().startswith("MIT License")
    template = (TEMPLATE / ".editorconfig").read_text()
    assert "root = true" in template
    assert (TEMPLATE / "{{cookiecutter.function_slug}}" / ".editorconfig").read_text() == template


def test_every_generated_text_file_passes_the_basic_hooks(everything):
    """What trailing-whitespace (markdown line breaks kept), end-of-file-fixer and
    check-added-large-files check; test_bake.py parses the YAML, JSON and TOML."""
    problems = []
    for path in sorted(everything.rglob("*")):
        if not path.is_file() or path.suffix in BINARY or IGNORED.intersection(path.parts):
            continue
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(everything).as_posix()
        if path.stat().st_size > 500 * 1024:  # check-added-large-files' default limit
            problems.append(f"{name}: larger than 500 KB")
        if (text and not text.endswith("\n")) or text.endswith("\n\n"):
            problems.append(f"{name}: the end of the file")
        for number, line in enumerate(text.splitlines(), start=1):
            if line != line.rstrip() and not (path.suffix == ".md" and line.endswith("  ")):
                problems.append(f"{name}:{number}: trailing whitespace")
    assert problems == []
    assert (everything / "LICENSE").read_text().startswith("MIT License")


def test_dependabot_groups_each_kind_into_one_pull_request(everything):
    path = everything / ".github" / "dependabot.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))

    result = check_jsonschema("vendor.dependabot", path)
    assert result.returncode == 0, result.stdout + result.stderr
    kinds = {update["package-ecosystem"]: update for update in config["updates"]}
    assert set(kinds) == {"pip", "github-actions", "npm"}
    for update in kinds.values():
        (group,) = update["groups"].values()
        assert group["patterns"] == ["*"]


def test_renovate_on_gitlab_compiles_the_locks_again():
    """renovate.json has no Jinja: the template's file is the one checked; the hook keeps it
    for GitLab only."""
    path = TEMPLATE / "{{cookiecutter.function_slug}}" / "renovate.json"

    result = check_jsonschema("vendor.renovate", path)
    assert result.returncode == 0, result.stdout + result.stderr
    config = json.loads(path.read_text())
    assert config["pip_requirements"] == {"enabled": False}  # the locks are not hand-edited
    assert config["pip-compile"]["managerFilePatterns"]
    assert "{{" not in path.read_text()
    assert "renovate.json" in post_gen.OPTIONAL_FILES[("ci", "gitlab")]


def test_typecheck_names_a_type_error_and_passes_the_examples(workspace):
    """`invoke typecheck` (mypy, optional): the examples as baked are typed cleanly, so the
    only error is the one written here."""
    (workspace / "functions" / "typed.py").write_text(
        "def double(number: int) -> int:\n    return str(number * 2)\n"
    )

    # mypy's cache beside the shared environment: only the first run of a checkout is cold.
    cache = str(SHARED_VENV.parent / "mypy-cache")
    result = invoke(workspace, "typecheck", check=False, MYPY_CACHE_DIR=cache)

    assert result.returncode == 1
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert errors and all(line.startswith("functions/typed.py:2:") for line in errors), errors
    assert "ERROR: mypy found type errors (listed above)" in result.stderr
