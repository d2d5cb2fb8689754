"""Finish the workspace: drop the files of options not chosen, record the origin, git init.

Cookiecutter renders this file; the answers arrive as JSON inside a raw string literal, so
no answer can break the Python or run as code. Each step is a small function, tested by the
template's own tests.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cookiecutter.config import BUILTIN_ABBREVIATIONS, get_user_config
from cookiecutter.repository import expand_abbreviations, is_repo_url

#: Files that belong to one answer of an option, removed when another answer was chosen.
OPTIONAL_FILES = {
    ("ci", "github"): [".github"],
    ("ci", "gitlab"): [".gitlab-ci.yml", "renovate.json"],
    ("devcontainer", "yes"): [".devcontainer"],
}
#: The template's examples: functions and their tests (`examples` answered "no" leaves them out).
EXAMPLE_FILES = (
    "functions/about.py",
    "functions/agents.py",
    "functions/assistant.py",
    "functions/caller.py",
    "functions/example.py",
    "functions/helpers.py",
    "functions/notes.py",
    "tests/test_about.py",
    "tests/test_agents.py",
    "tests/test_assistant.py",
    "tests/test_caller.py",
    "tests/test_example.py",
    "tests/test_notes.py",
)
#: Other files as baked, which `invoke adopt` may replace while nobody has changed them.
TEMPLATE_FILES = ("functions/__init__.py", "context_values.yaml")
WORKSPACE_FILE = "workspace.json"
#: Answers that are not worth recording (they describe the machine that baked, not the project).
PRIVATE_KEYS = {"_output_dir", "_repo_dir", "_checkout", "_template"}
#: Tool caches copied unrendered from the template folder (see cookiecutter.json), then removed.
CACHE_FOLDERS = {"__pycache__", ".ruff_cache", ".pytest_cache"}
#: How far up a local template may be to be recorded by a relative path.
MAX_LEVELS_UP = 2
FIRST_COMMIT = "Start from the IXON Cloud Function template"


def remove_unchosen(project: Path, answers: dict[str, str]) -> list[str]:
    """Delete the files of every option answer that was not chosen; return what was removed."""
    removed = []
    for (option, answer), paths in OPTIONAL_FILES.items():
        if answers.get(option) == answer:
            continue
        for relative in paths:
            path = project / relative
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
            else:
                continue
            removed.append(relative)
    return removed


def remove_examples(project: Path) -> list[str]:
    """Delete the example functions and their tests; return what was removed."""
    removed = []
    for relative in EXAMPLE_FILES:
        path = project / relative
        if path.is_file():
            path.unlink()
            removed.append(relative)
    return removed


def record_template_files(project: Path) -> dict[str, dict[str, str]]:
    """Record the sha256 of every example and template file in workspace.json, so the
    workspace can tell the template's files (`invoke deploy` refuses to ship unchanged
    examples; `invoke adopt` replaces unchanged template files) from the user's edits."""

    def digests(paths: tuple[str, ...]) -> dict[str, str]:
        return {
            relative: hashlib.sha256((project / relative).read_bytes()).hexdigest()
            for relative in paths
            if (project / relative).is_file()
        }

    recorded = {"examples": digests(EXAMPLE_FILES), "template_files": digests(TEMPLATE_FILES)}
    path = project / WORKSPACE_FILE
    settings = json.loads(path.read_text(encoding="utf-8"))
    settings.update(recorded)
    path.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    return recorded


def place_wheel(project: Path, wheel: dict[str, str]) -> Path:
    """Put the tooling's wheel, as this template built it, in the workspace's `.devkit/wheels/`
    (ignored by git), where `invoke setup` finds it offline: the lock pins this wheel's hash,
    which is the hash of the same release on the index."""
    target = project / ".devkit" / "wheels" / wheel["name"]
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(wheel["path"], target)
    return target


def add_ui_component(project: Path, answers: dict[str, str], package: Path) -> list[str]:
    """Give the workspace its first UI Component when one was named; the files written.

    The tooling's own `invoke new-component` code (`package`, the template's `devkit/src`) does
    it, so a component baked in is the same as one added later; without a name nothing of the
    UI half is written (no Node needed).
    """
    name = answers.get("ui_component", "")
    if not name:
        return []
    # The tooling's standard-library code; nothing of it lingers in this process.
    dont_write = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(package))
    try:
        components = importlib.import_module("ixon_devkit.ui.components")
        return components.add(
            project,
            name,
            answers.get("ui_component_template_id", ""),
            slug=answers.get("function_slug", ""),
        )
    finally:
        sys.dont_write_bytecode = dont_write
        sys.path.remove(str(package))
        for module in [m for m in sys.modules if m.split(".")[0] == "ixon_devkit"]:
            del sys.modules[module]


