"""The app's suite on PostgreSQL and MariaDB, when the test servers are configured.

The app reads its database URL from its settings (``SQLMODEL_APP_DATABASE_URL``) when it
is imported, as the template does, so each backend runs the suite in a fresh
interpreter with that variable set: the test database is derived from it on that server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

TESTS = Path(__file__).parent
ROOT = TESTS.parents[2]


def server(variable: str, driver: str, name: str) -> object:
    url = os.environ.get(variable, "")
    return pytest.param(
        url, driver, id=name, marks=pytest.mark.skipif(not url, reason=f"{variable} is not set")
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("server_url", "driver"),
    [
        server("FIXTUREKIT_TEST_POSTGRES_URL", "postgresql+psycopg", "postgresql"),
        server("FIXTUREKIT_TEST_MYSQL_URL", "mysql+pymysql", "mariadb"),
    ],
)
def test_the_suite_passes_on(server_url: str, driver: str) -> None:
    app_database = f"sqlmodel_app_{uuid.uuid4().hex[:8]}"  # the tests use <it>_test
    url = make_url(server_url).set(drivername=driver, database=app_database)
    env = {
        name: value for name, value in os.environ.items() if not name.startswith("FIXTUREKIT_TEST_")
    }
    env["SQLMODEL_APP_DATABASE_URL"] = url.render_as_string(hide_password=False)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(TESTS)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary, summary
    assert "failed" not in summary, summary
    assert "error" not in summary, summary
