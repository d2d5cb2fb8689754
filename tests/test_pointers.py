"""Every pointer in a baked workspace's files to its own guide leads somewhere real.

Markdown links are checked with the README's guides (tests/test_bake.py); this covers the
pointers in plain text that no link checker sees: "README: Heading > Subheading" and
"docs/page.md" (with ": Heading", ", Heading" or "#anchor" after it), in comments, messages
and settings files, wrapped over comment lines or split over Python string literals.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_bake import anchor, generated_files

from conftest import bake

README_POINTER = re.compile(r"README: ")
DOCS_POINTER = re.compile(r"\bdocs/([\w.-]+\.md)(?:#([\w-]+)|[:,] (?=[A-Z`]))?")


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
    parents ("Deploying > Settings")."""
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
    return paths


def names_a_heading(text: str, page: Path) -> bool:
    return any(text.startswith(path) for path in heading_paths(page))


def pointers(project: Path) -> list[tuple[str, str, Path, str]]:
    """(file, the pointer as written, the page it names, what follows it) for every pointer."""
    found = []
    for path in generated_files(project):
        try:
            text = flowing(path)
        except UnicodeDecodeError:
            continue
        name = path.relative_to(project).as_posix()
        for match in README_POINTER.finditer(text):
            after = text[match.end() : match.end() + 120]
            found.append((name, f"README: {after[:40]}", project / "README.md", after))
        for match in DOCS_POINTER.finditer(text):
            page = project / "docs" / match.group(1)
            if match.group(2):
                found.append((name, match.group(0), page, "#" + match.group(2)))
            elif match.group(0).endswith((": ", ", ")):
                found.append((name, match.group(0), page, text[match.end() : match.end() + 120]))
            else:
                found.append((name, match.group(0), page, ""))
    return found


def test_every_pointer_to_the_guide_reaches_a_page_and_heading(everything):
    found = pointers(everything)
    assert any(source == ".env.example" for source, *_rest in found)  # the check sees them
    broken = []
    for source, pointer, page, after in found:
        if not page.is_file():
            broken.append(f"{source}: {pointer!r}: no {page.relative_to(everything)}")
        elif after.startswith("#"):
            headings = re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), re.M)
            if after[1:] not in {anchor(heading) for heading in headings}:
                broken.append(f"{source}: {pointer!r}: no such heading in {page.name}")
        elif after and not names_a_heading(after, page):
            broken.append(f"{source}: {pointer!r}: {after[:50]!r} is no heading of {page.name}")
    assert not broken, "\n".join(broken)


def test_a_pointer_to_a_moved_heading_is_caught(tmp_path):
    """The check itself: a README pointer to a heading the README no longer has fails it."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text("# Title\n\n## Deploying\n\n### Settings\n")
    (tmp_path / "docs" / "deploying.md").write_text("# Deploying\n\n## Settings\n")
    (tmp_path / "a.env").write_text("# see README: Deploying >\n# Settings for more\n")
    (tmp_path / "b.py").write_text('X = ("see docs/deploying.md: " "Settings")\n')
    (tmp_path / "c.txt").write_text("see README: Releases and docs/missing.md\n")
    found = {(source, page.name, after[:8]) for source, _p, page, after in pointers(tmp_path)}
    assert ("a.env", "README.md", "Deployin") in found
    assert ("b.py", "deploying.md", "Settings") in found
    assert names_a_heading("Deploying > Settings for more", tmp_path / "README.md")
    assert names_a_heading("Settings", tmp_path / "docs" / "deploying.md")
    assert not names_a_heading("Releases", tmp_path / "README.md")
    assert not (tmp_path / "docs" / "missing.md").is_file()
    assert ("c.txt", "missing.md", "") in found
