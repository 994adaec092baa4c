"""fixturekit's pytest plugin: fixtures, markers and the run seed.

Loaded automatically through the ``pytest11`` entry point. Loading it imports nothing
but pytest and the standard library; fixturekit's blocks are imported by the fixtures
that use them.

Fixtures: ``clock``, ``harness``, ``fixturekit_seed``; the fakes ``mailer``,
``job_queue``, ``payments``, ``http_mock`` and ``tokens``; the database fixtures
``fixturekit_database``, ``db_sandbox``, ``db_session`` (and, with pytest-asyncio,
``async_db_sandbox`` and ``async_db_session``); ``network_guard``; plus one per fake or
factory registered with `register_fake` / `register_factory`.

Markers: ``clock`` (alias ``fixturekit_clock``), ``allow_network`` (alias
``fixturekit_allow_network``), ``db`` (alias ``fixturekit_db``). Options:
``--fixturekit-seed``, ``--fixturekit-reuse-db``; ini options ``fixturekit_database_url``,
``fixturekit_schema``, ``fixturekit_strict``, ``fixturekit_network_guard`` and
``fixturekit_allow_hosts``.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import os
import sys
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from fixturekit._netguard import NetworkGuard
    from fixturekit.clock import Clock
    from fixturekit.db import DatabaseSandbox, TestDatabase
    from fixturekit.harness import Fake, Harness
    from fixturekit.http import FakeHTTP
    from fixturekit.mail import FakeMailer
    from fixturekit.queue import FakeQueue

__all__ = ["register_factory", "register_fake"]

#: The marker names that configure the ``clock`` fixture, the short one first.
CLOCK_MARKERS = ("clock", "fixturekit_clock")
_CLOCK_KEYWORDS = ("start", "tick", "patch")
#: Fixture names register_fake() refuses, because fixturekit's own fixtures use them.
_OWN_FIXTURES = frozenset(
    {
        "clock",
        "harness",
        "fixturekit_seed",
        "request",
        "fixturekit_database",
        "db_sandbox",
        "db_session",
        "async_db_sandbox",
        "async_db_session",
    }
)

_RUN_SEED = pytest.StashKey[int]()
_TEST_SEED = pytest.StashKey[int]()
_HARNESS = pytest.StashKey["Harness"]()


@dataclass(frozen=True)
class _CurrentTest:
    """The test pytest is running in this process (read by fixturekit.testcase)."""

    item: pytest.Item
    run_seed: int
    test_seed: int


_current: _CurrentTest | None = None


# --- options, markers and the run seed ------------------------------------------------


def _seed_option(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"expected a whole number >= 0 such as 1234, got {text!r}; "
            "copy the seed from the 'fixturekit: run seed' header line"
        )
    return value


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fixturekit")
    group.addoption(
        "--fixturekit-seed",
        dest="fixturekit_seed",
        type=_seed_option,
        default=None,
        metavar="N",
        help="run seed for random, Faker and fixturekit's factories (an int >= 0); "
        "each test is seeded from it and its node id. Default: a new random seed per run.",
    )
    group.addoption(
        "--fixturekit-reuse-db",
        dest="fixturekit_reuse_db",
        action="store_true",
        default=False,
        help="keep the fixturekit_database test database after the run and reuse it in the "
        "next one while its schema is unchanged (TestDatabase(keep=True))",
    )
    parser.addini(
        "fixturekit_database_url",
        default="",
        help="URL the fixturekit_database fixture derives its test database from "
        "(e.g. postgresql://localhost/app -> app_test)",
    )
    parser.addini(
        "fixturekit_schema",
        default="",
        help="schema for fixturekit_database, as 'package.module:Base.metadata' "
        "(MetaData or a callable receiving a Connection), or 'alembic' (alembic upgrade "
        "head with the rootdir's alembic.ini; 'alembic path/to/alembic.ini' for another)",
    )
    parser.addini(
        "fixturekit_strict",
        type="bool",
        default=False,
        help="fail a test whose mailer or job queue holds mail or jobs that no assertion "
        "looked at (strict=True for every test's fakes). Default: false.",
    )
    parser.addini(
        "fixturekit_network_guard",
        type="bool",
        default=False,
        help="refuse every socket connection a test makes to a host outside "
        "fixturekit_allow_hosts (fixturekit.NetworkGuard around each test's setup, call "
        "and teardown); @pytest.mark.allow_network lifts it for one test. Default: false.",
    )
    parser.addini(
        "fixturekit_allow_hosts",
        type="linelist",
        default=list(_DEFAULT_ALLOWED),
        help="the hosts (names, addresses, networks such as 10.0.0.0/8) tests may reach "
        "while the network guard is on. Default: 127.0.0.1 ::1 localhost.",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests() -> None:
    """Install the time trampolines before conftest.py (and the app it imports) loads,
    so that functions grabbed at import time (``default_factory=datetime.now``) follow
    clocks too."""
    from fixturekit.clock import install

    install()


def pytest_configure(config: pytest.Config) -> None:
    from fixturekit.clock import install

    install()  # again, for when the plugin was registered too late for the hook above
    if config.pluginmanager.hasplugin("asyncio"):
        # The async fixtures need pytest-asyncio's decorator; loading them only when
        # pytest-asyncio runs keeps this plugin from importing it (and asyncio) itself.
        from fixturekit import _pytest_asyncio

        if not config.pluginmanager.is_registered(_pytest_asyncio):
            config.pluginmanager.register(_pytest_asyncio, "fixturekit-asyncio")
    for name in NETWORK_MARKERS:
        config.addinivalue_line(
            "markers",
            f"{name}(*hosts): with no argument, the test may use the network (the "
            "fixturekit network guard is off for it); with hosts, it may reach those hosts "
            "as well as fixturekit_allow_hosts.",
        )

    for name in DB_MARKERS:
        config.addinivalue_line(
            "markers",
            f"{name}: the test uses the fixturekit test database on purpose without a "
            "database fixture (otherwise connecting to it fails the test once a "
            "fixturekit database is configured).",
        )
    for name in CLOCK_MARKERS:
        config.addinivalue_line(
            "markers",
            f"{name}(start=None, *, tick=False, patch=True): run the test under a "
            "fixturekit.Clock started at `start` (ISO 8601 string, date, datetime or "
            "timestamp; default: now); it is also what the `clock` fixture returns.",
        )
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and "fixturekit_seed" in workerinput:
        run_seed = int(workerinput["fixturekit_seed"])
    elif config.option.fixturekit_seed is not None:
        run_seed = config.option.fixturekit_seed
    else:
        run_seed = int.from_bytes(os.urandom(4), "big") >> 1  # 0 .. 2**31 - 1
    config.stash[_RUN_SEED] = run_seed


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: hand the controller's run seed to every worker."""
    node.workerinput["fixturekit_seed"] = node.config.stash[_RUN_SEED]


