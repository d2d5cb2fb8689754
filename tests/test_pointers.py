"""Every pointer to the workspace's guide leads somewhere real.

The guide is the workspace's README and the manual, which travels with the tooling package
(`devkit/src/ixon_devkit/docs/TOPIC.md`, printed by `invoke docs TOPIC`). Markdown links are
checked with the README's guides (tests/test_bake.py); this covers the pointers in plain text
that no link checker sees, in a baked workspace's files and in the package's sources and
manual: "README: Heading > Subheading", "invoke docs TOPIC" (with ": Heading" after it) and
"TOPIC.md#anchor", in comments, messages, help and settings files, wrapped over comment lines
or split over Python string literals. A workspace has no docs/ folder, so a "docs/TOPIC.md"
pointer is broken wherever it is.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_bake import anchor, generated_files

from conftest import PACKAGE_SOURCE, bake

#: The manual's pages, as `invoke docs` finds them.
MANUAL = PACKAGE_SOURCE / "ixon_devkit" / "docs"
#: Files of the package that are no text a user reads.
BINARY = {".png", ".ico", ".zip", ".whl", ".pyc"}

README_POINTER = re.compile(r"README: ")
TOPIC_POINTER = re.compile(r"\binvoke docs ([a-z][\w-]*)`?(?:: (?=[A-Z`]))?")
ANCHOR_POINTER = re.compile(r"(?<![\w/.-])([a-z][\w-]*)\.md#([\w-]+)")
OLD_POINTER = re.compile(r"(?<![\w/.-])docs/([\w.-]+\.md)")


@pytest.fixture(scope="module", params=["github", "gitlab"])
def everything(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with every optional file (each CI in turn)."""
    return bake(
        tmp_path_factory.mktemp("pointers"),
        ci=request.param,
        devcontainer="yes",
        ui_component="gauge",
    )


def flowing(path: Path) -> str:
    """The file's text as a reader takes it: comment lines run on, and Python's adjacent
    string literals ("... their own " "`fixture`") joined."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\s*\n\s*(?:#+ ?|//+ ?)?", " ", text)
    if path.suffix == ".py":
        text = re.sub(r"\"\s+[fr]?\"", "", text)
    return text


def heading_paths(page: Path) -> set[str]:
    """Every way a pointer may name a heading of `page`: the heading, or it after any of its
    parents ("Deploying > Settings"), or its part before a colon ("The logs" of "The logs:
    `invoke logs`")."""
    chain: list[tuple[int, str]] = []
    paths: set[str] = set()
    fenced = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        match = None if fenced else re.match(r"(#+) (.+)$", line)
        if match is None:
            continue
        level = len(match.group(1))
        chain = [(depth, title) for depth, title in chain if depth < level]
        chain.append((level, match.group(2).strip()))
        titles = [title for _depth, title in chain]
        paths.update(" > ".join(titles[start:]) for start in range(len(titles)))
        paths.add(titles[-1].split(": ")[0])  # "The logs" of "The logs: `invoke logs`"
    return paths


def names_a_heading(text: str, page: Path) -> bool:
    return any(text.startswith(path) for path in heading_paths(page))


def package_files(package: Path) -> list[Path]:
    """The package's text files (sources, manual, templates), caches left out."""
    return [
        path
        for path in sorted(package.rglob("*"))
        if path.is_file() and path.suffix not in BINARY and "__pycache__" not in path.parts
    ]


def pointers(
    project: Path, files: list[Path] | None = None, manual: Path = MANUAL
) -> list[tuple[str, str, Path, str]]:
    """(file, the pointer as written, the page it names, what follows it) for every pointer
    in `files` (default: the workspace's): README pointers name `project`'s README, the
    others a page of `manual` (an old docs/ pointer the workspace's docs/, which it lacks)."""
    found = []
    for path in generated_files(project) if files is None else files:
        try:
            text = flowing(path)
        except UnicodeDecodeError:
            continue
        name = path.relative_to(project if path.is_relative_to(project) else manual.parent.parent)
        name = name.as_posix()
        for match in README_POINTER.finditer(text):
            after = text[match.end() : match.end() + 120]
            found.append((name, f"README: {after[:40]}", project / "README.md", after))
        for match in TOPIC_POINTER.finditer(text):
            page = manual / f"{match.group(1)}.md"
            after = text[match.end() : match.end() + 120] if match.group(0).endswith(" ") else ""
            found.append((name, match.group(0), page, after))
        for match in ANCHOR_POINTER.finditer(text):
            page = manual / f"{match.group(1)}.md"
            found.append((name, match.group(0), page, "#" + match.group(2)))
        for match in OLD_POINTER.finditer(text):
            found.append((name, match.group(0), project / "docs" / match.group(1), ""))
    return found


def broken_pointers(found: list[tuple[str, str, Path, str]]) -> list[tuple[str, str, str]]:
    """(file, pointer, what is wrong) for every pointer that leads nowhere."""
    broken = []
    for source, pointer, page, after in found:
        if not page.is_file():
            broken.append((source, pointer, f"no page {page.name}"))
        elif after.startswith("#"):
            headings = re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), re.M)
            if after[1:] not in {anchor(heading) for heading in headings}:
                broken.append((source, pointer, f"no such heading in {page.name}"))
        elif after and not names_a_heading(after, page):
            broken.append((source, pointer, f"{after[:50]!r} is no heading of {page.name}"))
    return broken


