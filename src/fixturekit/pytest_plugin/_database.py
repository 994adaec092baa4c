"""The database fixtures and the access guard.

Once a fixturekit database is configured (``fixturekit_database_url`` in the ini, or a
``fixturekit_database`` fixture set up during the run), a test that connects to it
without a database fixture or a ``db`` marker fails. The guard's hooks are registered
only from then on, and the watch for ``fixturekit_database`` fixtures only when a
collected test uses a database fixture, so runs without a database pay nothing.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from fixturekit.pytest_plugin._items import add_fixture, any_wants, wants_any
from fixturekit.pytest_plugin._options import DB_MARKERS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from fixturekit.db import DatabaseSandbox, TestDatabase

__all__ = [
    "configure",
    "db_sandbox",
    "db_session",
    "fixturekit_database",
    "fixturekit_db_access",
    "watch_database_fixtures",
]

_DB_FIXTURES = frozenset(
    {"fixturekit_database", "db_sandbox", "db_session", "async_db_sandbox", "async_db_session"}
)
#: The guard fixture a test without a database fixture or marker gets once a database
#: is configured (not for users: its name starts with an underscore).
_GUARD_FIXTURE = "_fixturekit_db_access"
#: URLs of the fixturekit_database fixtures set up in this run (the test database and
#: the URL it derives from): tests that ask for no database fixture may not connect.
_DB_GUARDED = pytest.StashKey[list[Any]]()
_GUARD_PLUGIN = "fixturekit-database-guard"
_WATCH_PLUGIN = "fixturekit-database-watch"


def configure(config: pytest.Config) -> None:
    if config.getini("fixturekit_database_url"):
        _start_guarding(config)


def _start_guarding(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(_GUARD_PLUGIN):
        config.pluginmanager.register(GuardUnaskedAccess(), _GUARD_PLUGIN)


class GuardUnaskedAccess:
    """Registered once a database is configured: tests that did not ask for one get the
    guard fixture, first among their function-scoped fixtures."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if wants_any(item, _DB_FIXTURES):
            return
        if any(item.get_closest_marker(name) is not None for name in DB_MARKERS):
            return
        if getattr(getattr(item, "cls", None), "database", None) is not None:
            return  # a unittest class with ``database`` set (HarnessTestCase) asks for it
        add_fixture(item, _GUARD_FIXTURE)


def _load_object(spec: str, option: str) -> Any:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise pytest.UsageError(
            f"{option} = {spec!r}: write it as 'package.module:attribute', "
            "e.g. 'myapp.models:Base.metadata'"
        )
    import importlib

    value: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise pytest.UsageError(
                f"{option} = {spec!r}: {module_name} has no attribute {attribute!r}"
            ) from None
    return value


@pytest.fixture(scope="session")
def fixturekit_database(pytestconfig: pytest.Config) -> Iterator[TestDatabase]:
    """The test database, for the whole run (one per xdist worker).

    Override it in conftest.py, or set fixturekit_database_url and fixturekit_schema
    (and fixturekit_session_class, fixturekit_seed_data); ``--fixturekit-reuse-db``
    keeps it for the next run (``keep=True``).
    """
    url = pytestconfig.getini("fixturekit_database_url")
    if not url:
        pytest.fail(
            "no fixturekit database is configured: set fixturekit_database_url (and "
            "fixturekit_schema = 'myapp.models:Base.metadata') in your pytest ini or "
            "pyproject, or define a fixturekit_database fixture in conftest.py that "
            "yields a started fixturekit.TestDatabase",
            pytrace=False,
        )
    from fixturekit.db import TestDatabase

    spec = pytestconfig.getini("fixturekit_schema")
    schema: Any = None
    if spec.split()[:1] == ["alembic"]:  # alembic [path/to/alembic.ini], from the rootdir
        from fixturekit.db import Alembic

        config = spec.split(maxsplit=1)[1] if len(spec.split()) > 1 else "alembic.ini"
        schema = Alembic(pytestconfig.rootpath / config)
    elif spec:
        schema = _load_object(spec, "fixturekit_schema")
    keep = bool(pytestconfig.getoption("fixturekit_reuse_db"))
    options: dict[str, Any] = {}
    for option, keyword in (
        ("fixturekit_session_class", "session_class"),
        ("fixturekit_seed_data", "seed"),
    ):
        spec = pytestconfig.getini(option)
        if spec:
            options[keyword] = _load_object(spec, option)
    try:
        database = TestDatabase(url, schema=schema, keep=keep, **options)
    except TypeError as exc:  # a session class or seed of the wrong kind
        raise pytest.UsageError(f"fixturekit ini: {exc}") from None
    with database:
        yield database


@pytest.fixture
def db_sandbox(
    fixturekit_database: TestDatabase, request: pytest.FixtureRequest
) -> Iterator[DatabaseSandbox]:
    """A DatabaseSandbox: everything done in it is rolled back after the test (which
    may not connect to the source database the test database derives from)."""
    from fixturekit.db._access import refuse_source

    with (
        fixturekit_database.sandbox() as sandbox,
        refuse_source(fixturekit_database, nodeid=request.node.nodeid),
    ):
        yield sandbox


@pytest.fixture
def db_session(db_sandbox: DatabaseSandbox) -> Session:
    """db_sandbox's shared Session (the one factories use); it may commit, and nothing
    outlives the test."""
    return db_sandbox.shared_session  # the sandbox closes it at exit


def watch_database_fixtures(config: pytest.Config, items: list[pytest.Item]) -> None:
    """After collection: when some test uses a database fixture, watch fixture setups
    for the ``fixturekit_database`` ones (other runs pay nothing per fixture)."""
    watching = config.pluginmanager.has_plugin(_WATCH_PLUGIN)
    if not watching and any_wants(items, _DB_FIXTURES):
        config.pluginmanager.register(WatchDatabaseSetup(), _WATCH_PLUGIN)


class WatchDatabaseSetup:
    """Notes each fixturekit_database set up (fixturekit's or the project's own): from
    then on its URLs are guarded."""

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> Generator[None, Any, None]:
        outcome = yield
        if fixturedef.argname != "fixturekit_database" or outcome.excinfo is not None:
            return
        database = outcome.get_result()
        from fixturekit.db import TestDatabase

        if isinstance(database, TestDatabase) and database.running:
            from fixturekit.db._access import guarded_urls

            request.config.stash.setdefault(_DB_GUARDED, []).extend(guarded_urls(database))
            _start_guarding(request.config)


@pytest.fixture(name=_GUARD_FIXTURE)
def fixturekit_db_access(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails the test if it connects to the fixturekit database without asking for it
    (set up only for such tests, once a database is configured)."""
    urls: list[Any] = list(request.config.stash.get(_DB_GUARDED, None) or ())
    ini = request.config.getini("fixturekit_database_url")
    if ini:
        urls.append(ini)
    if not urls:
        yield
        return
    from fixturekit.db._access import refuse

    def allowed() -> bool:  # also when the test asked via request.getfixturevalue()
        return not _DB_FIXTURES.isdisjoint(request.fixturenames)

    with refuse(
        urls, nodeid=request.node.nodeid, allowed=allowed, markers="@pytest.mark.fixturekit_db"
    ):
        yield