def pytest_report_header(config: pytest.Config) -> str:
    seed = config.stash[_RUN_SEED]
    return f"fixturekit: run seed {seed} (rerun with --fixturekit-seed={seed})"


def run_seed(config: pytest.Config) -> int:
    """The run seed of this pytest run (the same in every xdist worker)."""
    return config.stash[_RUN_SEED]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    global _current
    from fixturekit._internal import seed as _seed

    run = item.config.stash[_RUN_SEED]
    test_seed = _seed.derive_seed(run, item.nodeid)
    item.stash[_TEST_SEED] = test_seed
    _current = _CurrentTest(item, run, test_seed)
    _seed.seed(test_seed)


@pytest.hookimpl(trylast=True)
def pytest_runtest_logfinish() -> None:
    global _current
    _current = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.failed and _TEST_SEED in item.stash:
        report.sections.append(("fixturekit", failure_section(item)))


def failure_section(item: pytest.Item) -> str:
    """The text fixturekit adds to a failing test's report."""
    run = item.config.stash[_RUN_SEED]
    quoted = "'" + item.nodeid.replace("'", "'\"'\"'") + "'"
    lines = [
        f"test seed {item.stash[_TEST_SEED]} (run seed {run})",
        f"rerun: pytest --fixturekit-seed={run} {quoted}",
    ]
    harness = item.stash.get(_HARNESS, None)
    if harness is not None:
        lines += ["", "timeline:", str(harness.timeline)]
    return "\n".join(lines)


