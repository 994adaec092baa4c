"""Request dependencies the feature routers share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from shop.db import SessionLocal


def get_session() -> Iterator[Session]:
    """A session from the app's :data:`~shop.db.SessionLocal` for the request."""
    with SessionLocal() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
