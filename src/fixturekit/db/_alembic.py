"""``schema="alembic"``: build the test database with the project's alembic migrations."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

from fixturekit._internal.checks import keywords
from fixturekit.errors import UnsafeDatabaseError

__all__ = ["Alembic"]

_EXTRA = 'pip install "fixturekit[alembic]"'


def _alembic() -> tuple[Any, Any, Any]:
    try:
        from alembic import command
        from alembic.config import Config
        from alembic.script import ScriptDirectory
    except ImportError as exc:
        raise ImportError(
            f"schema='alembic' runs your alembic migrations, but alembic is not installed; {_EXTRA}"
        ) from exc
    return command, Config, ScriptDirectory


class Alembic:
    """The schema as your alembic migrations build it: ``alembic upgrade <revision>``.

    ``TestDatabase(url, schema=Alembic("path/to/alembic.ini"))``; ``schema="alembic"``
    is ``Alembic()``, which reads ``alembic.ini`` in the current directory. The
    migrations run against the test database's URL (set as ``sqlalchemy.url``; your
    ``env.py`` should read it from the config, as the one ``alembic init`` writes does,
    or use ``config.attributes["connection"]``, a Connection on the test database, as
    alembic's cookbook shares one), with the driver kind (sync or async) of the URL
    you gave TestDatabase. After the upgrade the test database must be at
    ``revision``: if ``env.py`` migrated another database, `UnsafeDatabaseError`
    names it and shows the fix. keep=True reuses a kept database while the
    migrations' head revisions are unchanged.
    """

    @keywords
    def __init__(
        self,
        config: str | os.PathLike[str] = "alembic.ini",
        *,
        revision: str = "head",
        section: str = "alembic",
    ) -> None:
        _alembic()
        path = Path(config)
        if not path.is_file():
            raise FileNotFoundError(
                f"schema=Alembic({str(config)!r}): there is no alembic config file at "
                f"{str(path.absolute())!r}; pass the path of your alembic.ini, e.g. "
                "Alembic('backend/alembic.ini')"
            )
        if not isinstance(revision, str) or not revision:
            raise TypeError(f"revision= takes a revision such as 'head', not {revision!r}")
        self.config = path
        self.revision = revision
        self.section = section

    def __repr__(self) -> str:
        return f"Alembic({str(self.config)!r}, revision={self.revision!r})"

    def _config(self) -> Any:
        _, config_class, _ = _alembic()
        return config_class(str(self.config), ini_section=self.section)

    def heads(self) -> list[str]:
        """The head revisions of the migrations (what keep=True compares)."""
        _, _, script_directory = _alembic()
        return sorted(script_directory.from_config(self._config()).get_heads())

    def schema_hash_source(self) -> str:
        return f"alembic {self.revision} {' '.join(self.heads())}"

    def upgrade(self, url: URL, connection: Any = None) -> None:
        """Run ``alembic upgrade <revision>`` against ``url`` (and ``connection``, a
        Connection on it, shared as alembic's cookbook does), then check that the
        database ``connection`` is on is at that revision."""
        command, _, _ = _alembic()
        config = self._config()
        rendered = url.render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
        if connection is not None:
            config.attributes["connection"] = connection
        command.upgrade(config, self.revision)
        if connection is not None:
            self._check_migrated(config, connection, url)

    def _check_migrated(self, config: Any, connection: Any, url: URL) -> None:
        from alembic.runtime.migration import MigrationContext

        _, _, script_directory = _alembic()
        script = script_directory.from_config(config)
        if self.revision in ("head", "heads"):
            wanted = set(script.get_heads())
        else:
            wanted = {rev.revision for rev in script.get_revisions(self.revision)}
        current = set(MigrationContext.configure(connection).get_current_heads())
        if current == wanted:
            return
        env = Path(script.dir) / "env.py"
        raise UnsafeDatabaseError(
            f"alembic upgrade {self.revision} ran, but the test database {url.database!r} "
            f"is not at {', '.join(sorted(wanted)) or 'any revision'} (its alembic_version "
            f"holds {', '.join(sorted(current)) or 'nothing'}): {env} migrated another "
            "database, most likely one whose URL it builds from the application's "
            "settings. Make env.py use the connection or the URL fixturekit hands it, in "
            "run_migrations_online():\n\n"
            '    connection = config.attributes.get("connection")\n'
            '    url = config.get_main_option("sqlalchemy.url")\n\n'
            "and migrate on `connection` when it is set (context.configure(connection="
            "connection, ...)), else on an engine made from `url`"
        )
