from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import ForeignKey, String, Table, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fixturekit.db import TestDatabase

POSTGRES_URL = os.environ.get("FIXTUREKIT_TEST_POSTGRES_URL", "")
MYSQL_URL = os.environ.get("FIXTUREKIT_TEST_MYSQL_URL", "")


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


class Post(Base):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(100))


metadata = Base.metadata
users: Table = User.__table__  # type: ignore[assignment]
posts: Table = Post.__table__  # type: ignore[assignment]


def unique_name(prefix: str = "fk") -> str:
    """A database name no other run (or xdist worker) uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}_test"


def server_param(backend: str) -> object:
    url = {"postgresql": POSTGRES_URL, "mysql": MYSQL_URL}[backend]
    variable = (
        "FIXTUREKIT_TEST_POSTGRES_URL" if backend == "postgresql" else ("FIXTUREKIT_TEST_MYSQL_URL")
    )
    return pytest.param(
        url,
        id=backend,
        marks=pytest.mark.skipif(not url, reason=f"{variable} is not set"),
    )


#: Every backend the sandbox tests run on: SQLite always, servers when configured.
BACKENDS = [
    pytest.param("sqlite:///app.db", id="sqlite-file"),
    pytest.param("sqlite://", id="sqlite-memory"),
    server_param("postgresql"),
    server_param("mysql"),
]
SERVERS = [server_param("postgresql"), server_param("mysql")]


@pytest.fixture(scope="module", params=BACKENDS)
def db(request: pytest.FixtureRequest) -> Iterator[TestDatabase]:
    with TestDatabase(request.param, schema=metadata, name=unique_name()) as database:
        yield database


def count(conn: Connection, table: Table = users) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def names(conn: Connection) -> list[str]:
    return sorted(conn.execute(select(users.c.name)).scalars())
