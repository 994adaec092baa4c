"""Multi-column unique constraints and unique indexes: no combination repeats."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

import fixturekit.factories as fk

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Base(DeclarativeBase):
    pass


class Slot(Base):
    """168 (day, hour) pairs: 100 random draws repeat one almost surely."""

    # (hours come from the factory's declaration)

    __tablename__ = "slots"
    __table_args__ = (sa.UniqueConstraint("day", "hour"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[str] = mapped_column(sa.Enum(*DAYS, name="day"))
    hour: Mapped[int] = mapped_column(sa.SmallInteger)
    label: Mapped[str] = mapped_column(sa.String(20))


class Room(Base):
    """A unique index over three columns with 30 combinations."""

    __tablename__ = "rooms"
    __table_args__ = (sa.Index("ix_rooms_place", "building", "rating", "wing", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    building: Mapped[str] = mapped_column(sa.Enum("north", "south", "east", name="building"))
    rating: Mapped[int]
    wing: Mapped[bool]


class Course(Base):
    __tablename__ = "courses"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(40))
    enrollments: Mapped[list[Enrollment]] = relationship(back_populates="course")


class Enrollment(Base):
    """Grades are unique per course, not across courses."""

    __tablename__ = "enrollments"
    __table_args__ = (sa.UniqueConstraint("course_id", "grade"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"))
    course: Mapped[Course] = relationship(back_populates="enrollments")
    grade: Mapped[str] = mapped_column(sa.Enum("A", "B", "C", "D", name="grade"))


class SlotFactory(fk.Factory[Slot]):
    hour = fk.Faker("pyint", min_value=0, max_value=23)
    label = fk.Lazy(lambda o: f"{o.day} {o.hour}h")


class RoomFactory(fk.Factory[Room]):
    rating = fk.Faker("pyint", min_value=1, max_value=5)


class CourseFactory(fk.Factory[Course]):
    pass


class EnrollmentFactory(fk.Factory[Enrollment]):
    pass


@pytest.fixture
def session() -> Iterator[Session]:
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        yield s
    engine.dispose()


def test_a_unique_constraint_over_two_columns_is_respected(session: Session) -> None:
    slots = SlotFactory.create_batch(100, session)  # the database would refuse a repeat
    assert len({(s.day, s.hour) for s in slots}) == 100
    assert all(s.label == f"{s.day} {s.hour}h" for s in slots)  # Lazy values follow
    assert all(0 <= s.hour <= 23 for s in slots)


def test_a_unique_index_over_three_columns_is_respected(session: Session) -> None:
    rooms = RoomFactory.create_batch(16, session)
    assert len({(r.building, r.rating, r.wing) for r in rooms}) == 16


def test_rows_of_one_parent_differ_and_rows_of_different_parents_may_match(
    session: Session,
) -> None:
    courses = CourseFactory.create_batch(10, session, enrollments=3)
    for course in courses:
        assert len({e.grade for e in course.enrollments}) == 3
    assert session.scalar(sa.select(sa.func.count()).select_from(Enrollment)) == 30
    course = CourseFactory.create(session)
    same = EnrollmentFactory.create_batch(3, session, course=course)
    assert len({e.grade for e in same}) == 3


def test_values_the_call_gives_are_kept() -> None:
    slots = SlotFactory.build_batch(2, day="mon", hour=9)
    assert [(s.day, s.hour) for s in slots] == [("mon", 9), ("mon", 9)]
    mondays = SlotFactory.build_batch(12, day="mon")
    assert len({s.hour for s in mondays}) == 12  # the other column is drawn again