def _adopt_harness(harness: Harness) -> bool:
    """Show ``harness``'s timeline in the current test's failure report (for testcase.py).

    Returns False when no test is running under this plugin.
    """
    if _current is None:
        return False
    _current.item.stash[_HARNESS] = harness
    return True


# --- fixtures -------------------------------------------------------------------------


def _clock_marker(node: pytest.Item) -> pytest.Mark | None:
    for mark in node.iter_markers():
        if mark.name in CLOCK_MARKERS:
            return mark
    return None


def _describe(mark: pytest.Mark) -> str:
    parts = [repr(arg) for arg in mark.args]
    parts += [f"{key}={value!r}" for key, value in mark.kwargs.items()]
    return f"@pytest.mark.{mark.name}({', '.join(parts)})"


def clock_from_marker(node: pytest.Item) -> Clock:
    """The (not yet started) Clock that the test's clock marker asks for."""
    from fixturekit.clock import Clock

    mark = _clock_marker(node)
    if mark is None:
        return Clock()
    unknown = sorted(set(mark.kwargs) - set(_CLOCK_KEYWORDS))
    problem = None
    if unknown:
        problem = (
            f"unknown keyword {', '.join(map(repr, unknown))}; "
            f"the marker takes {', '.join(_CLOCK_KEYWORDS)}"
        )
    elif len(mark.args) > 1 or (mark.args and "start" in mark.kwargs):
        problem = "give one start time, e.g. @pytest.mark.clock('2024-01-01', tick=True)"
    else:
        try:
            return Clock(*mark.args, **mark.kwargs)
        except (TypeError, ValueError) as exc:
            problem = str(exc)
    pytest.fail(f"{_describe(mark)} on {node.nodeid}: {problem}", pytrace=False)


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> Iterator[Clock]:
    """A running fixturekit.Clock: frozen now, or as ``@pytest.mark.clock(...)`` says."""
    with clock_from_marker(request.node) as running:
        yield running


@pytest.fixture(autouse=True)
def _fixturekit_clock_marker(request: pytest.FixtureRequest) -> None:
    """A clock marker runs the test under the clock even if it does not ask for it."""
    if _clock_marker(request.node) is not None:
        request.getfixturevalue("clock")


@pytest.fixture
def harness(request: pytest.FixtureRequest, clock: Clock) -> Iterator[Harness]:
    """A running fixturekit.Harness on the ``clock`` fixture; fake fixtures join it."""
    from fixturekit.harness import Harness

    running = Harness(clock=clock)
    request.node.stash[_HARNESS] = running
    with running:
        yield running


@pytest.fixture
def fixturekit_seed(request: pytest.FixtureRequest) -> int:
    """This test's seed: random and Faker were seeded with it before the test's setup."""
    node: pytest.Item = request.node
    seed = node.stash.get(_TEST_SEED, None)
    if seed is None:  # pragma: no cover - only if another plugin skipped our setup hook
        from fixturekit._internal import seed as _seed

        seed = _seed.derive_seed(request.config.stash[_RUN_SEED], node.nodeid)
    return seed


# --- fakes as fixtures ------------------------------------------------------------------


def _fake_fixture(
    factory: Callable[[], Fake],
    name: str,
    doc: str,
    *,
    method: bool = False,
    rename: bool = False,
) -> Any:
    """Build the fixture ``name``: ``factory()`` added to (and entered by) the harness.

    A fake fixture of fixturekit's own is this plus a lazy import of the fake's module
    inside ``factory``; the fake keeps its own name on the harness (the ``job_queue``
    fixture is ``harness.queue``). ``rename=True`` gives each fake the fixture's name
    instead, so one class can back several fixtures. ``method=True`` makes a fixture
    for a class body (it takes self).
    """

    def make(harness: Harness) -> Fake:
        fake = factory()
        if rename and fake.name != name:
            fake.name = name
        return harness.add(fake)

    def fixture_method(self: object, harness: Harness) -> Fake:
        return make(harness)

    fixture = fixture_method if method else make
    fixture.__name__ = name
    fixture.__qualname__ = name
    fixture.__doc__ = doc
    return pytest.fixture(name=name)(fixture)


