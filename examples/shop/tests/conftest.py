from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from fixturekit.pytest_plugin import register_fake
from shop.api import app
from shop.db import SessionLocal, create_schema
from shop.tests.fakes import FakeNotifier

# Makes a `notifier` fixture, and puts a FakeNotifier in every `harness`.
register_fake(FakeNotifier)


@pytest.fixture
def engine() -> Iterator[Engine]:
    """A fresh in-memory database per test, bound to the app's SessionLocal.

    StaticPool keeps the single in-memory connection alive and shares it with the
    TestClient's worker thread. (fixturekit's database sandbox will replace this.)
    """
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    create_schema(engine)
    previous = SessionLocal.kw["bind"]
    SessionLocal.configure(bind=engine)
    yield engine
    SessionLocal.configure(bind=previous)
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with SessionLocal() as session:
        yield session


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client
