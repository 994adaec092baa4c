"""SQLModel table models: pydantic fields and SQLAlchemy columns, built and created."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, create_engine, select
from sqlmodel_models import Hero, HeroFactory, PowerFactory, Team, TeamFactory

import fixturekit.factories as fk
from fixturekit.db import TestDatabase


def _count(session: sa.orm.Session, model: type) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


POSTGRES_URL = os.environ.get("FIXTUREKIT_TEST_POSTGRES_URL", "")


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            POSTGRES_URL,
            id="postgresql",
            marks=pytest.mark.skipif(
                not POSTGRES_URL, reason="FIXTUREKIT_TEST_POSTGRES_URL is not set"
            ),
        ),
    ]
)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestDatabase]:
    url = f"sqlite:///{tmp_path / 'heroes.db'}" if request.param == "sqlite" else request.param
    with TestDatabase(url, schema=SQLModel.metadata) as db:
        yield db


def test_build_reads_pydantic_constraints_and_leaves_keys_to_the_database() -> None:
    for hero in HeroFactory.build_batch(30):
        assert hero.id is None
        assert hero.age is None
        assert 3 <= len(hero.name) <= 20
        assert len(hero.code_name) <= 12
        assert 1 <= hero.level <= 5
        assert "@" in hero.email
        assert isinstance(hero.team, Team)
        assert hero.powers == []
        Hero.model_validate(hero.model_dump())  # what pydantic would accept
    filled = HeroFactory.build(fill_optional=True)
    assert filled.age is not None
    assert 16 <= filled.age <= 90


def test_create_and_create_batch_in_a_sandbox(database: TestDatabase) -> None:
    with database.sandbox() as sandbox:
        session = sandbox.shared_session
        hero = HeroFactory.create(name="Deadpond")
        assert hero.id is not None
        assert hero.team is not None
        assert hero.team_id == hero.team.id
        teams = TeamFactory.create_batch(20)
        assert len({team.name for team in teams}) == 20  # a unique column
        assert _count(session, Team) == 21
        assert _count(session, Hero) == 1
    with database.sandbox() as sandbox:
        assert _count(sandbox.shared_session, Hero) == 0


def test_a_required_many_to_one_brings_its_row(database: TestDatabase) -> None:
    with database.sandbox() as sandbox:
        power = PowerFactory.create(label="flight")
        assert power.hero.id == power.hero_id
        assert power.hero.team is not None
        assert _count(sandbox.shared_session, Hero) == 1


def test_to_many_children_belong_to_the_parent(database: TestDatabase) -> None:
    with database.sandbox() as sandbox:
        session = sandbox.shared_session
        team = TeamFactory.create(heroes=3, heroes__level=5)
        assert len(team.heroes) == 3
        assert {h.team_id for h in team.heroes} == {team.id}
        assert {h.level for h in team.heroes} == {5}
        assert _count(session, Team) == 1  # no team for each child
        hero = HeroFactory.create(team__heroes=2, powers=2)
        assert len(hero.team.heroes) == 3
        assert hero in hero.team.heroes
        assert [p.hero_id for p in hero.powers] == [hero.id, hero.id]
        assert _count(session, Team) == 2
        assert _count(session, Hero) == 6
        rows = session.execute(select(Hero.team_id, sa.func.count()).group_by(Hero.team_id))
        assert sorted(n for _, n in rows) == [3, 3]


def test_related_list_declares_children(database: TestDatabase) -> None:
    class SquadFactory(fk.Factory[Team], register=False):
        heroes = fk.RelatedList(HeroFactory, size=2, level=1)

    built = SquadFactory.build()
    assert [h.team for h in built.heroes] == [built, built]
    with database.sandbox() as sandbox:
        squad = SquadFactory.create()
        assert [h.level for h in squad.heroes] == [1, 1]
        assert all(h.team_id == squad.id for h in squad.heroes)
        bigger = SquadFactory.create(heroes=4, heroes__level=2)
        assert [h.level for h in bigger.heroes] == [2] * 4
        assert SquadFactory.create(heroes=[]).heroes == []
        assert _count(sandbox.shared_session, Team) == 3


def test_create_through_a_plain_sqlmodel_session() -> None:
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        heroes = HeroFactory.create_batch(3, session)
        assert session.exec(select(Hero)).all() == heroes
        assert len(session.exec(select(Team)).all()) == 3
    engine.dispose()


def test_acreate_in_the_async_sandbox(database: TestDatabase) -> None:
    pytest.importorskip("aiosqlite")

    async def flow() -> None:
        async with database.async_sandbox() as sandbox:
            team = await TeamFactory.acreate(heroes=2)
            powers = await PowerFactory.acreate_batch(2)
            assert all(h.team_id == team.id for h in team.heroes)
            assert all(p.hero_id is not None for p in powers)
            total = await sandbox.shared_session.scalar(
                sa.select(sa.func.count()).select_from(Hero)
            )
            assert total == 4

    asyncio.run(flow())


def test_payload_has_the_columns_and_the_many_to_one_row() -> None:
    body = HeroFactory.payload(name="Rusty")
    assert body["name"] == "Rusty"
    assert body["age"] is None
    assert isinstance(body["team"]["name"], str)
    assert "powers" not in body


def test_to_many_sizes_are_checked() -> None:
    with pytest.raises(ValueError, match=r"TeamFactory.build\(\): heroes .* must be a whole"):
        TeamFactory.build(heroes=-1)
    with pytest.raises(ValueError, match="must be a whole number"):
        TeamFactory.build(heroes=True)
    with pytest.raises(TypeError, match="takes a factory class"):
        fk.RelatedList(Hero)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"fk.RelatedList\(size=...\) must be a whole"):
        fk.RelatedList(HeroFactory, size=-2)