def register_fake(fake_cls: type[Fake], *, name: str | None = None) -> Any:
    """Make a fixture for a custom fake: ``register_fake(FakeSMS)`` in ``conftest.py``.

    The fixture is named ``name`` or ``fake_cls.name``; per test it creates
    ``fake_cls()``, adds it to the ``harness`` fixture (so it shares the test's clock
    and timeline and is entered now, and stopped when the harness exits) and returns it.
    The fixture is put into the calling module (or class body), which is how pytest
    finds it, and also returned, so ``sms = register_fake(FakeSMS)`` works as well.
    """
    from fixturekit.harness import Fake, check_fake_name

    given: object = fake_cls  # checked at runtime: conftest files are rarely type-checked
    if isinstance(given, Fake):
        kind = type(given).__name__
        raise TypeError(
            f"register_fake() takes the fake's class, not an instance: write "
            f"register_fake({kind}) instead of register_fake({kind}())"
        )
    if not (isinstance(given, type) and issubclass(given, Fake)):
        raise TypeError(
            f"register_fake() takes a fixturekit.Fake subclass, not {given!r}; "
            "write `class FakeSMS(fk.Fake): name = 'sms'` and register_fake(FakeSMS)"
        )
    if name is None:
        if not fake_cls.name:
            raise ValueError(
                f"{fake_cls.__qualname__} has no name; set a class attribute such as "
                f"name = 'sms', or write register_fake({fake_cls.__qualname__}, name='sms')"
            )
        name = fake_cls.name
    check_fake_name(name, "register_fake()'s fixture name")
    if name in _OWN_FIXTURES:
        raise ValueError(
            f"register_fake() cannot name a fixture {name!r}: fixturekit's own fixture "
            "has that name; pass another name=..."
        )
    caller = sys._getframe(1)
    # A module or class body (not a function): its namespace is where pytest looks.
    inject = not caller.f_code.co_flags & inspect.CO_OPTIMIZED
    in_class = inject and caller.f_locals is not caller.f_globals
    fixture = _fake_fixture(
        fake_cls,
        name,
        f"A running {fake_cls.__qualname__}, on the test's harness clock and timeline.",
        method=in_class,
        rename=True,
    )
    if inject:
        caller.f_locals[name] = fixture
    return fixture


def register_factory(factory_cls: type, *, name: str | None = None) -> Any:
    """Make a fixture for a factory: ``register_factory(UserFactory)`` in ``conftest.py``
    gives a ``user_factory`` fixture (or ``name``), put into the calling module and
    returned, like `register_fake`."""
    from fixturekit.factories._fixtures import register_factory as register

    if name is not None and name in _OWN_FIXTURES:
        raise ValueError(
            f"register_factory() cannot name a fixture {name!r}: fixturekit's own fixture "
            "has that name; pass another name=..."
        )
    return register(factory_cls, name=name, _depth=2)


# --- fixturekit's own fakes -------------------------------------------------------------


def _token_minter() -> Fake:
    from fixturekit.tokens import TokenMinter

    return TokenMinter()


tokens = _fake_fixture(
    _token_minter,
    "tokens",
    "A running fixturekit.TokenMinter (RS256, issuer https://issuer.test, audience api) "
    "on the test's clock, joined to the harness.",
)


def _strict(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getini("fixturekit_strict"))


@pytest.fixture
def mailer(request: pytest.FixtureRequest, harness: Harness) -> FakeMailer:
    """A running fixturekit.FakeMailer on the test's clock, joined to the harness
    (harness.mailer); strict when the fixturekit_strict ini option is true."""
    from fixturekit.mail import FakeMailer

    return harness.add(FakeMailer(strict=_strict(request)))


