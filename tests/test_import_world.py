"""The import world of IXON Cloud, run ahead (`ixon_devkit.workspace.import_world`), in process.

Small function folders written here stand for IXON's layouts: `functions/functions.py` as the
default module that bare names reach, a helper named like a standard-library module reached
through its package, and the imports and calls that would fail in IXON Cloud.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import workspace_module

import_world = workspace_module("ixon_devkit.workspace.import_world")
bundle = workspace_module("ixon_devkit.ship.bundle")

#: What the runtime has imported before your code (a part of what ixoncdkingress 1.0.0 loads).
LOADED = frozenset({"types", "json", "certifi", "requests", "ixoncdkingress"})

EXPOSED = (
    "from ixoncdkingress.function.context import FunctionContext\n\n\n"
    "@FunctionContext.expose\n"
    "def {name}(context: FunctionContext) -> str:\n"
    "    return '{name}'\n"
)


def sources_of(files: dict[str, str]) -> dict[str, bytes]:
    return {path: text.encode() for path, text in files.items()}


def described(found) -> list[str]:
    return [problem.describe() for problem in found]


def test_ixons_default_module_is_what_bare_names_and_functions_dot_names_reach():
    files = sources_of(
        {
            "functions/__init__.py": "",
            "functions/functions.py": (
                "import types\n\nimport helpers\n\nNS = types.SimpleNamespace\n"
                + EXPOSED.format(name="get_files")
            ),
            "functions/helpers.py": "def shared():\n    pass\n",
            "components/files/files.svelte": (
                "client.call('get_files', {});\nclient.call(\"functions.get_files\")\n"
            ),
        }
    )

    assert described(import_world.problems(files, LOADED)) == []
    for name in ("get_files", "functions.get_files"):
        assert import_world.resolve_call(name, files, LOADED).path == "functions/functions.py"
    assert import_world.resolve_call("helpers.shared", files, LOADED).path == (
        "functions/helpers.py"
    )


def test_a_helper_named_like_the_standard_library_is_fine_through_its_package():
    files = sources_of(
        {
            "functions/__init__.py": "",
            "functions/helpers.py": "from functions.types import Mode\n",
            "functions/types.py": "class Mode:\n    pass\n",
            "tests/test_types.py": "from functions import types\n\n\nMODE = types.Mode\n",
        }
    )

    assert described(import_world.problems(files, LOADED)) == []
    without_default = import_world.resolve_call("functions.types.modes", files, LOADED)
    assert without_default.path == "functions/types.py"
    assert without_default.problem is None


@pytest.mark.parametrize(
    ("files", "where", "words"),
    [
        (  # functions.py takes the name `functions`: the package's helpers are out of reach
            {
                "functions/functions.py": EXPOSED.format(name="get_files"),
                "functions/helpers.py": "def x():\n    pass\n",
                "functions/report.py": "import json\n\nfrom functions import helpers\n",
            },
            "functions/report.py:3",
            "from functions import helpers",
        ),
        (
            {
                "functions/functions.py": EXPOSED.format(name="get_files"),
                "functions/helpers.py": "def x():\n    pass\n",
                "tests/test_report.py": "\nimport functions.helpers\n",
            },
            "tests/test_report.py:2",
            "import functions.helpers",
        ),
        (  # a bare import meant for functions/types.py gets the standard library's
            {
                "functions/types.py": "class Mode:\n    pass\n",
                "functions/report.py": "from types import Mode\n",
            },
            "functions/report.py:1",
            "runtime's `types`",
        ),
        (
            {
                "functions/types.py": "class Mode:\n    pass\n",
                "functions/report.py": "import types\n\nMODE = types.Mode\n",
            },
            "functions/report.py:1",
            "from functions.types import",
        ),
        (  # a UI Component calls a module name that the runtime's module answers
            {
                "functions/certifi.py": EXPOSED.format(name="check"),
                "components/panel/panel.svelte": "<script>\n  client.call('certifi.check')\n",
            },
            "components/panel/panel.svelte:2",
            "functions.certifi.check",
        ),
        (
            {
                "functions/types.py": EXPOSED.format(name="modes"),
                "tests/test_types.py": "def test_modes(client):\n    client.call('types.modes')\n",
            },
            "tests/test_types.py:2",
            "already imported",
        ),
    ],
    ids=[
        "from-functions-import-with-functions-py",
        "import-functions-dot-with-functions-py",
        "bare-from-import-of-a-loaded-name",
        "bare-import-of-a-loaded-name",
        "ui-call-of-a-loaded-module",
        "test-call-of-a-loaded-module",
    ],
)
def test_what_would_fail_in_ixon_cloud_is_named_by_file_and_line(files, where, words):
    found = described(import_world.problems(sources_of(files), LOADED))

    assert len(found) == 1, found
    assert found[0].startswith(where + " "), found
    assert words in found[0]


def test_what_the_standard_library_itself_answers_is_not_refused():
    files = sources_of(
        {
            "functions/types.py": "class Mode:\n    pass\n",
            "functions/report.py": (
                "import types\nfrom json import dumps\n\nNS = types.SimpleNamespace\n"
            ),
            "functions/json.py": "def mine():\n    pass\n",
        }
    )

    assert described(import_world.problems(files, LOADED)) == []


def test_a_name_defined_in_the_default_module_is_importable_from_it():
    files = sources_of(
        {
            "functions/functions.py": "from helpers import shared\n\nLIMIT = 3\n",
            "functions/helpers.py": "def shared():\n    pass\n",
            "tests/test_functions.py": "from functions import LIMIT, shared\n",
        }
    )

    assert described(import_world.problems(files, LOADED)) == []


def test_a_module_named_like_a_loaded_one_that_exposes_functions_draws_a_note():
    files = sources_of({"functions/types.py": EXPOSED.format(name="modes")})

    (note,) = import_world.notes(files, LOADED)

    assert "functions/types.py" in note and "functions.types.<function>" in note


def write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def workspace(root: Path, files: dict[str, str]) -> Path:
    write(
        root,
        {
            "VERSION": "0.1.0\n",
            "requirements.txt": "ixoncdkingress==1.0.0\n",
            "workspace.json": "{}\n",
            "functions/_version.py": '__version__ = "0.1.0"\n',
            **files,
        },
    )
    return root


def test_the_bundle_takes_ixons_default_module_and_refuses_what_cannot_resolve(tmp_path):
    accepted = workspace(
        tmp_path / "accepted",
        {
            "functions/__init__.py": "",
            "functions/functions.py": "import helpers\n" + EXPOSED.format(name="get_files"),
            "functions/helpers.py": "import json\n",
            "functions/types.py": "class Mode:\n    pass\n",
        },
    )
    built = bundle.build(accepted, runtime_modules=LOADED)
    assert ("functions/functions.py", len((accepted / "functions/functions.py").read_bytes())) in (
        built.files
    )

    refused = workspace(
        tmp_path / "refused",
        {
            "functions/functions.py": EXPOSED.format(name="get_files"),
            "functions/helpers.py": "\n\nfrom functions import report\n",
            "functions/report.py": "",
        },
    )
    with pytest.raises(
        bundle.BundleError, match=r"functions/helpers\.py:3 .*from functions import report"
    ):
        bundle.build(refused, runtime_modules=LOADED)


#: What `python -m ixon_devkit.workspace.distributions` says of the workspace environment (its
#: shape).
UNLISTED = {
    "yaml": {"distribution": "PyYAML==6.0.4", "via": None},
    "packaging": {"distribution": "packaging==26.4", "via": "docker"},
}


def test_the_bundle_flags_imports_that_only_the_dev_requirements_provide(tmp_path):
    root = workspace(
        tmp_path,
        {
            "functions/app.py": "import json\n\nimport packaging.version\n"
            + EXPOSED.format(name="ping"),
        },
    )

    built = bundle.build(root, runtime_modules=LOADED, unlisted=UNLISTED)
    (warning,) = [line for line in built.warnings if "packaging" in line]
    assert warning.startswith("functions/app.py:3 imports `packaging`")
    assert "docker" in warning and "packaging==26.4" in warning

    (root / "functions" / "settings.py").write_text(
        "try:\n    import yaml as optional\nexcept ImportError:\n    optional = None\n\n"
        "from yaml import safe_load\n",
        encoding="utf-8",
    )
    with pytest.raises(bundle.BundleError, match=r"functions/settings\.py:6 imports `yaml`"):
        bundle.build(root, runtime_modules=LOADED, unlisted=UNLISTED)


def test_new_writes_a_test_that_imports_beside_ixons_default_module(tmp_path):
    scaffold = workspace_module("ixon_devkit.workspace.scaffold")
    write(tmp_path, {"functions/functions.py": EXPOSED.format(name="get_files"), "tests/.keep": ""})

    scaffold.create(tmp_path, "thermometer")

    written = import_world.read_sources(tmp_path)
    assert "import thermometer\n" in written["tests/test_thermometer.py"].decode()
    assert described(import_world.problems(written, LOADED)) == []
