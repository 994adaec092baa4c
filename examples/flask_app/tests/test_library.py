"""The Flask app end to end: requests commit, and the next test starts empty."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import fixturekit as fk
from flask_app.models import Book, Loan


def add_book(client: FlaskClient, isbn: str = "978-0-00-000001-1", title: str = "Dune") -> int:
    response = client.post("/books", json={"isbn": isbn, "title": title})
    assert response.status_code == 201, response.text
    return int(response.json["id"])


@pytest.mark.parametrize("title", ["Dune", "Emma"])
def test_each_test_starts_with_an_empty_catalogue(client: FlaskClient, title: str) -> None:
    assert client.get("/books").json == []
    add_book(client, title=title)
    assert [b["title"] for b in client.get("/books").json] == [title]


def test_what_a_request_committed_is_visible_to_the_test(
    client: FlaskClient, db_session: Session
) -> None:
    book_id = add_book(client)
    client.post(f"/books/{book_id}/loans", json={"borrower": "ada"})
    assert db_session.scalar(select(func.count()).select_from(Loan)) == 1
    assert db_session.get(Book, book_id).title == "Dune"  # type: ignore[union-attr]


def test_rows_the_test_adds_are_seen_by_the_app(client: FlaskClient, db_session: Session) -> None:
    db_session.add(Book(isbn="978-0-00-000002-8", title="Persuasion"))
    db_session.commit()
    assert [b["title"] for b in client.get("/books").json] == ["Persuasion"]


def test_duplicate_isbn_is_refused_and_the_app_carries_on(client: FlaskClient) -> None:
    add_book(client)
    response = client.post("/books", json={"isbn": "978-0-00-000001-1", "title": "Again"})
    assert response.status_code == 409
    add_book(client, isbn="978-0-00-000003-5", title="Middlemarch")
    assert [b["title"] for b in client.get("/books").json] == ["Dune", "Middlemarch"]


def test_a_lent_book_cannot_be_lent_twice_until_it_is_returned(client: FlaskClient) -> None:
    book_id = add_book(client)
    loan = client.post(f"/books/{book_id}/loans", json={"borrower": "ada"}).json
    assert client.post(f"/books/{book_id}/loans", json={"borrower": "bob"}).status_code == 409
    client.post(f"/loans/{loan['id']}/return")
    assert client.post(f"/books/{book_id}/loans", json={"borrower": "bob"}).status_code == 201


@pytest.mark.clock("2024-03-01T10:00:00Z")
def test_loans_become_overdue_after_three_weeks(client: FlaskClient, clock: fk.Clock) -> None:
    book_id = add_book(client)
    loan = client.post(f"/books/{book_id}/loans", json={"borrower": "ada"}).json
    assert loan["due_on"] == "2024-03-22"
    clock.advance(days=21)
    assert client.get("/loans/overdue").json == []
    clock.advance(days=1)
    assert [overdue["borrower"] for overdue in client.get("/loans/overdue").json] == ["ada"]
