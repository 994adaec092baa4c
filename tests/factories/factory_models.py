"""Models the factory tests build (one of each kind fixturekit supports) and factories."""

from __future__ import annotations

import dataclasses
import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, Optional, TypedDict

import attrs
from pydantic import BaseModel, EmailStr, Field, HttpUrl, SecretStr
from sqlalchemy import DateTime, ForeignKey, Numeric, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

import fixturekit.factories as fk


class Status(str, enum.Enum):
    ACTIVE = "active"
    INVITED = "invited"
    BANNED = "banned"


class Address(BaseModel):
    street: str
    city: str
    country: str


class User(BaseModel):
    name: str
    age: int = Field(ge=18, le=99)
    email: EmailStr
    created_at: datetime
    id: uuid.UUID
    balance: Decimal = Field(max_digits=8, decimal_places=2, ge=0)
    status: Status
    nickname: Optional[str]  # noqa: UP045 - the spelling many codebases still use
    tags: list[str]
    address: Address
    website: HttpUrl
    password: SecretStr = Field(min_length=12)
    code: str = Field(pattern=r"^[A-Z]{3}-\d{4}$")
    role: Literal["user", "admin"] = "user"


@dataclasses.dataclass
class Point:
    x: int
    y: int
    label: str
    day: date
    note: str | None = None


@attrs.define
class Badge:
    title: str = attrs.field(validator=attrs.validators.max_len(8))
    level: int = attrs.field(validator=[attrs.validators.ge(1), attrs.validators.le(3)])


class Event(TypedDict):
    city: str
    at: datetime
    where: Point


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(60), unique=True)
    first_name: Mapped[str] = mapped_column(String(8))
    balance: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    bio: Mapped[Optional[str]]  # noqa: UP045
    manager_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))  # noqa: UP045


class Post(Base):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    account: Mapped[Account] = relationship()
    title: Mapped[str] = mapped_column(String(40))


class Comment(Base):
    """A foreign key without a relationship."""

    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    body: Mapped[str] = mapped_column(String(200))


# --- factories registered for the SQLAlchemy models ---


class AccountFactory(fk.Factory[Account]):
    pass


class PostFactory(fk.Factory[Post]):
    pass


class CommentFactory(fk.Factory[Comment]):
    pass
