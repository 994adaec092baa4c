"""The service's database wiring: one ``sessionmaker``, bound at start-up by `configure`."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import create_engine
from sqlalchemy.orm import DeclarativeBase, sessionmaker

SessionLocal = sessionmaker(expire_on_commit=False)


class Base(DeclarativeBase):
    pass


def configure(url: str) -> None:
    """Point the service at its database (what ``main()`` does at start-up)."""
    SessionLocal.configure(bind=create_engine(url))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
