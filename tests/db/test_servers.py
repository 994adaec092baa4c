"""When CI configures a database server, it must answer: a missing server fails the run."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from fixturekit.db._urls import normalise

from .conftest import SERVERS


@pytest.mark.parametrize("url", SERVERS)
def test_configured_database_server_answers(url: str) -> None:
    engine = create_engine(normalise(url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()