def remove_caches(project: Path) -> list[str]:
    """Delete tool caches that a template folder may have picked up (they are never wanted)."""
    removed = []
    for path in sorted(project.rglob("*")):
        if path.is_dir() and path.name in CACHE_FOLDERS and path.exists():
            shutil.rmtree(path)
            removed.append(path.relative_to(project).as_posix())
    return removed


def _git(args: list[str], cwd: Path | str) -> str | None:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def abbreviations() -> dict[str, str]:
    """cookiecutter's abbreviations (`gh:`, `gl:`, `bb:` and the user's own, from the same
    configuration file cookiecutter read)."""
    try:
        configured = get_user_config().get("abbreviations")
    except Exception:  # a broken user configuration: cookiecutter has said so already
        configured = None
    return configured if isinstance(configured, dict) else dict(BUILTIN_ABBREVIATIONS)


def is_local(template: str) -> bool:
    """Whether `template` names a folder on this machine rather than a repository URL
    (`file://` URLs included), judged as cookiecutter itself judges it."""
    return not is_repo_url(expand_abbreviations(template, abbreviations()))


def spelled_out(template: str) -> str:
    """`template` as a URL git can clone: cookiecutter's `gh:` style abbreviations and its
    `git+` prefix are cookiecutter's own, and cruft hands the recorded template to git as is."""
    return expand_abbreviations(template, abbreviations()).removeprefix("git+")


def template_folder(repo_dir: str, start: str | None, rendered_in: str = "") -> str | None:
    """The template's folder as an absolute path, or None when that cannot be known.

    `rendered_in` is the folder cookiecutter rendered this hook in, which is the template's
    own (see `local_extensions.TemplateFolder`): known whatever the shell. Without it,
    cookiecutter's folder as it was given (`cookiecutter .` gives "."), resolved against
    `start`, the folder cookiecutter was started in (the shell's `PWD`).
    """
    if rendered_in and os.path.isabs(rendered_in) and os.path.isdir(rendered_in):
        return rendered_in
    if not repo_dir:
        return None
    if os.path.isabs(repo_dir):
        return repo_dir
    if start and os.path.isabs(start):
        return os.path.normpath(os.path.join(start, repo_dir))
    return None


def origin(
    answers: dict[str, str], project: Path, start: str | None = None, rendered_in: str = ""
) -> dict[str, object]:
    """Where the workspace came from, in the shape `cruft` reads from `.cruft.json`.

    The template is recorded as a URL git can clone: the remote of cookiecutter's clone when
    there is one (`gh:owner/repo` spelled out, as cruft needs it). A template given as a local
    folder without such a remote is recorded by its path relative to the workspace (`cruft`
    run in the workspace finds it there), so that no absolute path of this machine ends up in
    the workspace.
    """
    template = str(answers.get("_template", ""))
    repo_dir = template_folder(str(answers.get("_repo_dir", "")), start, rendered_in)
    commit = _git(["rev-parse", "HEAD"], repo_dir) if repo_dir else None
    remote = _git(["remote", "get-url", "origin"], repo_dir) if repo_dir else None
    if remote and not is_local(remote):
        # A clone (of a URL, or of a bare name cookiecutter found among its clones): its
        # remote is what cruft can clone again; a file:// remote stays a file:// URL.
        template = spelled_out(remote)
    elif is_local(template):
        # Without a known folder, keep the template as it was typed (never made absolute).
        template = _relative(repo_dir, project) if repo_dir else template
    else:
        template = spelled_out(template)
    context = {key: value for key, value in answers.items() if key not in PRIVATE_KEYS}
    context["_template"] = template
    return {
        "template": template,
        "commit": commit,
        "checkout": answers.get("_checkout"),
        "context": {"cookiecutter": context},
        "directory": None,
    }


def _relative(folder: str, project: Path) -> str:
    """`folder` relative to `project` when it is close by (the usual `cookiecutter ./clone`);
    else only its name, rather than a path that spells out this machine's layout."""
    try:
        relative = Path(os.path.relpath(folder, project))
    except ValueError:  # another drive on Windows: no relative path exists
        return Path(folder).name
    if relative.parts.count("..") > MAX_LEVELS_UP:
        return Path(folder).name
    return relative.as_posix()


def write_origin(
    project: Path, answers: dict[str, str], start: str | None = None, rendered_in: str = ""
) -> None:
    """Record the origin in `.cruft.json` unless cruft already does."""
    path = project / ".cruft.json"
    if not path.exists():
        recorded = origin(answers, project, start, rendered_in)
        path.write_text(json.dumps(recorded, indent=2) + "\n", encoding="utf-8")