def test_every_pointer_of_the_workspace_reaches_a_page_and_heading(everything):
    found = pointers(everything)
    assert any(source == ".env.example" for source, *_rest in found)  # the check sees them
    assert any(source == "README.md" and "invoke docs" in pointer for source, pointer, *_ in found)
    assert not (everything / "docs").exists()
    assert broken_pointers(found) == []


def test_every_pointer_of_the_package_reaches_a_page_and_heading(everything):
    """The package's messages, help, comments and manual, with the workspace's README."""
    found = pointers(everything, package_files(PACKAGE_SOURCE / "ixon_devkit"))
    sources = {source for source, *_rest in found}
    assert "ixon_devkit/docs/runtime.md" in sources  # the manual's links between its pages
    assert "ixon_devkit/serve/serve_trust.py" in sources  # and the messages
    assert broken_pointers(found) == []


def test_a_broken_pointer_is_caught(tmp_path):
    """The check itself: pointers to a heading the README no longer has, to a topic or anchor
    the manual lacks, or to a docs/ page, fail it; good ones do not."""
    manual = tmp_path / "package" / "docs"
    manual.mkdir(parents=True)
    (manual / "deploying.md").write_text("# From code\n\n## Settings\n\n### Retries\n")
    project = tmp_path / "ws"
    project.mkdir()
    (project / "README.md").write_text("# Title\n\n## Deploying\n\n### Settings\n")
    files = {
        "a.env": "# see README: Deploying >\n# Settings for more\n",
        "b.py": 'X = ("see invoke docs deploying: " "Settings > Retries")\n',
        "c.txt": "see README: Releases and invoke docs missing\n",
        "d.md": "[x](deploying.md#settings), [y](deploying.md#nowhere) `invoke docs deploying`\n",
        "e.py": 'HELP = "(invoke docs deploying: Outcomes) or docs/deploying.md"\n',
    }
    for name, text in files.items():
        (project / name).write_text(text)

    found = pointers(project, sorted(project.iterdir()), manual)
    broken = broken_pointers(found)

    assert ("b.py", "deploying.md", "Settings") in {
        (source, page.name, after[:8]) for source, _p, page, after in found
    }
    assert sorted((source, pointer) for source, pointer, _why in broken) == [
        ("c.txt", "README: Releases and invoke docs missing "),
        ("c.txt", "invoke docs missing"),
        ("d.md", "deploying.md#nowhere"),
        ("e.py", "docs/deploying.md"),
        ("e.py", "invoke docs deploying: "),
    ]
    why = {(source, pointer): why for source, pointer, why in broken}
    assert why["e.py", "invoke docs deploying: "].startswith("'Outcomes) or")
