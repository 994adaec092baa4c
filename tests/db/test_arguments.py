"""The database block checks its arguments as every fixturekit block does, and raises
the exceptions of `fixturekit.errors`."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import create_async_engine

import fixturekit
from fixturekit import db, errors


@pytest.mark.parametrize("flag", ["per_worker", "keep", "allow_unsafe"])
def test_test_database_flags_are_booleans(flag: str) -> None:
    with pytest.raises(TypeError, match=rf"^{flag} must be True or False, not 1$"):
        db.TestDatabase("sqlite://", **{flag: 1})


def test_an_unknown_test_database_keyword_names_the_closest_one() -> None:
    with pytest.raises(TypeError, match=r"'kep' \(did you mean keep=\?\); its keyword"):
        db.TestDatabase("sqlite://", kep=True)  # type: ignore[call-arg]


def test_sandbox_constructors_check_their_keywords_and_flags() -> None:
    engine = create_engine("sqlite://")
    try:
        with pytest.raises(TypeError, match=r"'ddl_gaurd' \(did you mean ddl_guard=\?\)"):
            db.DatabaseSandbox(engine, ddl_gaurd=True)  # type: ignore[call-arg]
        with pytest.raises(TypeError, match=r"^ddl_guard must be True or False, not 'yes'$"):
            db.DatabaseSandbox(engine, ddl_guard="yes")  # type: ignore[arg-type]
    finally:
        engine.dispose()
    async_engine = create_async_engine("sqlite+aiosqlite://")
    try:
        with pytest.raises(TypeError, match=r"'wach' \(did you mean watch=\?\)"):
            db.AsyncDatabaseSandbox(async_engine, wach=None)  # type: ignore[call-arg]
    finally:
        async_engine.sync_engine.dispose()


def test_the_errors_are_fixturekits() -> None:
    for name in ("UnsafeDatabaseError", "SandboxError", "SandboxEscapeError", "MissingDriverError"):
        error = getattr(db, name)
        assert error is getattr(errors, name)
        assert issubclass(error, errors.FixturekitError)
    assert fixturekit.SandboxError is errors.SandboxError
    assert issubclass(db.SandboxEscapeError, db.SandboxError)
    assert issubclass(db.MissingDriverError, ImportError)


def test_a_database_name_must_be_a_str() -> None:
    with pytest.raises(TypeError, match=r"TestDatabase\(name=\) must be a non-empty str"):
        db.TestDatabase("sqlite://", name=5)  # type: ignore[arg-type]