@pytest.fixture
def job_queue(request: pytest.FixtureRequest, harness: Harness) -> FakeQueue:
    """A running fixturekit.FakeQueue on the test's clock, joined to the harness as
    harness.queue: push, assert_pushed, run_due/run_all; strict when the
    fixturekit_strict ini option is true."""
    from fixturekit.queue import FakeQueue

    return harness.add(FakeQueue(strict=_strict(request)))


def _payments() -> Fake:
    from fixturekit.payments import FakePayments

    return FakePayments()


payments = _fake_fixture(
    _payments,
    "payments",
    "A running fixturekit.FakePayments (a stateful, in-memory Stripe) on the test's clock, "
    "joined to the harness; payments.stripe_api() serves it to the official stripe SDK.",
)


# --- database -----------------------------------------------------------------------------


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

    Override it in conftest.py, or set fixturekit_database_url and fixturekit_schema;
    ``--fixturekit-reuse-db`` keeps it for the next run (``keep=True``).
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
    with TestDatabase(url, schema=schema, keep=keep) as database:
        yield database


@pytest.fixture
def db_sandbox(fixturekit_database: TestDatabase) -> Iterator[DatabaseSandbox]:
    """A DatabaseSandbox: everything done in it is rolled back after the test."""
    with fixturekit_database.sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def db_session(db_sandbox: DatabaseSandbox) -> Session:
    """db_sandbox's shared Session (the one factories use); it may commit, and nothing
    outlives the test."""
    return db_sandbox.shared_session  # the sandbox closes it at exit


#: The markers that let a test use the fixturekit database without a database fixture.
DB_MARKERS = ("fixturekit_db", "db")
_DB_FIXTURES = frozenset(
    {"fixturekit_database", "db_sandbox", "db_session", "async_db_sandbox", "async_db_session"}
)
#: URLs of the fixturekit_database fixtures set up in this run (the test database and
#: the URL it derives from): tests that ask for no database fixture may not connect.
_DB_GUARDED = pytest.StashKey[list[Any]]()


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, None]:
    outcome = yield
    if fixturedef.argname == "fixturekit_database" and outcome.excinfo is None:
        database = outcome.get_result()
        from fixturekit.db import TestDatabase

        if isinstance(database, TestDatabase) and database.running:
            from fixturekit.db._access import guarded_urls

            request.config.stash.setdefault(_DB_GUARDED, []).extend(guarded_urls(database))


@pytest.fixture(autouse=True)
def _fixturekit_db_access(request: pytest.FixtureRequest) -> Iterator[None]:
    """Once a fixturekit database is configured, a test that connects to it without a
    database fixture or marker fails, instead of writing outside any sandbox."""
    urls: list[Any] = list(request.config.stash.get(_DB_GUARDED, None) or ())
    ini = request.config.getini("fixturekit_database_url")
    if ini:
        urls.append(ini)
    node = request.node
    if (
        not urls
        or _DB_FIXTURES.intersection(request.fixturenames)
        or any(node.get_closest_marker(name) is not None for name in DB_MARKERS)
    ):
        yield
        return
    from fixturekit.db._access import refuse

    def allowed() -> bool:  # also when the test asked via request.getfixturevalue()
        return bool(_DB_FIXTURES.intersection(request.fixturenames))

    with refuse(urls, nodeid=node.nodeid, allowed=allowed, markers="@pytest.mark.fixturekit_db"):
        yield


# --- network guard and the HTTP fake -------------------------------------------------

#: The markers that allow the network for one test, the short one first.
NETWORK_MARKERS = ("allow_network", "fixturekit_allow_network")
_DEFAULT_ALLOWED = ("127.0.0.1", "::1", "localhost")

_GUARD = pytest.StashKey["NetworkGuard | None"]()
_GUARD_ERROR = pytest.StashKey["BaseException | None"]()
_CALL_FAILED = pytest.StashKey[bool]()


def _network_marker(item: pytest.Item) -> pytest.Mark | None:
    for mark in item.iter_markers():
        if mark.name in NETWORK_MARKERS:
            return mark
    return None


