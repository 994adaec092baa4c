"""Users and their posts."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from microblog import db


def utcnow() -> datetime:
    """Now, as naive UTC: what every backend's DATETIME column stores the same way."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class User(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True, unique=True)
    email: Mapped[str] = mapped_column(String(120), index=True, unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    about_me: Mapped[str | None] = mapped_column(String(140))
    token: Mapped[str | None] = mapped_column(String(32), index=True, unique=True)
    token_expiration: Mapped[datetime | None]

    posts: WriteOnlyMapped[Post] = relationship(back_populates="author")

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return self.password_hash is not None and check_password_hash(self.password_hash, password)

    def get_token(self, expires_in: int = 3600) -> str:
        """A new token for this user, valid ``expires_in`` seconds (saved on commit)."""
        self.token = secrets.token_hex(16)
        self.token_expiration = utcnow() + timedelta(seconds=expires_in)
        db.session.add(self)
        return self.token

    def revoke_token(self) -> None:
        self.token = None
        self.token_expiration = None

    @staticmethod
    def check_token(token: str) -> User | None:
        """The user holding this unexpired token, or None."""
        user = db.session.scalar(select(User).where(User.token == token))
        if user is None or user.token_expiration is None or user.token_expiration < utcnow():
            return None
        return user


class Post(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(140))
    timestamp: Mapped[datetime] = mapped_column(index=True, default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey(User.id), index=True)

    author: Mapped[User] = relationship(back_populates="posts")

    def __repr__(self) -> str:
        return f"<Post {self.body}>"
