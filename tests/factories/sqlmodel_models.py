# ruff: noqa: I002 - SQLModel reads real annotations (no postponed evaluation here)
"""SQLModel table models for the factory tests: a team with heroes, a power per hero."""

import sqlalchemy as sa
from pydantic import EmailStr
from sqlmodel import Field, Relationship, SQLModel

import fixturekit.factories as fk


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=30, unique=True)
    headquarters: str = Field(min_length=3, max_length=40)
    heroes: list["Hero"] = Relationship(back_populates="team")


class Hero(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("team_id", "code_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, min_length=3, max_length=20)
    code_name: str = Field(max_length=12)
    email: EmailStr = Field(max_length=80)
    age: int | None = Field(default=None, ge=16, le=90)
    level: int = Field(ge=1, le=5)
    team_id: int | None = Field(default=None, foreign_key="team.id")
    team: Team | None = Relationship(back_populates="heroes")
    powers: list["Power"] = Relationship(back_populates="hero")


class Power(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    label: str = Field(max_length=20)
    hero_id: int = Field(foreign_key="hero.id")
    hero: Hero = Relationship(back_populates="powers")


class TeamFactory(fk.Factory[Team]):
    pass


class HeroFactory(fk.Factory[Hero]):
    team = fk.SubFactory(TeamFactory)


class PowerFactory(fk.Factory[Power]):
    pass