def _allowed_hosts(item: pytest.Item) -> tuple[str, ...] | None:
    """The hosts the test may reach, or None when its marker allows the whole network."""
    hosts = tuple(item.config.getini("fixturekit_allow_hosts"))
    mark = _network_marker(item)
    if mark is None:
        return hosts
    if mark.kwargs or not all(isinstance(host, str) and host for host in mark.args):
        pytest.fail(
            f"@pytest.mark.{mark.name} on {item.nodeid} takes host names only, e.g. "
            f"@pytest.mark.{mark.name}('api.partner.test'), or nothing to allow the whole "
            f"network; got args {mark.args!r} and keywords {mark.kwargs!r}",
            pytrace=False,
        )
    if not mark.args:
        return None
    return hosts + tuple(mark.args)


def _make_guard(item: pytest.Item) -> NetworkGuard | None:
    hosts = _allowed_hosts(item)
    if hosts is None:
        return None
    from fixturekit._netguard import NetworkGuard

    try:
        return NetworkGuard(allow=hosts)
    except (TypeError, ValueError) as exc:
        pytest.fail(f"fixturekit network guard for {item.nodeid}: {exc}", pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, Any, None]:
    """With fixturekit_network_guard on, run each test (setup, call, teardown) guarded."""
    guard = None
    item.stash[_GUARD_ERROR] = None
    if item.config.getini("fixturekit_network_guard"):
        try:
            guard = _make_guard(item)
        except pytest.fail.Exception as exc:  # a bad marker: reported as the test's failure
            item.stash[_GUARD_ERROR] = exc
    item.stash[_GUARD] = guard
    with guard if guard is not None else contextlib.nullcontext():
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, None]:
    """Remember whether the test failed (for http_mock), and fail a test that passed only
    because the application swallowed a refused connection."""
    error = item.stash.get(_GUARD_ERROR, None)
    if error is not None:
        item.stash[_CALL_FAILED] = True
        raise error
    guard = item.stash.get(_GUARD, None)
    before = len(guard.blocked) if guard is not None else 0
    outcome = yield
    failed = outcome.excinfo is not None
    item.stash[_CALL_FAILED] = failed
    # A test that takes the network_guard fixture handles refusals itself (it may expect
    # one); it can call network_guard.assert_nothing_blocked().
    manages_guard = "network_guard" in getattr(item, "fixturenames", ())
    if guard is not None and not failed and not manages_guard:
        blocked = guard.blocked[before:]
        if blocked:
            listing = "\n".join(f"  - {entry}" for entry in blocked)
            outcome.force_exception(
                pytest.fail.Exception(
                    "the test passed, but the fixturekit network guard refused "
                    f"{len(blocked)} connection(s) that the code under test swallowed:\n"
                    f"{listing}\nfake the service (the http_mock fixture answers httpx) "
                    "or allow the host with @pytest.mark.allow_network('host')",
                    pytrace=False,
                )
            )


@pytest.fixture
def network_guard(request: pytest.FixtureRequest) -> Iterator[NetworkGuard]:
    """The fixturekit.NetworkGuard around this test: the one the ini option started, or
    one started now (allowing fixturekit_allow_hosts and the marker's hosts)."""
    node: pytest.Item = request.node
    active = node.stash.get(_GUARD, None)
    if active is not None:
        yield active
        return
    mark = _network_marker(node)
    if mark is not None and not mark.args:
        pytest.fail(
            f"{node.nodeid} asks for the network_guard fixture and is marked "
            f"@pytest.mark.{mark.name} (the whole network allowed); drop one of the two",
            pytrace=False,
        )
    guard = _make_guard(node)
    assert guard is not None
    with guard:
        yield guard


@pytest.fixture
def http_mock(request: pytest.FixtureRequest, harness: Harness) -> Iterator[FakeHTTP]:
    """A running fixturekit.FakeHTTP (``harness.http``) on the test's clock: strict, so a
    request no route matches, or a route never called, fails the test."""
    from fixturekit.http import FakeHTTP

    fake = harness.add(FakeHTTP())
    yield fake
    if request.node.stash.get(_CALL_FAILED, False):
        fake.skip_exit_checks()  # report the test's own failure, not the routes it left
