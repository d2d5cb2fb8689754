"""The hooks as plain Python: the answer checks and the finishing steps, without baking."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

from conftest import TEMPLATE


def load_hook(name: str):
    spec = importlib.util.spec_from_file_location(name, TEMPLATE / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pre_gen = load_hook("pre_gen_project")
post_gen = load_hook("post_gen_project")

GOOD = {
    "function_name": "My Cloud Function",
    "function_slug": "my-cloud-function",
    "description": "Demo",
    "author": "Ada",
    "company_id": "7966-5700-7008-0957-0300",
    "template_id": "RHQa2MEa0Dxg",
    "version": "0.1.0",
    "ixoncdkingress_version": "1.0.0",
    "python_version": "3.12",
}


def test_good_answers_pass():
    assert pre_gen.check(GOOD) == []


def test_ids_may_be_left_empty():
    assert pre_gen.check({**GOOD, "company_id": "", "template_id": ""}) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("function_slug", "../evil"),
        ("function_slug", "a/b"),
        ("function_slug", "has space"),
        ("function_slug", "Upper"),
        ("function_slug", ""),
        ("function_slug", "-leading"),
        ("function_slug", "x" * 65),
        ("company_id", "1234"),
        ("company_id", "7966-5700-7008-0957-030a"),
        ("company_id", "79665700700809570300"),
        ("template_id", "RHQa2MEa0Dx"),
        ("template_id", "RHQa2MEa0Dx!"),
        ("template_id", "RHQa2MEa0Dxg1"),
        ("version", "1.0"),
        ("version", "v1.0.0"),
        ("version", "01.0.0"),
        ("version", "1.0.0-beta"),
        ("ixoncdkingress_version", "latest"),
        ("ixoncdkingress_version", "0.0.20"),
        ("ixoncdkingress_version", "2.0.0"),
        ("python_version", "three"),
        ("python_version", "3.11"),
        ("function_name", "   "),
        ("author", "two\nlines"),
        ("license", "GPL-3.0"),
    ],
)
def test_bad_answers_are_refused_naming_the_field(field, value):
    problems = pre_gen.check({**GOOD, field: value})

    assert len(problems) == 1
    assert problems[0].startswith(f"{field} ")
    assert "expected" in problems[0]


def test_main_prints_one_error_line_and_fails(capsys):
    assert pre_gen.main(json.dumps({**GOOD, "version": "1"})) == 1

    error = capsys.readouterr().err.strip()
    assert error.splitlines() == [error]
    assert error.startswith('ERROR: version "1" is not valid')


def test_free_text_with_quotes_and_backslashes_passes():
    answers = {**GOOD, "function_name": 'Zoë O\'Brien "Q" \\', "author": 'Zoë O\'Brien "Q" \\'}

    assert pre_gen.check(answers) == []


def test_unchosen_options_are_removed(tmp_path):
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".gitlab-ci.yml").write_text("x")
    (tmp_path / ".devcontainer").mkdir()

    removed = post_gen.remove_unchosen(tmp_path, {"ci": "gitlab", "devcontainer": "no"})

    assert sorted(removed) == [".devcontainer", ".github"]
    assert (tmp_path / ".gitlab-ci.yml").exists()


def test_examples_are_removed_and_the_template_files_recorded(tmp_path):
    (tmp_path / "functions").mkdir()
    (tmp_path / "tests").mkdir()
    for relative in (*post_gen.EXAMPLE_FILES, *post_gen.TEMPLATE_FILES):
        (tmp_path / relative).write_text(f"# {relative}\n")
    (tmp_path / "workspace.json").write_text('{"function_slug": "x"}')

    removed = post_gen.remove_examples(tmp_path)
    recorded = post_gen.record_template_files(tmp_path)

    assert removed == list(post_gen.EXAMPLE_FILES)
    assert not (tmp_path / "functions" / "assistant.py").exists()
    settings = json.loads((tmp_path / "workspace.json").read_text())
    assert settings["function_slug"] == "x"
    assert settings["examples"] == {} == recorded["examples"]
    assert sorted(settings["template_files"]) == sorted(post_gen.TEMPLATE_FILES)


def test_tool_caches_are_removed(tmp_path):
    (tmp_path / "functions" / "__pycache__").mkdir(parents=True)
    (tmp_path / "functions" / "__pycache__" / "x.pyc").write_bytes(b"\x8e\x00")
    (tmp_path / ".ruff_cache").mkdir()
    (tmp_path / "functions" / "example.py").write_text("")

    removed = post_gen.remove_caches(tmp_path)

    assert removed == [".ruff_cache", "functions/__pycache__"]
    assert (tmp_path / "functions" / "example.py").exists()


def test_a_local_template_is_recorded_relative_to_the_workspace(tmp_path):
    template = tmp_path / "ixon-template"
    template.mkdir()
    answers = {**GOOD, "_template": str(template), "_repo_dir": str(template)}
    answers["_output_dir"] = str(tmp_path / "out")

    recorded = json.dumps(post_gen.origin(answers, tmp_path / "out" / "my-cloud-function"))

    assert str(tmp_path) not in recorded
    assert json.loads(recorded)["template"] == "../../ixon-template"
    assert json.loads(recorded)["context"]["cookiecutter"]["company_id"] == GOOD["company_id"]


def test_a_far_away_local_template_is_recorded_by_name_only(tmp_path):
    template = tmp_path / "a" / "b" / "c" / "ixon-template"
    template.mkdir(parents=True)
    answers = {**GOOD, "_template": str(template), "_repo_dir": str(template)}

    recorded = post_gen.origin(answers, tmp_path / "x" / "y" / "out" / "my-cloud-function")

    assert recorded["template"] == "ixon-template"


def test_origin_keeps_a_remote_template_and_its_commit(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        ],
        cwd=tmp_path,
        check=True,
    )
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()

    recorded = post_gen.origin(
        {
            **GOOD,
            "_template": "https://example.com/acme/ixon-template.git",
            "_repo_dir": str(tmp_path),
        },
        tmp_path,
    )

    assert recorded["template"] == "https://example.com/acme/ixon-template.git"
    assert recorded["commit"] == head


@pytest.mark.parametrize(
    ("given", "recorded"),
    [
        ("gh:acme/ixon-template", "https://github.com/acme/ixon-template.git"),
        ("gl:acme/ixon-template", "https://gitlab.com/acme/ixon-template.git"),
        ("git+https://example.com/ixon-template.git", "https://example.com/ixon-template.git"),
    ],
)
def test_a_remote_template_is_recorded_as_a_url_git_can_clone(tmp_path, given, recorded):
    """cruft hands `template` to `git clone` as it is: `gh:` means nothing to git."""
    answers = {**GOOD, "_template": given, "_repo_dir": str(tmp_path / "not-a-clone")}

    assert post_gen.origin(answers, tmp_path)["template"] == recorded


def test_the_remote_of_cookiecutters_clone_is_recorded(tmp_path):
    clone = tmp_path / "ixon-template"
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    url = "https://example.com/acme/ixon-template.git"
    subprocess.run(["git", "remote", "add", "origin", url], cwd=clone, check=True)

    recorded = post_gen.origin(
        {**GOOD, "_template": "gh:acme/x", "_repo_dir": str(clone)}, tmp_path
    )

    assert recorded["template"] == url
    assert recorded["context"]["cookiecutter"]["_template"] == url


def test_git_init_makes_a_first_commit(tmp_path):
    (tmp_path / "README.md").write_text("hi")

    assert post_gen.git_init(tmp_path, "Zoë O'Brien") is True

    log = subprocess.run(
        ["git", "log", "--format=%s"], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert log.stdout.strip() == "Start from the IXON Cloud Function template"
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert status.stdout == ""


def test_a_failing_git_step_is_named_with_what_to_do(tmp_path, monkeypatch, capsys):
    (tmp_path / "README.md").write_text("hi")
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "no-such-folder" / "index"))

    assert post_gen.git_init(tmp_path, "Ada") is False

    error = capsys.readouterr().err.strip()
    assert error.splitlines() == [error]
    assert error.startswith("WARNING: git add failed (")
    assert error.endswith("make the first commit yourself (git init, git add --all, git commit)")


@pytest.mark.parametrize(
    ("start", "shown"),
    [
        (None, "my-cloud-function"),
        ("out dir", "my-cloud-function"),
        ("elsewhere", '"../out dir/my-cloud-function"'),
        ("a/b/c", '"{project}"'),  # far away: the full path rather than ../../../
    ],
)
def test_the_next_steps_cd_to_the_workspace_from_where_the_user_is(tmp_path, start, shown):
    project = tmp_path / "out dir" / "my-cloud-function"
    project.mkdir(parents=True)
    if start:
        (tmp_path / start).mkdir(parents=True, exist_ok=True)

    folder = post_gen.where(project, str(tmp_path / start) if start else None)

    assert folder == shown.format(project=project)


def test_hooks_are_rendered_with_answers_in_a_raw_string():
    for name in ("pre_gen_project", "post_gen_project"):
        source = (TEMPLATE / "hooks" / f"{name}.py").read_text()
        assert 'r"""{{ cookiecutter | tojson }}"""' in source
        rendered = source.count('r"""[{{ template_folder() | tojson }}]"""')
        rendered += source.count('r"""[{{ devkit_wheel() | tojson }}]"""')
        assert source.count("{{") == 1 + rendered


@pytest.mark.parametrize(
    "given",
    ["file:///srv/templates/ixon-template", "git@example.com:acme/ixon-template.git"],
)
def test_repository_urls_are_known_as_cookiecutter_knows_them(given):
    assert not post_gen.is_local(given)
    assert post_gen.spelled_out(given) == given


def test_a_file_url_clone_is_recorded_by_its_url_not_its_cache_folder(tmp_path):
    clone = tmp_path / "cache" / "ixon-template"
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    url = "file:///srv/templates/ixon-template"
    subprocess.run(["git", "remote", "add", "origin", url], cwd=clone, check=True)
    answers = {**GOOD, "_template": url, "_repo_dir": str(clone)}

    recorded = post_gen.origin(answers, tmp_path / "out" / "my-cloud-function")

    assert recorded["template"] == url


def test_without_pwd_the_folder_the_hook_was_rendered_in_is_the_template(tmp_path):
    template = tmp_path / "ixon-template"
    template.mkdir()
    answers = {**GOOD, "_template": ".", "_repo_dir": "."}
    project = tmp_path / "my-cloud-function"

    recorded = post_gen.origin(answers, project, start=None, rendered_in=str(template))

    assert recorded["template"] == "../ixon-template"


def test_only_crufts_own_temporary_folders_count_as_an_update(tmp_path, monkeypatch):
    """`cruft update` and `cruft diff` render into `TemporaryDirectory()`; a workspace that a
    user makes, even under the temporary folder (`mktemp -d`), still gets its next steps."""
    monkeypatch.setattr(post_gen.tempfile, "tempdir", str(tmp_path))
    by_cruft = {**GOOD, "_commit": "0" * 40}
    for folder, answers, expected in (
        ("tmpab_c1234", by_cruft, True),
        ("tmp.Xy12Ab34Cd", by_cruft, False),  # mktemp -d
        ("tmpab_c1234", GOOD, False),  # plain cookiecutter
        ("projects", by_cruft, False),
    ):
        project = tmp_path / folder / "my-cloud-function"
        project.mkdir(parents=True, exist_ok=True)
        assert post_gen.updating(answers, project) is expected, folder


def test_the_hook_prints_no_next_steps_into_crufts_comparison(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(post_gen.tempfile, "tempdir", str(tmp_path))
    for folder in ("tmpq9w8e7r6", "work"):
        project = tmp_path / folder / "my-cloud-function"
        project.mkdir(parents=True)
        (project / "workspace.json").write_text("{}\n")
        answers = {**GOOD, "_commit": "0" * 40, "git_init": "yes"}
        post_gen.main(json.dumps(answers), project)
        assert not (project / ".git").exists()
    said = capsys.readouterr().out
    assert said.count("is ready in") == 1
    shown = said.split("is ready in ", 1)[1].split(". Next:", 1)[0]  # relative to here, or not
    assert Path(shown).resolve() == (tmp_path / "work" / "my-cloud-function").resolve()
