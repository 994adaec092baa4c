"""The app's database wiring: a module-level engine and a thread-local ``scoped_session``.

The URL comes from ``LIBRARY_DATABASE_URL`` (a local SQLite file by default). Nothing
here knows about tests: they route ``Session`` into a sandbox with ``sandbox.bind``.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

from sqlalchemy import create_engine
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker

DATABASE_URL = os.environ.get("LIBRARY_DATABASE_URL", "sqlite:///./library.db")

engine = create_engine(DATABASE_URL)
Session = scoped_session(sessionmaker(bind=engine))


class Base(DeclarativeBase):
    pass


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
