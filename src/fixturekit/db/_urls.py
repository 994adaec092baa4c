"""URLs: drivers for sync and async use, test database names, the name guard."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from fixturekit.errors import MissingDriverError, UnsafeDatabaseError

__all__ = [
    "BACKENDS",
    "async_url",
    "check_driver",
    "check_name",
    "is_memory",
    "normalise",
    "test_database_name",
    "worker_suffix",
]

#: Backends TestDatabase knows, by SQLAlchemy dialect name.
BACKENDS = ("sqlite", "postgresql", "mysql", "mariadb")

#: (sync driver, async driver) used when a URL names no driver, or the other mode's one.
_DEFAULT_DRIVERS = {
    "sqlite": ("pysqlite", "aiosqlite"),
    "postgresql": ("psycopg", "asyncpg"),
    "mysql": ("pymysql", "aiomysql"),
    "mariadb": ("pymysql", "aiomysql"),
}
#: Async drivers SQLAlchemy has, and the sync driver each maps to.
_ASYNC_TO_SYNC = {
    "aiosqlite": "pysqlite",
    "asyncpg": "psycopg",
    "psycopg_async": "psycopg",
    "aiomysql": "pymysql",
    "asyncmy": "pymysql",
}
ASYNC_DRIVERS = frozenset(_ASYNC_TO_SYNC)
#: driver -> (module to import, fixturekit extra that installs it)
_DRIVER_PACKAGES = {
    "pysqlite": ("sqlite3", ""),
    "aiosqlite": ("aiosqlite", "sqlite-async"),
    "psycopg": ("psycopg", "postgres"),
    "psycopg_async": ("psycopg", "postgres"),
    "asyncpg": ("asyncpg", "postgres-async"),
    "psycopg2": ("psycopg2", ""),
    "pymysql": ("pymysql", "mysql"),
    "aiomysql": ("aiomysql", "mysql-async"),
    "asyncmy": ("asyncmy", ""),
    "mysqldb": ("MySQLdb", ""),
}
_NAME = re.compile(r"^[A-Za-z0-9_]+$")
#: The longest database name PostgreSQL (63) and MySQL (64) both accept.
MAX_NAME = 63


def normalise(url: str | URL) -> URL:
    """The URL with a sync driver named: ``postgresql://`` becomes ``postgresql+psycopg://``."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in BACKENDS:
        raise ValueError(
            f"TestDatabase does not support {backend!r} URLs ({parsed!r}); "
            f"use one of {', '.join(BACKENDS)}"
        )
    driver = parsed.get_driver_name()
    if "+" not in parsed.drivername:
        driver = _DEFAULT_DRIVERS[backend][0]
    elif driver in _ASYNC_TO_SYNC:
        driver = _ASYNC_TO_SYNC[driver]
    return parsed.set(drivername=f"{backend}+{driver}")


def async_url(url: URL, given: URL) -> URL:
    """``url`` (a normalised sync URL) with the async driver matching the ``given`` URL."""
    backend = url.get_backend_name()
    given_driver = given.get_driver_name() if "+" in given.drivername else ""
    driver = given_driver if given_driver in _ASYNC_TO_SYNC else _DEFAULT_DRIVERS[backend][1]
    return url.set(drivername=f"{backend}+{driver}")


def check_driver(url: URL) -> None:
    """Raise MissingDriverError, naming the extra to install, if ``url``'s driver is missing."""
    driver = url.get_driver_name()
    module, extra = _DRIVER_PACKAGES.get(driver, ("", ""))
    if not module or importlib.util.find_spec(module) is not None:
        return
    how = f'pip install "fixturekit[{extra}]"' if extra else f"install the {module} package"
    raise MissingDriverError(
        f"the {url.drivername} URL needs the {module!r} driver, which is not installed; {how}"
    )


def is_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def worker_suffix() -> str:
    """``_gw0`` under a pytest-xdist worker, else empty."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"_{worker}" if worker else ""


def test_database_name(url: URL, *, name: str | None, per_worker: bool) -> str:
    """The test database's name: ``name`` or ``<url's database>_test``, plus a worker suffix."""
    if name is None:
        base = url.database or ""
        if url.get_backend_name() == "sqlite":
            base = "memory" if is_memory(url) else Path(base).stem
        if not base:
            raise ValueError(
                f"the URL {url.render_as_string(hide_password=True)!r} names no database, so "
                "there is no name to derive the test database's from; add one to the URL "
                "(e.g. .../app, which gives app_test) or pass name='app_test'"
            )
        name = f"{base}_test"
    if per_worker:
        name += worker_suffix()
    return name


# pytest would collect the function above as a test from modules importing it.
test_database_name.__test__ = False  # type: ignore[attr-defined]


def check_name(name: str, *, allow_unsafe: bool) -> None:
    """Refuse names that are not plainly test databases, or that need quoting."""
    if not _NAME.match(name) or len(name) > MAX_NAME:
        raise ValueError(
            f"refusing database name {name!r}: use at most {MAX_NAME} letters, digits and "
            "underscores, e.g. 'app_test'"
        )
    if "test" not in name.lower() and not allow_unsafe:
        raise UnsafeDatabaseError(
            f"refusing database {name!r}: its name has no 'test' in it, and TestDatabase "
            "drops and recreates the database it uses; pass allow_unsafe=True or point at a "
            "test database (e.g. name='app_test')"
        )
