"""To-many relationships of plain SQLAlchemy models: ``parent=n`` and ``fk.RelatedList``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

import fixturekit.factories as fk


class Base(DeclarativeBase):
    pass


tagging = sa.Table(
    "tagging",
    Base.metadata,
    sa.Column("article_id", sa.ForeignKey("articles.id"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id"), primary_key=True),
)


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40))
    articles: Mapped[list[Article]] = relationship(back_populates="author")
    notes: Mapped[list[Note]] = relationship()  # no relationship back


class Article(Base):
    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("authors.id"))
    author: Mapped[Author] = relationship(back_populates="articles")
    title: Mapped[str] = mapped_column(sa.String(60))
    tags: Mapped[list[Tag]] = relationship(secondary=tagging)


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("authors.id"))
    body: Mapped[str] = mapped_column(sa.String(80))


class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(20), unique=True)


class AuthorFactory(fk.Factory[Author]):
    pass


class ArticleFactory(fk.Factory[Article]):
    pass


class NoteFactory(fk.Factory[Note]):
    pass


class TagFactory(fk.Factory[Tag]):
    pass


class TaggedArticleFactory(fk.Factory[Article], register=False):
    tags = fk.RelatedList(TagFactory, size=3)


class ProlificAuthorFactory(fk.Factory[Author], register=False):
    articles = fk.RelatedList(TaggedArticleFactory, size=2, title="Draft")


@pytest.fixture
def session() -> Iterator[Session]:
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        yield s
    engine.dispose()


def _count(session: Session, model: type) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_an_integer_makes_that_many_children_of_the_row(session: Session) -> None:
    author = AuthorFactory.create(session, articles=3, notes=2, articles__title="Hello")
    assert [a.title for a in author.articles] == ["Hello"] * 3
    assert {a.author_id for a in author.articles} == {author.id}
    assert {n.author_id for n in author.notes} == {author.id}  # a relationship one way
    assert _count(session, Author) == 1
    assert _count(session, Article) == 3
    assert _count(session, Note) == 2


def test_related_list_nests_and_reaches_many_to_many(session: Session) -> None:
    authors = ProlificAuthorFactory.create_batch(2, session)
    assert _count(session, Author) == 2
    assert _count(session, Article) == 4
    assert _count(session, Tag) == 12
    assert all(len(a.tags) == 3 for author in authors for a in author.articles)
    assert {a.title for author in authors for a in author.articles} == {"Draft"}
    one = ProlificAuthorFactory.create(session, articles=1, articles__tags=1)
    assert len(one.articles) == 1
    assert len(one.articles[0].tags) == 1


def test_children_are_built_without_a_session_too() -> None:
    author = AuthorFactory.build(articles=2)
    assert [a.author for a in author.articles] == [author, author]
    assert AuthorFactory.build().articles == []


def test_a_list_of_objects_still_sets_the_relationship(session: Session) -> None:
    mine = ArticleFactory.build_batch(2, author=None)
    author = AuthorFactory.create(session, articles=mine)
    assert author.articles == mine
    assert all(a.author_id == author.id for a in mine)


def test_reaching_into_children_the_call_does_not_make_is_an_error() -> None:
    with pytest.raises(TypeError, match=r"articles__title=\.\.\. sets a field .* articles=3"):
        AuthorFactory.build(articles__title="Hello")
    assert ProlificAuthorFactory.build(articles__title="Hi").articles[0].title == "Hi"
