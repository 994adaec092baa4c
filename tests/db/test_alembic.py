"""schema="alembic": the test database built by a real alembic project's migrations."""

from __future__ import annotations

import sys
import textwrap
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import inspect, text

from fixturekit.db import Alembic, TestDatabase

from .conftest import BACKENDS, unique_name

if TYPE_CHECKING:
    from tests.conftest import InnerPytest

INI = """
[alembic]
script_location = %(here)s/migrations

[loggers]
keys = root

[handlers]
keys =

[formatters]
keys =

[logger_root]
level = WARN
handlers =
"""

ENV = """
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def run_migrations_online():
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()
    connectable.dispose()


run_migrations_online()
"""

MAKO = '''"""${message}"""
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}


def upgrade():
    ${upgrades if upgrades else "pass"}


def downgrade():
    ${downgrades if downgrades else "pass"}
'''


def revision(number: int, body: str) -> str:
    down = repr(f"r{number - 1}") if number > 1 else "None"
    return textwrap.dedent(
        f"""
        import sqlalchemy as sa
        from alembic import op

        revision = "r{number}"
        down_revision = {down}
        branch_labels = None
        depends_on = None


        def upgrade():
            {body}


        def downgrade():
            pass
        """
    )


USERS = 'op.create_table("users", sa.Column("id", sa.Integer, primary_key=True), ' + (
    'sa.Column("name", sa.String(50), unique=True))'
)
POSTS = 'op.create_table("posts", sa.Column("id", sa.Integer, primary_key=True), ' + (
    'sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id")))'
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A tiny alembic project: alembic.ini, env.py, one revision creating users."""
    (tmp_path / "alembic.ini").write_text(INI)
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (tmp_path / "migrations" / "env.py").write_text(ENV)
    (tmp_path / "migrations" / "script.py.mako").write_text(MAKO)
    (versions / "r1_users.py").write_text(revision(1, USERS))
    return tmp_path


def tables(db: TestDatabase) -> set[str]:
    with db.engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def version(db: TestDatabase) -> str:
    with db.engine.connect() as conn:
        return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


@pytest.mark.parametrize("url", BACKENDS)
def test_the_migrations_build_the_test_database(url: str, project: Path) -> None:
    with TestDatabase(url, schema=Alembic(project / "alembic.ini"), name=unique_name()) as db:
        assert "users" in tables(db)
        assert version(db) == "r1"
        with db.sandbox() as sandbox:
            sandbox.connection.execute(text("INSERT INTO users (name) VALUES ('ada')"))
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 0


@pytest.mark.parametrize("url", BACKENDS)
def test_keep_reuses_the_database_until_a_new_head_appears(url: str, project: Path) -> None:
    name = unique_name()
    schema = Alembic(project / "alembic.ini")
    try:
        with TestDatabase(url, schema=schema, name=name, keep=True) as db:
            assert not db.reused
        with TestDatabase(url, schema=schema, name=name, keep=True) as db:
            assert db.memory or db.reused
        (project / "migrations" / "versions" / "r2_posts.py").write_text(revision(2, POSTS))
        with TestDatabase(url, schema=schema, name=name, keep=True) as db:
            assert not db.reused  # a new head: rebuilt
            assert {"users", "posts"} <= tables(db)
            assert version(db) == "r2"
    finally:
        TestDatabase(url, schema=schema, name=name).start().stop()  # drop the kept one


@pytest.mark.parametrize("url", BACKENDS[:2] + BACKENDS[2:3])
def test_clones_come_from_the_migrated_template(url: str, project: Path) -> None:
    with (
        TestDatabase(url, schema=Alembic(project / "alembic.ini"), name=unique_name()) as db,
        db.sandbox(isolation="clone") as sandbox,
    ):
        assert "users" in set(inspect(sandbox.connection).get_table_names())


def test_schema_alembic_reads_alembic_ini_in_the_current_directory(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    with TestDatabase("sqlite://", schema="alembic") as db:
        assert isinstance(db.schema, Alembic)
        assert version(db) == "r1"


def test_a_revision_other_than_head_can_be_chosen(project: Path) -> None:
    (project / "migrations" / "versions" / "r2_posts.py").write_text(revision(2, POSTS))
    with TestDatabase("sqlite://", schema=Alembic(project / "alembic.ini", revision="r1")) as db:
        assert version(db) == "r1"
        assert "posts" not in tables(db)


def test_a_missing_alembic_config_is_reported_with_the_path(tmp_path: Path) -> None:
    missing = tmp_path / f"{uuid.uuid4().hex}.ini"
    with pytest.raises(FileNotFoundError, match=r"no alembic config file at .*\.ini'; pass"):
        Alembic(missing)


def test_without_alembic_installed_the_error_names_the_extra(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "alembic" or m.startswith("alembic.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "alembic", None)
    with pytest.raises(ImportError, match=r"pip install \"fixturekit\[alembic\]\""):
        TestDatabase("sqlite://", schema=Alembic(project / "alembic.ini"))


def test_alembic_options_are_checked(project: Path) -> None:
    with pytest.raises(TypeError, match=r"'revison' \(did you mean revision=\?\)"):
        Alembic(project / "alembic.ini", revison="head")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="or None, not 'flyway'"):
        TestDatabase("sqlite://", schema="flyway")


@pytest.mark.slow
def test_the_ini_option_schema_alembic_uses_the_rootdirs_config(
    inner_pytest: InnerPytest, project: Path
) -> None:
    backend = inner_pytest.path / "backend"
    backend.mkdir()
    for item in ("alembic.ini", "migrations"):
        (project / item).rename(backend / item)
    inner_pytest.ini(
        f"fixturekit_database_url = sqlite:///{inner_pytest.path / 'app.db'}\n"
        "fixturekit_schema = alembic backend/alembic.ini\n"
    )
    inner_pytest.makepyfile(
        test_migrated="""
from sqlalchemy import text


def test_migrated(db_session):
    version = db_session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == "r1"
    db_session.execute(text("INSERT INTO users (name) VALUES ('ada')"))
"""
    )
    result = inner_pytest.run()
    result.assert_outcomes(passed=1)


APP_SETTINGS_ENV = """
import os

from alembic import context
from sqlalchemy import create_engine, pool

config = context.config


def run_migrations_online():
    # The application's settings, not the URL alembic was given.
    connectable = create_engine(os.environ["FK_APP_DATABASE_URL"], poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()
    connectable.dispose()


run_migrations_online()
"""

COOKBOOK_ENV = """
from alembic import context
from sqlalchemy import create_engine, pool

config = context.config


def run_migrations_online():
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
        with engine.begin() as connection:
            context.configure(connection=connection, target_metadata=None)
            context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
"""


def test_an_env_py_that_migrates_another_database_is_an_error(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fixturekit.db import UnsafeDatabaseError

    (project / "migrations" / "env.py").write_text(APP_SETTINGS_ENV)
    elsewhere = tmp_path / "app.db"
    monkeypatch.setenv("FK_APP_DATABASE_URL", f"sqlite:///{elsewhere}")
    db = TestDatabase("sqlite:///app.db", schema=Alembic(project / "alembic.ini"), keep=True)
    with pytest.raises(UnsafeDatabaseError) as caught:
        db.start()
    message = str(caught.value)
    assert "is not at r1 (its alembic_version holds nothing)" in message
    assert str(project / "migrations" / "env.py") in message
    assert 'connection = config.attributes.get("connection")' in message
    assert 'url = config.get_main_option("sqlalchemy.url")' in message
    assert elsewhere.exists()  # that is where the migrations went
    assert db._url is not None
    assert db._url.database is not None
    assert not Path(db._url.database).exists()  # no half-built test database kept


@pytest.mark.parametrize("url", BACKENDS)
def test_an_env_py_on_the_shared_connection_migrates_the_test_database(
    url: str, project: Path
) -> None:
    (project / "migrations" / "env.py").write_text(COOKBOOK_ENV)
    with TestDatabase(url, schema=Alembic(project / "alembic.ini"), name=unique_name()) as db:
        assert "users" in tables(db)
        assert version(db) == "r1"
