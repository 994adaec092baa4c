"""pytest: refuse connections to the configured test database from tests that did
not ask for a database fixture (used by fixturekit's plugin)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url

from fixturekit.db import _escapes
from fixturekit.db._database import TestDatabase

__all__ = ["guarded_urls", "refuse", "refuse_source"]

#: What a test may ask for to use the database, the one to suggest first.
FIXTURES = (
    "db_session",
    "db_sandbox",
    "async_db_session",
    "async_db_sandbox",
    "fixturekit_database",
)


def guarded_urls(database: TestDatabase) -> list[URL]:
    """The running test database's URL and the URL it was derived from."""
    return [database.url, database.source_url]


def _from_ini(url: str) -> list[URL]:
    """The ini's URL, and the test database TestDatabase would derive from it."""
    given = make_url(url)
    urls = [given]
    try:
        derived = TestDatabase(given)
    except Exception:  # the fixture reports a bad URL when a test asks for it
        return urls
    if derived.backend != "sqlite":  # SQLite test databases live in a temporary directory
        urls.append(derived.source_url.set(database=derived.name))
    return urls


@contextlib.contextmanager
def refuse(
    urls: Iterable[URL | str], *, nodeid: str, allowed: Callable[[], bool], markers: str
) -> Iterator[None]:
    """While the block runs, connecting to any of ``urls`` fails the test (unless
    ``allowed()`` says the test asked for a database fixture meanwhile)."""
    identities: set[tuple[object, ...]] = set()
    for url in urls:
        for each in _from_ini(url) if isinstance(url, str) else [url]:
            found = _escapes.identity(each)
            if found is not None:
                identities.add(found)

    def check(conn: Connection) -> None:
        engine: Engine = conn.engine
        if engine in _escapes._internal or _escapes._engine_identity(engine) not in identities:
            return
        if allowed():
            return
        import pytest

        shown = engine.url.render_as_string(hide_password=True)
        pytest.fail(
            f"{nodeid} connected to {shown}, the fixturekit test database (or the database "
            "it is derived from), without asking for it, so what it writes would not be "
            f"rolled back. Add the db_session fixture to the test (or {', '.join(FIXTURES[1:])}"
            f"), or mark it {markers} if it uses the database on purpose",
            pytrace=False,
        )

    if not identities:
        yield
        return
    event.listen(Engine, "engine_connect", check)
    try:
        yield
    finally:
        event.remove(Engine, "engine_connect", check)


@contextlib.contextmanager
def refuse_source(database: TestDatabase, *, nodeid: str) -> Iterator[None]:
    """While the block runs (a test with a database fixture), connecting to the source
    database (the one the test database's name derives from) fails the test: the code
    under test is not using the test database. Engines bound to a sandbox never connect."""
    source = database._source_to_watch()
    found = _escapes.identity(source) if source is not None else None
    if found is None:
        yield
        return

    def check(conn: Connection) -> None:
        engine: Engine = conn.engine
        if getattr(conn, "_fk_root", None) is not None or engine in _escapes._internal:
            return  # joins a sandbox (sandbox.bind(engine)), or fixturekit's own
        if _escapes._engine_identity(engine) != found:
            return
        import pytest

        shown = engine.url.render_as_string(hide_password=True)
        pytest.fail(
            f"{nodeid} connected to {shown}, the SOURCE database the fixturekit test "
            f"database {database.name!r} is derived from: the code under test is not using "
            "the test database, and would read or write real data. Point it at the test "
            "database (fixturekit_database.url), or bind its engine or sessionmaker: "
            "db_sandbox.bind(engine)",
            pytrace=False,
        )

    event.listen(Engine, "engine_connect", check)
    try:
        yield
    finally:
        event.remove(Engine, "engine_connect", check)
