"""How TestDatabase names the test database, and the URL and driver it uses."""

from __future__ import annotations

import pytest

from fixturekit.db import MissingDriverError, TestDatabase, UnsafeDatabaseError
from fixturekit.db._urls import check_driver, normalise


@pytest.fixture(autouse=True)
def no_xdist_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://localhost/app", "app_test"),
        ("mysql://root@localhost/shop", "shop_test"),
        ("postgresql://localhost/test", "test_test"),
        ("sqlite:///data/app.db", "app_test"),
        ("sqlite://", "memory_test"),
    ],
)
def test_name_is_the_url_database_plus_test(url: str, expected: str) -> None:
    assert TestDatabase(url).name == expected


def test_name_gets_the_xdist_worker_suffix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    assert TestDatabase("postgresql://localhost/app").name == "app_test_gw3"
    assert TestDatabase("postgresql://localhost/app", name="x_test").name == "x_test_gw3"
    assert TestDatabase("postgresql://localhost/app", per_worker=False).name == "app_test"


def test_name_overrides_the_derived_name() -> None:
    assert TestDatabase("postgresql://localhost/app", name="ci_test").name == "ci_test"


def test_url_without_a_database_needs_a_name() -> None:
    with pytest.raises(ValueError, match=r"names no database.*name='app_test'"):
        TestDatabase("postgresql://localhost")
    assert TestDatabase("postgresql://localhost", name="app_test").name == "app_test"


@pytest.mark.parametrize("name", ["shop", "production", "app_tset"])
def test_name_without_test_is_refused(name: str) -> None:
    with pytest.raises(UnsafeDatabaseError, match=rf"refusing database '{name}'.*allow_unsafe"):
        TestDatabase("postgresql://localhost/app", name=name)


def test_name_without_test_is_accepted_with_allow_unsafe() -> None:
    assert TestDatabase("postgresql://localhost/app", name="shop", allow_unsafe=True).name == (
        "shop"
    )


@pytest.mark.parametrize("name", ["app-test", 'x"; DROP DATABASE y; --test', "t" * 60 + "test"])
def test_names_that_need_quoting_or_are_too_long_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="letters, digits and underscores"):
        TestDatabase("postgresql://localhost/app", name=name)


@pytest.mark.parametrize(
    ("url", "sync", "async_"),
    [
        ("postgresql://u@h/app", "postgresql+psycopg", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@h/app", "postgresql+psycopg", "postgresql+asyncpg"),
        ("postgresql+psycopg_async://u@h/app", "postgresql+psycopg", "postgresql+psycopg_async"),
        ("postgresql+psycopg2://u@h/app", "postgresql+psycopg2", "postgresql+asyncpg"),
        ("mysql://u@h/app", "mysql+pymysql", "mysql+aiomysql"),
        ("mysql+aiomysql://u@h/app", "mysql+pymysql", "mysql+aiomysql"),
        ("mariadb://u@h/app", "mariadb+pymysql", "mariadb+aiomysql"),
        ("sqlite://", "sqlite+pysqlite", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///app.db", "sqlite+pysqlite", "sqlite+aiosqlite"),
    ],
)
def test_urls_get_a_sync_and_an_async_driver(url: str, sync: str, async_: str) -> None:
    with (
        TestDatabase(url, name="drivers_test")
        if url.startswith("sqlite")
        else _Unstarted(url) as db
    ):
        assert db.url.drivername == sync
        assert db.async_url.drivername == async_


class _Unstarted:
    """The URLs of a server TestDatabase without connecting to a server."""

    def __init__(self, url: str) -> None:
        self.db = TestDatabase(url)

    def __enter__(self) -> _Unstarted:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    @property
    def url(self) -> object:
        return normalise(self.db._given)

    @property
    def async_url(self) -> object:
        from fixturekit.db._urls import async_url

        return async_url(normalise(self.db._given), self.db._given)


def test_missing_driver_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "asyncpg" else real(name)
    )
    with pytest.raises(MissingDriverError, match=r'pip install "fixturekit\[postgres-async\]"'):
        check_driver(normalise("postgresql+asyncpg://h/app").set(drivername="postgresql+asyncpg"))


def test_unsupported_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="does not support 'oracle'"):
        TestDatabase("oracle://h/app")


def test_schema_of_the_wrong_kind_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="schema= takes SQLAlchemy MetaData"):
        TestDatabase("sqlite://", schema=42)  # type: ignore[arg-type]


def test_using_a_database_before_start_says_how_to_start_it() -> None:
    with pytest.raises(RuntimeError, match="is not started; use `with TestDatabase"):
        TestDatabase("sqlite://").engine  # noqa: B018
