"""The database wiring the app owns: a module-level engine and ``SessionLocal``.

The URL comes from ``SHOP_DATABASE_URL`` (a local SQLite file by default). Tests,
and any other process that wants a different database, rebind the session factory:
``SessionLocal.configure(bind=other_engine)``.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import DateTime, create_engine
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.types import TypeDecorator

DATABASE_URL = os.environ.get("SHOP_DATABASE_URL", "sqlite:///./shop.db")

engine = create_engine(DATABASE_URL)
SessionLocal = sessionmaker(bind=engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend.

    SQLite has no time zones: values are stored as naive UTC and come back aware,
    so the app only ever compares aware datetimes.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: shop stores aware UTC datetimes only")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def utcnow() -> datetime:
    """The current time, aware UTC (what column defaults use)."""
    return datetime.now(timezone.utc)


def create_schema(bind: Engine) -> None:
    """Create every table (a real deployment would run migrations instead)."""
    # Importing the modules that declare tables registers them on Base.metadata.
    from shop import checkout, jobs, models, signup  # noqa: F401

    Base.metadata.create_all(bind)
