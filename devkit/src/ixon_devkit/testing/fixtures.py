"""The pytest plugin with the fixtures for testing Cloud Functions: use them in any test.

pyproject.toml loads it (`-p ixon_devkit.testing.fixtures`), so it needs no conftest.py and a
conftest.py of yours never hides it.

- `function_context`: a real `FunctionContext` with `context_values.yaml`, the calling
  user/company/asset/agent of `call_context.yaml` and a fresh in-memory document store.
- `client`: calls a function by name through ixoncdkingress's own request handling, with the
  JSON body IXON Cloud posts, so a test takes the same path as a call in production.
- `document_store`: the in-memory MongoDB behind both, fresh for every test; with
  `IXON_TEST_MONGODB_URI=mongodb://...` a real MongoDB instead, where each test starts with
  the calling company's database empty and the databases it creates are dropped after it.
- `ixon_api`: a stand-in for IXON's API v2 on loopback (`ixon_devkit.testing.api_standin`), where
  the API client of both sends its calls, with a test token: declare its answers
  (`ixon_api.answer("AgentList", data=[...])`) and read what it received (`ixon_api.requests`).
  One server runs for the session, started by the first test that needs it; each test starts
  with it empty (no answers, no requests). No test reaches the network. The test fails when a
  function calls a name without a declared answer, or one that `"api_access"` of
  workspace.json does not list (as IXON Cloud would refuse it; `ixon_api.allow_unlisted = True`
  allows it for one test).
- `@pytest.mark.ixon_recording("name")`: the test's IXON API calls get the answers recorded
  from IXON's API in `tests/recordings/name.yaml` instead (`ixon_devkit.testing.recording`;
  `invoke test --record` records them with your token).
- `object_storage`: calls an Object Storage hook as IXON calls it:
  `object_storage("upload")` is `ayayot.objectstorage_v1.authorize_upload` with the caller of
  `call_context` (change it first to call as someone else); the hook's answer, or None.
- `@pytest.mark.ixon_production`: the `client` fixture runs ixoncdkingress in IXON Cloud's
  production mode and signs its calls (`ixon_devkit.ship.production`): no context_values.yaml,
  no reload, signed bodies only.

Before any test module (or a conftest.py) is imported, the plugin refuses what would not
import in IXON Cloud either, one line each by file and line: an import or a called name that
IXON's module resolution cannot take to your code (`ixon_devkit.workspace.import_world`), and
imports of
ixoncdkingress 0.0.x. The header says
which context values file is used when another one is ignored.
"""

from __future__ import annotations

import copy
import gc
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ixoncdkingress.function.context import FunctionContext

from ixon_devkit.cloud import api_access
from ixon_devkit.serve import docstore, ingress, local_api
from ixon_devkit.serve import request_body as calls
from ixon_devkit.ship import passed_checks
from ixon_devkit.testing import api_standin
from ixon_devkit.testing import run as testing
from ixon_devkit.workspace import import_world, legacy, modules, root, settings

ROOT = root.find()
#: What ixoncdkingress's own lookups ask for: the calling context's resource of each.
RUNTIME_RESOURCES = dict(
    zip(local_api.RUNTIME_LOOKUPS, ("user", "company", "agent", "asset"), strict=True)
)
#: A MongoDB server for the tests instead of the in-memory one (invoke docs testing).
MONGODB_URI_VARIABLE = "IXON_TEST_MONGODB_URI"
#: The marker naming a recording (`ixon_devkit.testing.recording.MARKER`, imported only when used).
RECORDING_MARKER = "ixon_recording"
#: The name `ixon_devkit.ship.passed_checks` keeps this plugin's import checks under.
IMPORT_CHECKS = "import-world"

# A run's start (the runtime, the functions and the test modules imported) makes objects that
# live until the run ends. Looking for garbage among them again and again, and once more at the
# end (pytest's check for unraisable exceptions), took about a quarter of a run of the examples.
# So garbage collection waits until the tests are collected, and what exists then is frozen
# out of every later collection (gc.freeze): what the tests make is collected as always.
gc.disable()


