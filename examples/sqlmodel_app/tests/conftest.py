from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

import fixturekit as fk
from fixturekit.db import DatabaseSandbox, TestDatabase
from sqlmodel_app.config import settings
from sqlmodel_app.db import engine, init_db
from sqlmodel_app.main import app
from sqlmodel_app.tests.factories import UserFactory

ALEMBIC_INI = Path(__file__).parents[1] / "alembic.ini"
tokens = fk.TokenMinter(secret=settings.SECRET_KEY, algorithm="HS256", audience=None, issuer=None)


@pytest.fixture(scope="session")
def fixturekit_database() -> Iterator[TestDatabase]:
    schema = fk.Alembic(ALEMBIC_INI)  # migrations/env.py reads the app's settings
    with TestDatabase(settings.DATABASE_URL, schema=schema, session_class=Session, seed=init_db) as db:
        yield db


@pytest.fixture(scope="module")
def client(fixturekit_database: TestDatabase) -> Iterator[TestClient]:
    """One sandbox per module (each test nests in it), the app's engine bound to it."""
    with fixturekit_database.sandbox() as sandbox, TestClient(app) as client:
        sandbox.bind(engine)
        yield client


@pytest.fixture(autouse=True)
def each_test_rolls_back(db_sandbox: DatabaseSandbox) -> None:
    """Each test nests in its module's sandbox: its own writes roll back after it."""


@pytest.fixture(scope="module")
def superuser_token_headers(client: TestClient) -> dict[str, str]:
    login = {"username": settings.FIRST_SUPERUSER, "password": settings.FIRST_SUPERUSER_PASSWORD}
    token = client.post("/api/v1/login/access-token", json=login).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def normal_user_token_headers(client: TestClient) -> dict[str, str]:
    return tokens.auth_header(str(UserFactory.create(is_superuser=False).id))
