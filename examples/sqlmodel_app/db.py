"""The module-level engine, and the first superuser every fresh database gets."""

from __future__ import annotations

from sqlmodel import Session, create_engine, select

from sqlmodel_app import crud
from sqlmodel_app.config import settings
from sqlmodel_app.models import User, UserCreate

engine = create_engine(settings.DATABASE_URL)


def init_db(session: Session) -> None:
    """Create the first superuser unless it exists (tables come from the migrations)."""
    user = session.exec(select(User).where(User.email == settings.FIRST_SUPERUSER)).first()
    if user is None:
        crud.create_user(
            session=session,
            user_create=UserCreate(
                email=settings.FIRST_SUPERUSER,
                password=settings.FIRST_SUPERUSER_PASSWORD,
                is_superuser=True,
            ),
        )
