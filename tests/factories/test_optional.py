"""Optional fields and nullable columns are None (or the model's default) unless declared
or asked for with ``fill_optional``."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Optional

import attrs
import pytest
import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from typing_extensions import NotRequired, TypedDict

import fixturekit.factories as fk
from fixturekit.db import TestDatabase


class Base(DeclarativeBase):
    pass


class Member(Base):
    """A password-reset token: NULL until a reset is asked for."""

    __tablename__ = "members"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(80), unique=True)
    token: Mapped[Optional[str]] = mapped_column(sa.String(32), index=True)  # noqa: UP045
    token_expiration: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(sa.Text, nullable=True)
    plan: Mapped[str | None] = mapped_column(sa.String(10), default="free")

    @classmethod
    def check_token(cls, session: Session, token: str) -> Member | None:
        return session.scalar(
            sa.select(cls).where(cls.token == token, cls.token_expiration > datetime.now())
        )


class MemberFactory(fk.Factory[Member]):
    pass


class FilledMemberFactory(fk.Factory[Member], register=False, fill_optional=True):
    pass


class Address(BaseModel):
    city: str
    floor: int | None


class Profile(BaseModel):
    name: str
    nickname: str | None
    website: Optional[str]  # noqa: UP045
    motto: str | None = "carpe diem"
    address: Address | None
    home: Address


@dataclasses.dataclass
class Point:
    x: int
    label: str | None
    note: str | None = "origin"


@attrs.define
class Badge:
    title: str
    level: int | None
    colour: str | None = "gold"


class Event(TypedDict):
    city: str
    venue: str | None
    notes: NotRequired[str]


class ProfileFactory(fk.Factory[Profile]):
    pass


@pytest.fixture
def session() -> Session:
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    return Session(engine)


def test_a_nullable_column_is_null_so_a_token_check_finds_no_one(session: Session) -> None:
    members = MemberFactory.create_batch(5, session)
    assert [(m.token, m.token_expiration, m.note) for m in members] == [(None, None, None)] * 5
    assert members[0].plan == "free"  # a nullable column's scalar default still applies
    for member in members:
        session.refresh(member)
        assert member.token is None
    assert Member.check_token(session, "drug") is None
    assert Member.check_token(session, members[0].email) is None


def test_fill_optional_fills_nullable_columns_per_call_and_per_factory(session: Session) -> None:
    asked = MemberFactory.create(session, fill_optional=True)
    assert isinstance(asked.token, str)
    assert len(asked.token) <= 32
    assert isinstance(asked.token_expiration, datetime)
    assert isinstance(asked.note, str)
    optioned = FilledMemberFactory.create(session)
    assert isinstance(optioned.token, str)
    assert isinstance(optioned.note, str)
    assert FilledMemberFactory.build(fill_optional=False).token is None
    batch = MemberFactory.build_batch(3, fill_optional=True)
    assert all(m.token is not None for m in batch)
    filled = MemberFactory.create_batch(2, session, fill_optional=True)
    assert all(m.token is not None for m in filled)


def test_a_declared_or_given_value_wins_over_none(session: Session) -> None:
    class TokenFactory(fk.Factory[Member], register=False):
        token = fk.Sequence("token{n}")

    member = TokenFactory.create(session, note="hello")
    assert (member.token, member.note, member.token_expiration) == ("token0", "hello", None)


def test_payload_shows_nullable_columns_as_null() -> None:
    body = MemberFactory.payload()
    assert body["token"] is None
    assert body["token_expiration"] is None
    assert isinstance(MemberFactory.payload(fill_optional=True)["token"], str)


def test_pydantic_optional_fields_are_none_or_their_default() -> None:
    profile = ProfileFactory.build()
    assert (profile.nickname, profile.website, profile.address) == (None, None, None)
    assert profile.motto == "carpe diem"
    assert profile.home.floor is None  # nested objects too
    assert isinstance(profile.home.city, str)


def test_pydantic_fill_optional_fills_the_object_and_nested_ones_on_request() -> None:
    profile = ProfileFactory.build(fill_optional=True)
    assert isinstance(profile.nickname, str)
    assert isinstance(profile.website, str)
    assert profile.motto != "carpe diem"
    assert profile.address is not None
    assert profile.home.floor is None  # nested objects follow their own factory
    deep = ProfileFactory.build(home__fill_optional=True)
    assert isinstance(deep.home.floor, int)
    assert deep.nickname is None
    body = ProfileFactory.payload(fill_optional=True)
    assert isinstance(body["nickname"], str)


def test_dataclass_attrs_and_typeddict_optional_fields() -> None:
    class PointFactory(fk.Factory[Point]):
        pass

    class BadgeFactory(fk.Factory[Badge]):
        pass

    class EventFactory(fk.Factory[Event]):
        pass

    assert PointFactory.build().label is None
    assert PointFactory.build().note == "origin"
    assert isinstance(PointFactory.build(fill_optional=True).label, str)
    badge = BadgeFactory.build()
    assert (badge.level, badge.colour) == (None, "gold")
    assert isinstance(BadgeFactory.build(fill_optional=True).level, int)
    event = EventFactory.build()
    assert event["venue"] is None
    assert "notes" not in event
    filled = EventFactory.build(fill_optional=True)
    assert isinstance(filled["venue"], str)
    assert isinstance(filled["notes"], str)


def test_fill_optional_with_acreate(tmp_path: Path) -> None:
    pytest.importorskip("aiosqlite")

    async def flow(database: TestDatabase) -> None:
        async with database.async_sandbox():
            plain = await MemberFactory.acreate()
            filled = await MemberFactory.acreate(fill_optional=True)
            assert plain.token is None
            assert isinstance(filled.token, str)
            batch = await MemberFactory.acreate_batch(2, fill_optional=True)
            assert all(isinstance(m.note, str) for m in batch)

    with TestDatabase(f"sqlite:///{tmp_path / 'app.db'}", schema=Base.metadata) as database:
        asyncio.run(flow(database))


def test_fill_optional_takes_a_bool_and_is_a_class_option() -> None:
    with pytest.raises(TypeError, match=r"MemberFactory.build\(\): fill_optional must be True"):
        MemberFactory.build(fill_optional=1)
    with pytest.raises(TypeError, match="the class option fill_optional must be True or False"):

        class Wrong(fk.Factory[Member], register=False, fill_optional="yes"):
            pass

    class Misplaced(fk.Factory[Member], register=False):
        fill_optional = True

    with pytest.raises(fk.FactoryError, match=r"class options go in the class statement"):
        Misplaced.build()


def test_a_field_named_fill_optional_is_set_by_the_keyword() -> None:
    class Settings(BaseModel):
        fill_optional: bool
        theme: str | None

    class SettingsFactory(fk.Factory[Settings]):
        pass

    settings = SettingsFactory.build(fill_optional=True)
    assert settings.fill_optional is True
    assert settings.theme is None
