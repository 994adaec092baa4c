"""The database part of fixturekit.testcase: ``database = TestDatabase(...)`` on a class.

A `TestDatabase` instance named by the class is started by the first test that needs
it and stays up for the rest of the process (stopped at exit), so every class naming
it shares one database. A zero-argument callable returning a `TestDatabase` gives each
class its own, started on its first test and stopped with the class's cleanups.
"""

from __future__ import annotations

import atexit
import weakref
from typing import Any

from fixturekit.db._async_sandbox import AsyncDatabaseSandbox
from fixturekit.db._database import TestDatabase

__all__ = ["open_async_sandbox", "open_sandbox"]

#: Databases fixturekit.testcase started for the whole process (stopped at exit).
_process: list[TestDatabase] = []
#: Per-class databases made from a callable ``database`` attribute.
_per_class: weakref.WeakKeyDictionary[type, TestDatabase] = weakref.WeakKeyDictionary()


def _stop_process_databases() -> None:
    while _process:
        _process.pop().stop()


def _database(cls: type[Any]) -> TestDatabase:
    spec = cls.database
    if isinstance(spec, TestDatabase):
        if not spec.running:
            spec.start()
            if not _process:
                atexit.register(_stop_process_databases)
            if spec not in _process:
                _process.append(spec)
        return spec
    if callable(spec) and not isinstance(spec, type):
        made = _per_class.get(cls)
        if made is None:
            made = spec()
            if not isinstance(made, TestDatabase):
                raise TypeError(
                    f"{cls.__qualname__}.database: {spec!r}() returned {made!r}, not a "
                    "fixturekit.TestDatabase; return TestDatabase(url, schema=...)"
                )
            made.start()
            _per_class[cls] = made

            def stop() -> None:
                _per_class.pop(cls, None)
                made.stop()

            cls.addClassCleanup(stop)
        return made
    raise TypeError(
        f"{cls.__qualname__}.database must be a fixturekit.TestDatabase (shared by every "
        "class naming it, started once per process) or a zero-argument function returning "
        f"one (a database per class), not {spec!r}; e.g. "
        "database = TestDatabase('sqlite:///app.db', schema=Base.metadata)"
    )


def _binds(cls: type[Any]) -> tuple[Any, ...]:
    makers = cls.database_bind
    if not isinstance(makers, (list, tuple)):
        raise TypeError(
            f"{cls.__qualname__}.database_bind must be a tuple of sessionmakers, engines "
            "or anything else sandbox.bind() takes (scoped_session, Flask-SQLAlchemy's db, "
            f"async ones for async tests), such as (SessionLocal,) or (db,), not {makers!r}"
        )
    return tuple(makers)


def open_sandbox(case: Any) -> None:
    """Set ``case.db_sandbox`` / ``case.db_session`` for one test of a HarnessTestCase."""
    cls = type(case)
    binds = _binds(cls)
    sandbox = _database(cls).sandbox().start()
    case.addCleanup(sandbox.stop)
    for maker in binds:
        sandbox.bind(maker)
    case.db_sandbox = sandbox
    case.db_session = sandbox.shared_session


async def open_async_sandbox(case: Any) -> None:
    """The same for IsolatedAsyncioHarnessTestCase, with an async sandbox."""
    cls = type(case)
    binds = _binds(cls)
    sandbox: AsyncDatabaseSandbox = await _database(cls).async_sandbox().start()
    case.addAsyncCleanup(sandbox.stop)
    for maker in binds:
        sandbox.bind(maker)
    case.db_sandbox = sandbox
    case.db_session = sandbox.shared_session