def workspace_problems(root: Path = ROOT) -> list[str]:
    """What keeps the workspace's code from importing as it would in IXON Cloud; nothing,
    without reading a file, when none changed since the checks last passed."""
    loaded = modules.cached_names() or import_world.runtime_modules(sys.executable, root)
    checks = [Path(legacy.__file__), Path(import_world.__file__)]  # a new devkit checks again
    printed, settled = passed_checks.fingerprint(
        root,
        [*import_world.source_paths(root), *legacy.python_files(root), *checks],
        key=sorted(loaded),
    )
    if passed_checks.passed(root, IMPORT_CHECKS, printed):
        return []
    problems = [found.describe() for found in legacy.find(root)]
    if problems:
        problems.append("`invoke rewrite-imports` rewrites those imports for ixoncdkingress 1.x")
    problems += [found.describe() for found in import_world.workspace_problems(root, loaded)]
    if not problems and settled:
        passed_checks.remember(root, IMPORT_CHECKS, printed)
    return problems


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Enter IXON Cloud's import world (the runtime loaded, then the functions folder first
    on sys.path), and refuse, before a test module or conftest.py is imported, code that
    cannot import there."""
    modules.load_runtime()
    ingress.enter_import_world(ROOT)
    problems = workspace_problems(ROOT)
    if problems:
        raise pytest.UsageError("\n".join(problems))


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """The tests are collected: freeze what exists now, and collect garbage again."""
    gc.freeze()
    gc.enable()


def pytest_unconfigure(config: pytest.Config) -> None:
    gc.enable()  # also after a run that ended before its tests were collected


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{RECORDING_MARKER}(name): answer the test's IXON API calls from "
        "tests/recordings/<name>.yaml (`invoke test --record` records them with your token)",
    )
    config.addinivalue_line(
        "markers", "ixon_production: the client fixture runs in IXON Cloud's production mode"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """While recording, the token is in use: a test's report shows no form of it (what IXON
    echoed may be in an assertion's message or in captured output)."""
    report = yield
    if os.environ.get("IXON_RECORD"):  # vcrpy is imported only then
        from ixon_devkit.testing import recording  # noqa: PLC0415

        recording.mask_report(report, ROOT)
    return report


def pytest_report_header(config: pytest.Config) -> list[str]:
    note = ingress.context_files_note(ROOT)
    return [f"Note: {note}"] if note else []


@pytest.fixture(scope="session")
def mongodb_server() -> Iterator[Any]:
    """The pymongo client of IXON_TEST_MONGODB_URI, one for the session (each test's data is
    still its own: see `document_store`); None without that variable."""
    uri = os.environ.get(MONGODB_URI_VARIABLE, "").strip()
    if not uri:
        yield None
        return
    import pymongo  # noqa: PLC0415 - comes with ixoncdkingress

    client: Any = pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def document_store(call_context: dict[str, Any], mongodb_server: Any) -> Iterator[Any]:
    """An empty MongoDB, shaped like `pymongo.MongoClient`: in memory, or the server of
    IXON_TEST_MONGODB_URI (the calling company's database is emptied first, and the
    databases a test creates are dropped after it: use a server for tests only)."""
    if mongodb_server is None:
        memory = docstore.memory_store()  # mongomock, imported when a test first uses it
        yield memory.client
        memory.close()
        return
    client = mongodb_server
    company = (call_context.get("company") or {}).get("publicId")
    if company:
        client.drop_database(company)
    before = set(client.list_database_names())
    try:
        yield client
    finally:
        # What the test made goes, so the next one starts empty too; what was there stays.
        for name in set(client.list_database_names()) - before | ({company} - {None}):
            client.drop_database(name)


@pytest.fixture(scope="session")
def _call_context() -> dict[str, Any]:
    return calls.load_call_context(ROOT)


@pytest.fixture
def call_context(_call_context: dict[str, Any]) -> dict[str, Any]:
    """The calling context of `call_context.yaml`; change it freely within a test."""
    return copy.deepcopy(_call_context)


@pytest.fixture
def context_values() -> dict[str, Any]:
    """The configuration values of `context_values.yaml`."""
    return testing.context_values(ROOT)