def git_init(project: Path, author: str) -> bool:
    """Make the workspace a git repository with a first commit; False when git is missing."""
    if shutil.which("git") is None:
        print("git not found: skipping `git init` (install git and run it yourself)")
        return False
    identity = []
    if not _git(["config", "user.email"], project):
        name = author or "IXON developer"
        identity = ["-c", f"user.name={name}", "-c", "user.email=dev@localhost"]
    for step, args in (
        ("init", ["init", "--quiet"]),
        ("checkout", ["checkout", "--quiet", "-b", "main"]),
        ("add", ["add", "--all"]),
        ("commit", [*identity, "commit", "--quiet", "--no-verify", "-m", FIRST_COMMIT]),
    ):
        result = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True)
        if result.returncode != 0:
            reason = (result.stderr.strip().splitlines() or ["no message"])[-1]
            print(
                f"WARNING: git {step} failed ({reason}): the workspace is complete; make the "
                "first commit yourself (git init, git add --all, git commit)",
                file=sys.stderr,
            )
            return False
    return True


def made_by_cruft(answers: dict[str, str]) -> bool:
    """Whether cruft runs the template (it adds `_commit`; plain cookiecutter does not).

    cruft writes `.cruft.json` itself once the hooks are done, and `cruft update` renders the
    template into temporary folders to diff them, where a git repository breaks the diff. So
    under cruft the workspace gets neither our `.cruft.json` nor a `git init`.
    """
    return "_commit" in answers


#: The name of a folder made by Python's `tempfile.TemporaryDirectory()`: "tmp" and 8 of its
#: random letters (`mktemp -d` names its folders `tmp.` and more, so a user's is not taken).
TEMPORARY_NAME = re.compile(r"tmp[a-z0-9_]{8}")


def updating(answers: dict[str, str], project: Path) -> bool:
    """Whether cruft renders the template to compare it (`cruft update`, `cruft diff`) rather
    than to make a workspace: both render into a `TemporaryDirectory()` of the system's
    temporary folder (cruft's `AltTemporaryDirectory`), then move the files out and delete it.
    No one will use that folder, so no next steps are printed for it."""
    if not made_by_cruft(answers):
        return False
    folder = project.resolve().parent
    temporary = Path(tempfile.gettempdir()).resolve()
    return folder.parent == temporary and bool(TEMPORARY_NAME.fullmatch(folder.name))


def where(project: Path, start: str | None) -> str:
    """The workspace folder as the user who ran cookiecutter in `start` can `cd` to it.

    The hook runs inside the new folder, so the shell's `PWD` is the only trace of where the
    user is (`cookiecutter -o ..` bakes elsewhere); without it, the folder's name.
    """
    folder = project.name
    if start and Path(start).is_dir():
        try:
            folder = os.path.relpath(project, start)
        except ValueError:  # another drive on Windows
            folder = str(project)
        if Path(folder).parts.count("..") > MAX_LEVELS_UP:
            folder = str(project)
    return f'"{folder}"' if " " in folder else folder


def main(
    raw_answers: str, project: Path, rendered_in: str = "", wheel: dict[str, str] | None = None
) -> int:
    """Finish the workspace in `project` and print the next steps."""
    answers = json.loads(raw_answers)
    template = Path(rendered_in or os.getcwd())
    remove_unchosen(project, answers)
    if answers.get("examples") == "no":
        remove_examples(project)
    record_template_files(project)
    # After the examples are settled and recorded: the component calls what is served.
    add_ui_component(project, answers, template / "devkit" / "src")
    remove_caches(project)
    if wheel and not updating(answers, project):
        place_wheel(project, wheel)
    start = os.environ.get("PWD")
    if not made_by_cruft(answers):
        write_origin(project, answers, start, rendered_in)
        if answers.get("git_init") == "yes":
            git_init(project, answers.get("author", ""))
    if updating(answers, project):
        return 0
    folder = where(project, start)
    print(
        f"\nYour Cloud Function workspace is ready in {folder}. Next:\n"
        f"  cd {folder}\n"
        + (
            "  git init && git add --all && git commit -m 'Workspace from the template'\n"
            "                    # bump, deploy and `cruft update` need a git repository\n"
            if made_by_cruft(answers) and not (project / ".git").exists()
            else ""
        )
        + "  invoke serve      # serve the functions on http://127.0.0.1:8020/\n"
        "  invoke test       # run the tests (sets up .venv with Python 3.12 on first use)\n"
        + (
            f"The UI Component {answers['ui_component']} is in components/: `invoke setup` "
            "installs its Node packages and `invoke serve` runs the simulator beside the "
            "functions.\n"
            if answers.get("ui_component")
            else ""
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(
        main(
            r"""{{ cookiecutter | tojson }}""",
            Path(os.getcwd()),
            json.loads(r"""[{{ template_folder() | tojson }}]""")[0],
            json.loads(r"""[{{ devkit_wheel() | tojson }}]""")[0],
        )
    )
