from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

import fixturekit as fk
from sqlmodel_app.config import settings
from sqlmodel_app.db import engine, init_db
from sqlmodel_app.main import app
from sqlmodel_app.tests.utils import ALEMBIC_INI, UserFactory, log_in, tokens


@pytest.fixture(scope="session")
def fixturekit_database():
    migrations = fk.Alembic(ALEMBIC_INI)  # its env.py reads the app's settings
    url = settings.DATABASE_URL  # the tests use <its database>_test, built once per run
    with fk.TestDatabase(url, schema=migrations, session_class=Session, seed=init_db) as db:
        yield db


@pytest.fixture(scope="module")
def client(fixturekit_database):
    with fixturekit_database.sandbox() as sandbox, TestClient(app) as client:
        sandbox.bind(engine)  # the app's Session(engine) works in this module's sandbox
        yield client


@pytest.fixture(autouse=True)
def each_test_rolls_back(db_sandbox): ...  # a sandbox nested in the module's


@pytest.fixture(scope="module")
def superuser_token_headers(client):
    return log_in(client, settings.FIRST_SUPERUSER, settings.FIRST_SUPERUSER_PASSWORD)


@pytest.fixture(scope="module")
def normal_user_token_headers(client):
    return tokens.auth_header(str(UserFactory.create().id))
