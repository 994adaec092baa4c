"""TestDatabase: provisions the test database once per run (or per xdist worker)."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy import MetaData
from sqlalchemy.engine import URL, Engine, make_url

from fixturekit._internal.checks import check_bool, check_name, keywords
from fixturekit.db import _escapes, _schema, _template, _urls
from fixturekit.db._alembic import Alembic
from fixturekit.db._async_sandbox import AsyncDatabaseSandbox
from fixturekit.db._clone import Clone
from fixturekit.db._engines import make_async_engine, make_sync_engine
from fixturekit.db._provision import (
    FOREIGN,
    PENDING,
    PostgreSQLProvisioner,
    Provisioner,
    admin_engine,
    provisioner,
)
from fixturekit.db._sandbox import DatabaseSandbox, Nesting
from fixturekit.db._schema import Schema, Seed
from fixturekit.errors import SandboxError, UnsafeDatabaseError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine
    from sqlalchemy.orm import Session

__all__ = ["Schema", "TestDatabase"]

#: What ``sandbox(isolation=...)`` takes.
ISOLATIONS = ("transaction", "clone")

#: The databases TestDatabases of this process are using (URLs), so two never share one.
_running: set[str] = set()

#: Where keep=True puts SQLite files, so that the next run finds them.
_KEPT_SQLITE_DIR = "fixturekit-databases"


class TestDatabase:
    """A test database: created from your URL, given a schema once, dropped at exit.

    ``TestDatabase("postgresql://localhost/app", schema=Base.metadata)`` uses the
    database ``app_test`` (``app_test_gw0`` under pytest-xdist worker gw0) on that
    server; ``name=`` picks the name instead. The database named in the URL itself is
    never touched. SQLite URLs give a file in a temporary directory, or for
    ``sqlite://`` a memory database that every connection of the test database shares.

    Safety: the final name must contain ``test`` (unless ``allow_unsafe=True``), and a
    database of that name that fixturekit did not create is refused, never dropped.

    ``session_class`` is the class of the sandboxes' sessions (default:
    ``sqlmodel.Session`` for ``SQLModel.metadata``, else `Session`); ``seed`` a
    function given a Session, run once after the schema and committed. Sandboxes
    opened while another of this database's sandboxes is open in the same thread or
    task nest inside it.
    """

    __test__ = False  # not a pytest test class
    #: How many more start() calls joined the running database than stop() calls left it.
    _joined = 0

    @keywords
    def __init__(
        self,
        url: str | URL,
        *,
        schema: Schema = None,
        name: str | None = None,
        per_worker: bool = True,
        keep: bool = False,
        allow_unsafe: bool = False,
        session_class: type[Session] | None = None,
        seed: Seed | None = None,
    ) -> None:
        check_bool(per_worker, "per_worker")
        check_bool(keep, "keep")
        check_bool(allow_unsafe, "allow_unsafe")
        if schema == "alembic":
            schema = Alembic()
        valid = schema is None or isinstance(schema, (MetaData, Alembic)) or callable(schema)
        if not valid:
            raise TypeError(
                f"schema= takes SQLAlchemy MetaData, a callable receiving a Connection, "
                f"'alembic' (or fixturekit.db.Alembic('path/to/alembic.ini')) or None, "
                f"not {schema!r}"
            )
        if name is not None:
            check_name(name, "TestDatabase(name=)", example="'app_test'")
        self._given = make_url(url)
        self._server_url = _urls.normalise(self._given)
        self.name = _urls.test_database_name(self._server_url, name=name, per_worker=per_worker)
        _urls.check_name(self.name, allow_unsafe=allow_unsafe)
        self.schema = schema
        self.keep = keep
        #: The class of the sandboxes' sessions (``sandbox.session()``, ``shared_session``).
        self.session_class = (
            _schema.check_session_class(session_class)
            if session_class is not None
            else _schema.default_session_class(schema)
        )
        #: Run once after the schema, given a Session; what it adds is committed.
        self.seed = _schema.check_seed(seed)
        self._nesting = Nesting()
        #: True when start() reused a kept database instead of building it.
        self.reused = False
        self._engine: Engine | None = None
        self._async_engine: AsyncEngine | None = None
        self._provisioner: Provisioner | None = None
        self._tempdir: Path | None = None
        self._url: URL | None = None
        self._key: str | None = None
        self._template_key: str | None = None
        self._per_worker = per_worker
        self._allow_unsafe = allow_unsafe
        self._base_name = _urls.test_database_name(self._server_url, name=name, per_worker=False)
        self._schema_hash = PENDING
        #: The template clones are made from (PostgreSQL: a database name; SQLite: a path).
        self._template: str | None = None
        self._memory_template: Engine | None = None
        self._clone_admin: Engine | None = None
        self._clones = 0

    def __repr__(self) -> str:
        state = "running" if self._engine is not None else "stopped"
        return f"<TestDatabase {self.name!r} on {self.backend} ({state})>"

    @property
    def backend(self) -> str:
        """``sqlite``, ``postgresql``, ``mysql`` or ``mariadb``."""
        return self._server_url.get_backend_name()

    @property
    def source_url(self) -> URL:
        """The URL it was given, with a sync driver: the server (and the database the
        test database's name derives from), which fixturekit never writes to."""
        return self._server_url

    @property
    def running(self) -> bool:
        """True between `start` and `stop`."""
        return self._engine is not None

    @property
    def memory(self) -> bool:
        return _urls.is_memory(self._server_url)

    # --- lifecycle ------------------------------------------------------------------

    def __enter__(self) -> TestDatabase:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> TestDatabase:
        """Create the test database (or reuse a kept one) and build its schema.

        On a running database, start() joins it instead: each start() needs its stop(),
        and the last stop() drops it, so one object serves several owners (a conftest
        fixture and ``HarnessTestCase.database``, in either order).
        """
        if self._engine is not None:
            self._joined += 1
            return self
        _urls.check_driver(self._server_url)
        try:
            self._start()
        except BaseException:
            self._release(drop=False)
            raise
        return self

    def _start(self) -> None:
        if self.memory:
            # A named shared-cache memory database: the sync engine's one connection
            # keeps it alive, and async connections open the same one.
            token = uuid.uuid4().hex[:12]
            self._url = self._server_url.set(
                database=f"file:{self.name}_{token}",
                query={"mode": "memory", "cache": "shared", "uri": "true"},
            )
            self._engine = make_sync_engine(self._url, memory=True)
            self._schema_hash = self._hash(self._engine)
            self._build_schema()
            return
        sqlite_path = None
        if self.backend == "sqlite":
            if self.keep:
                directory = Path(tempfile.gettempdir()) / _KEPT_SQLITE_DIR
            else:
                directory = self._tempdir = Path(tempfile.mkdtemp(prefix="fixturekit-"))
            sqlite_path = directory / f"{self.name}.db"
            self._url = self._server_url.set(database=str(sqlite_path))
        else:
            self._url = self._server_url.set(database=self.name)
        key = self._url.render_as_string(hide_password=True)
        if key in _running:
            raise UnsafeDatabaseError(
                f"refusing database {self.name!r}: another TestDatabase in this process is "
                "using it, and starting this one would drop it under that one's feet; share "
                "that TestDatabase, or give this one another name=..."
            )
        _running.add(key)
        self._key = key
        self._provisioner = provisioner(self._server_url, self.name, sqlite_path)
        self._engine = make_sync_engine(self._url, memory=False)
        wanted = self._schema_hash = self._hash(self._engine)
        state = self._provisioner.state()
        if state == FOREIGN:
            where = sqlite_path if sqlite_path is not None else self._server_url.host
            raise UnsafeDatabaseError(
                f"refusing database {self.name!r} ({where}): it exists but fixturekit did "
                "not create it, so it may hold someone's data and will not be dropped; drop "
                "it yourself if it is disposable, or pass another name=..."
            )
        if state is not None and self.keep and state == wanted and wanted != PENDING:
            self.reused = True
            return
        if state is not None:
            self._provisioner.drop()
        if self.backend == "postgresql" and self._per_worker and _urls.worker_suffix():
            self._clone_template(wanted)
        else:
            self._provisioner.create()
            try:
                self._build_schema()
            except BaseException:
                self._engine.dispose()
                self._provisioner.drop()  # never leave a half-built database behind
                raise
        self._provisioner.mark(wanted)

    # --- PostgreSQL under xdist: one template, a clone per worker ---------------------

    @property
    def template_name(self) -> str | None:
        """The template database cloned per xdist worker (PostgreSQL), else None."""
        if self.backend != "postgresql" or not self._per_worker or not _urls.worker_suffix():
            return None
        return f"{self._base_name}_template"

    def _clone_template(self, wanted: str) -> None:
        clone = self._provisioner
        assert isinstance(clone, PostgreSQLProvisioner)
        name = self.template_name
        assert name is not None
        self._acquire_template(name, wanted, clone_into=clone)

    def _acquire_template(
        self, name: str, wanted: str, *, clone_into: PostgreSQLProvisioner | None = None
    ) -> None:
        """Build (or reuse) the marked template ``name`` and register this process as
        one of its users; with ``clone_into``, also create that database from it."""
        _urls.check_name(name, allow_unsafe=self._allow_unsafe)
        template_url = self._server_url.set(database=name)
        key = template_url.render_as_string(hide_password=True)
        template = PostgreSQLProvisioner(self._server_url, name)
        try:
            with _template.file_lock(key):
                state = template.state()
                if state == FOREIGN:
                    raise UnsafeDatabaseError(
                        f"refusing template database {name!r} ({self._server_url.host}): it "
                        "exists but fixturekit did not create it; drop it yourself if it is "
                        "disposable, or pass another name=..."
                    )
                if state != wanted:
                    if state is not None:
                        template.drop()
                    template.create()
                    engine = _escapes.ignore_engine(make_sync_engine(template_url, memory=False))
                    try:
                        self._build_schema(engine)
                    except BaseException:
                        engine.dispose()
                        template.drop()  # never leave a half-built template behind
                        raise
                    finally:
                        engine.dispose()  # CREATE DATABASE ... TEMPLATE wants it idle
                    template.mark(wanted)
                _template.add_user(key)
                self._template_key = key
                self._template = name
                if clone_into is not None:
                    clone_into.create_from(name)
        finally:
            template.close()

    def _release_template(self, *, drop: bool) -> None:
        key, self._template_key = self._template_key, None
        name, self._template = self._template, None
        if self.backend == "sqlite":
            if name is not None and drop:
                provisioner(self._server_url, name, Path(name)).drop()
            return
        if key is None or name is None:
            return
        template = PostgreSQLProvisioner(self._server_url, name)
        try:
            with _template.file_lock(key):
                if _template.remove_user(key) and drop and template.state() not in (None, FOREIGN):
                    template.drop()
        finally:
            template.close()

    # --- isolation="clone": a database per sandbox -------------------------------------

    def _check_clonable(self) -> None:
        if self.backend in ("mysql", "mariadb"):
            raise SandboxError(
                "isolation='clone' is not supported on MySQL/MariaDB: the server cannot copy "
                "a database (there is no CREATE DATABASE ... TEMPLATE), and rebuilding the "
                "schema per test costs what create_all/drop_all does. Use the default "
                "isolation='transaction' (and bind the application's sessionmaker), or run "
                "the tests that need real commits on PostgreSQL or SQLite"
            )

    def _clone_name(self) -> str:
        self._clones += 1
        suffix = f"_clone{self._clones}"
        return self.name[: _urls.MAX_NAME - len(suffix)] + suffix

    def _new_clone(self) -> Clone:
        """Create a database from the template (built on first use) for one sandbox."""
        self._running()
        assert self._url is not None
        if self.memory:
            return self._new_memory_clone()
        if self.backend == "sqlite":
            return self._new_sqlite_clone()
        return self._new_postgresql_clone()

    def _new_memory_clone(self) -> Clone:
        assert self._url is not None
        if self._memory_template is None:
            token = uuid.uuid4().hex[:12]
            url = self._server_url.set(
                database=f"file:{self.name}_template_{token}",
                query={"mode": "memory", "cache": "shared", "uri": "true"},
            )
            engine = _escapes.ignore_engine(make_sync_engine(url, memory=True))
            self._build_schema(engine)
            self._memory_template = engine
        url = self._url.set(database=f"file:{self._clone_name()}_{uuid.uuid4().hex[:12]}")
        engine = make_sync_engine(url, memory=True)
        source = self._memory_template.raw_connection()
        target = engine.raw_connection()
        try:
            source.driver_connection.backup(target.driver_connection)  # type: ignore[union-attr]
        finally:
            source.close()
            target.close()
        return Clone(url, engine, self._given, lambda: None)

    def _new_sqlite_clone(self) -> Clone:
        assert self._url is not None
        assert self._url.database is not None
        directory = Path(self._url.database).parent
        template_path = directory / f"{self.name}_template.db"
        if self._template is None:
            template = provisioner(self._server_url, self.name, template_path)
            state = template.state()
            if state == FOREIGN:
                raise UnsafeDatabaseError(
                    f"refusing template database {str(template_path)!r}: the file exists but "
                    "fixturekit did not create it; remove it yourself if it is disposable"
                )
            if state != self._schema_hash:
                if state is not None:
                    template.drop()
                template.create()
                url = self._url.set(database=str(template_path))
                engine = _escapes.ignore_engine(make_sync_engine(url, memory=False))
                try:
                    self._build_schema(engine)
                finally:
                    engine.dispose()
                template.mark(self._schema_hash)
            self._template = str(template_path)
        path = directory / f"{self._clone_name()}.db"
        clone = provisioner(self._server_url, self.name, path)
        state = clone.state()
        if state == FOREIGN:
            raise UnsafeDatabaseError(
                f"refusing database {str(path)!r}: the file exists but fixturekit did not "
                "create it; remove it yourself if it is disposable"
            )
        if state is not None:
            clone.drop()
        shutil.copyfile(template_path, path)  # the copy carries the template's mark
        url = self._url.set(database=str(path))
        return Clone(url, make_sync_engine(url, memory=False), self._given, clone.drop)

    def _new_postgresql_clone(self) -> Clone:
        if self._template is None:
            self._acquire_template(f"{self._base_name}_template", self._schema_hash)
        assert self._template is not None
        assert self._template_key is not None
        name = self._clone_name()
        _urls.check_name(name, allow_unsafe=True)  # derived from a checked name
        if self._clone_admin is None:
            self._clone_admin = admin_engine(self._server_url, pooled=True)
        clone = PostgreSQLProvisioner(self._server_url, name, admin=self._clone_admin)
        try:
            with _template.file_lock(self._template_key):
                clone.create_from(self._template, schema_hash=self._schema_hash)
        except UnsafeDatabaseError:
            raise
        except Exception:
            state = clone.state()
            if state is None:
                raise
            if state == FOREIGN:
                raise UnsafeDatabaseError(
                    f"refusing database {name!r} ({self._server_url.host}): it exists but "
                    "fixturekit did not create it; drop it yourself if it is disposable"
                ) from None
            clone.drop()  # a leftover of a crashed run
            with _template.file_lock(self._template_key):
                clone.create_from(self._template, schema_hash=self._schema_hash)
        url = self._server_url.set(database=name)
        return Clone(url, make_sync_engine(url, memory=False), self._given, clone.drop)

    def _hash(self, engine: Engine) -> str:
        return _schema.schema_hash(self.schema, engine, self.seed)

    def _build_schema(self, engine: Engine | None = None) -> None:
        engine = engine if engine is not None else self._engine
        assert engine is not None
        _schema.build(
            engine,
            self.schema,
            given=self._given,
            seed=self.seed,
            session_class=self.session_class,
        )

    def stop(self) -> None:
        """Dispose of the engines and drop the test database (unless ``keep=True``);
        after a joining start(), only leave it to its other owners."""
        if self._joined:
            self._joined -= 1
            return
        self._release(drop=not self.keep)

    def _release(self, *, drop: bool) -> None:
        try:
            if self._memory_template is not None:
                self._memory_template.dispose()
                self._memory_template = None
            if self._clone_admin is not None:
                self._clone_admin.dispose()
                self._clone_admin = None
            if self._async_engine is not None:
                # No pool (see make_async_engine), so there is nothing to close on a loop.
                self._async_engine.sync_engine.dispose()
            if self._engine is not None:
                self._engine.dispose()
            if self._provisioner is not None:
                if drop:
                    self._provisioner.drop()
                self._provisioner.close()
            self._release_template(drop=drop)
        finally:
            self._engine = self._async_engine = None
            self._provisioner = None
            if self._key is not None:
                _running.discard(self._key)
                self._key = None
            if self._tempdir is not None:
                shutil.rmtree(self._tempdir, ignore_errors=True)
                self._tempdir = None

    # --- what tests use -------------------------------------------------------------

    def _running(self) -> Engine:
        if self._engine is None:
            raise RuntimeError(
                f"{self!r} is not started; use `with TestDatabase(...) as db:` or call start()"
            )
        return self._engine

    @property
    def url(self) -> URL:
        """The test database's URL, with a sync driver."""
        self._running()
        assert self._url is not None
        return self._url

    @property
    def async_url(self) -> URL:
        """The test database's URL with the matching async driver (asyncpg, aiomysql, aiosqlite)."""
        return _urls.async_url(self.url, self._given)

    @property
    def engine(self) -> Engine:
        """The sync engine on the test database."""
        return self._running()

    @property
    def async_engine(self) -> AsyncEngine:
        """An async engine on the test database (created on first use)."""
        self._running()
        if self._async_engine is None:
            url = self.async_url
            _urls.check_driver(url)
            self._async_engine = make_async_engine(url)
        return self._async_engine

    @keywords
    def sandbox(
        self, *, isolation: str = "transaction", detect_escapes: bool = True
    ) -> DatabaseSandbox:
        """A per-test sandbox: whatever happens inside is rolled back at exit.

        ``isolation="clone"`` gives the sandbox a database of its own instead, cloned
        from a template of the schema (PostgreSQL ``CREATE DATABASE ... TEMPLATE``, a file
        copy on SQLite) and dropped at exit: for code that must really commit or use
        several connections. Not available on MySQL/MariaDB.

        ``detect_escapes`` (on by default): writes that reach the test database on
        connections other than the sandbox's while it is open, and commit, make its exit
        raise `SandboxEscapeError` naming the statements and the code that ran them.
        """
        clone = self._isolation(isolation)
        check_bool(detect_escapes, "detect_escapes")
        return DatabaseSandbox(
            self.engine,
            ddl_guard=clone is None and self.backend in ("mysql", "mariadb"),
            watch=self.engine if detect_escapes else None,
            watch_source=self._source_to_watch() if detect_escapes else None,
            clone=clone,
            session_class=self.session_class,
            nesting=self._nesting if clone is None else None,
        )

    @keywords
    def async_sandbox(
        self, *, isolation: str = "transaction", detect_escapes: bool = True
    ) -> AsyncDatabaseSandbox:
        """The async sandbox (``async with``), on `async_engine`; options as `sandbox`."""
        clone = self._isolation(isolation)
        check_bool(detect_escapes, "detect_escapes")
        return AsyncDatabaseSandbox(
            self.async_engine,
            ddl_guard=clone is None and self.backend in ("mysql", "mariadb"),
            watch=self.engine if detect_escapes else None,
            watch_source=self._source_to_watch() if detect_escapes else None,
            clone=clone,
        )

    def _source_to_watch(self) -> URL | None:
        """The source database (the one in the URL given), when it is a database of its
        own that code under test could write to by mistake."""
        source = self._server_url
        if self.memory or not source.database:
            return None
        if source.database == self.name:
            return None  # name= chose the URL's own database (allow_unsafe)
        return source

    def _isolation(self, isolation: str) -> Callable[[], Clone] | None:
        if isolation not in ISOLATIONS:
            raise ValueError(
                f"isolation={isolation!r} is not a sandbox isolation; use 'transaction' "
                "(one transaction, rolled back at exit) or 'clone' (a fresh database cloned "
                "from the template, dropped at exit)"
            )
        self._running()
        if isolation == "transaction":
            return None
        self._check_clonable()
        return self._new_clone