class IxonApi(api_standin.ApiStandIn):
    """The stand-in of the `ixon_api` fixture, with the local API rules its calls go through."""

    def __init__(self, root: Path, call_context: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.root = root
        #: The calling context, whose resources answer ixoncdkingress's own lookups.
        self.call_context = call_context if call_context is not None else {}
        #: Lines of calls IXON Cloud would refuse (names not in "api_access", unknown names).
        self.problems: list[str] = []
        self.local = local_api.LocalApi(
            base_url="",
            application_id=api_standin.TEST_APPLICATION_ID,
            token=lambda: settings.Token(api_standin.TEST_TOKEN, "the ixon_api fixture"),
            allowed=frozenset(api_access.listed(root)),
            where="tests",
            root=root,
            report=self.problems.append,
        )
        self._listed = self.local.allowed

    @property
    def allow_unlisted(self) -> bool:
        """Whether names missing from `"api_access"` may be called in this test."""
        return self.local.allowed is None

    @allow_unlisted.setter
    def allow_unlisted(self, value: bool) -> None:
        self.local.allowed = None if value else self._listed

    def reset(self) -> None:
        """Empty, for the next test: no answers, no requests, no problems, and the access
        list of workspace.json as it is now."""
        super().reset()
        self.problems.clear()
        self._listed = frozenset(api_access.listed(self.root))
        self.allow_unlisted = api_access.unlisted_allowed()

    def _answer(
        self, request: api_standin.ApiRequest, headers: dict[str, str], query: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """ixoncdkingress's own lookups (`apiApplication` in the configuration values) are
        answered with the caller's resources, as IXON answers them, unless a test declares
        an answer of its own."""
        resource = self._runtime_lookup(request)
        if resource is None:
            return super()._answer(request, headers, query)
        return 200, {"type": request.name, "data": resource, "moreAfter": None, "status": "success"}

    def _runtime_lookup(self, request: api_standin.ApiRequest) -> dict[str, Any] | None:
        if request.name not in RUNTIME_RESOURCES or request.name in self._answers:
            return None
        if request.query != local_api.RUNTIME_LOOKUP_QUERY:
            return None
        resource = self.call_context.get(RUNTIME_RESOURCES[request.name])
        if not isinstance(resource, dict):
            return None
        wanted = request.url_args.get("publicId")
        if wanted is not None and wanted != resource.get("publicId"):
            return None
        return {key: resource.get(key) for key in ("publicId", "name", "custom")}

    def start(self) -> IxonApi:
        super().start()
        self.local.base_url = self.base_url
        return self


@pytest.fixture(scope="session")
def ixon_api_server() -> Iterator[IxonApi]:
    """The one stand-in server of the session; tests use `ixon_api`, which empties it first."""
    api = IxonApi(ROOT).start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def ixon_api(
    request: pytest.FixtureRequest, call_context: dict[str, Any], ixon_api_server: IxonApi
) -> Iterator[IxonApi]:
    """IXON's API v2 on loopback for this test: `ixon_api.answer(name, data=...)` declares
    an answer, `ixon_api.requests` lists what arrived (the token masked). ixoncdkingress's
    own lookups (MyUser, MyCompany, Agent, Asset, made when the configuration values hold
    `apiApplication`) get the calling context's resources unless declared. With the
    `ixon_recording` marker, the calls get recorded answers of IXON's API instead."""
    api = ixon_api_server
    api.reset()
    api.call_context = call_context
    marker = request.node.get_closest_marker(RECORDING_MARKER)
    misses: list[str] = []
    try:
        if marker is None:
            yield api
        else:
            from ixon_devkit.testing import recording  # noqa: PLC0415 (vcrpy: only when marked)

            name = str(marker.args[0]) if marker.args else request.node.name
            try:
                with recording.use(api.local, ROOT, name, recording.recording()) as misses:
                    yield api
            except settings.SettingsError as error:  # RecordingError, or no token to record
                pytest.fail(str(error), pytrace=False)
            if misses:
                api.problems.append(recording.miss_line(ROOT, name, misses))
    finally:
        problems = [*api.problems, *api.undeclared]
        api.reset()
    if problems:
        pytest.fail("IXON API calls that failed:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def function_context(
    context_values: dict[str, Any],
    call_context: dict[str, Any],
    document_store: Any,
    ixon_api: IxonApi,
) -> FunctionContext:
    """A real `FunctionContext`, as ixoncdkingress builds it for a call; its API client
    talks to `ixon_api`."""
    access = ixon_api.local.add_access(call_context)
    company = access.get("company") or {}
    api_client = ixon_api.local.client(
        ixon_api.local.base_url,
        api_application=access["apiApplication"]["publicId"],
        api_company=company.get("publicId"),
        authorization=access["accessToken"]["headerValue"],
    )
    return testing.make_function_context(
        config=context_values,
        call_context=call_context,
        store=document_store,
        api_client=api_client,
    )


@pytest.fixture
def client(
    request: pytest.FixtureRequest,
    call_context: dict[str, Any],
    document_store: Any,
    ixon_api: IxonApi,
) -> testing.FunctionClient:
    """Calls functions through ixoncdkingress: `client.call("example.greet", name="Ada")`;
    their IXON API calls go to `ixon_api`. Marked `ixon_production`: in production mode."""
    keys = None
    if request.node.get_closest_marker("ixon_production") is not None:
        from ixon_devkit.ship import production  # noqa: PLC0415 (cryptography: only when marked)

        keys = production.ensure_keys(ROOT)
    return testing.FunctionClient(
        ROOT, call_context, store=document_store, api=ixon_api.local, production=keys
    )


#: What a UI Component may do with a file; IXON asks the hook `authorize_<action>` first.
OBJECT_STORAGE_ACTIONS = ("upload", "list", "download", "update", "delete")


@pytest.fixture
def object_storage(client: testing.FunctionClient) -> Any:
    """`object_storage(action)`: the Object Storage hook for `action` (one of
    OBJECT_STORAGE_ACTIONS), called through ixoncdkingress by the name IXON calls it
    (`ayayot.objectstorage_v1.authorize_<action>`), with no arguments and the caller of
    `call_context` (its company, asset and agent with their permissions); its answer."""

    def authorize(action: str) -> Any:
        if action not in OBJECT_STORAGE_ACTIONS:
            raise ValueError(
                f"{action!r}: IXON's Object Storage actions are {OBJECT_STORAGE_ACTIONS}"
            )
        return client.call(f"ayayot.objectstorage_v1.authorize_{action}")

    return authorize
