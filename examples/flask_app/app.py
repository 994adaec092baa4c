"""The HTTP layer: a Flask app whose views use the module-level ``Session``.

Each request uses the thread's session from :data:`flask_app.db.Session`, and
``teardown_appcontext`` removes it, the usual Flask + SQLAlchemy arrangement.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, abort, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from flask_app.db import Session, utcnow
from flask_app.models import Book, Loan

#: How long a book may be kept.
LOAN_PERIOD = timedelta(days=21)


def create_app() -> Flask:
    app = Flask(__name__)

    @app.teardown_appcontext
    def remove_session(exc: BaseException | None) -> None:
        Session.remove()

    @app.post("/books")
    def add_book() -> tuple[dict[str, Any], int]:
        data = request.get_json(force=True)
        book = Book(isbn=str(data["isbn"]), title=str(data["title"]))
        Session.add(book)
        try:
            Session.commit()
        except IntegrityError:
            Session.rollback()
            abort(409, description=f"a book with ISBN {book.isbn} is already catalogued")
        return _book(book), 201

    @app.get("/books")
    def list_books() -> list[dict[str, Any]]:
        return [_book(b) for b in Session.scalars(select(Book).order_by(Book.title))]

    @app.post("/books/<int:book_id>/loans")
    def lend(book_id: int) -> tuple[dict[str, Any], int]:
        book = Session.get(Book, book_id) or abort(404)
        if any(loan.returned_on is None for loan in book.loans):
            abort(409, description=f"{book.title!r} is out on loan")
        borrower = str(request.get_json(force=True)["borrower"])
        loan = Loan(book=book, borrower=borrower, due_on=(utcnow() + LOAN_PERIOD).date())
        Session.add(loan)
        Session.commit()
        return _loan(loan), 201

    @app.post("/loans/<int:loan_id>/return")
    def give_back(loan_id: int) -> dict[str, Any]:
        loan = Session.get(Loan, loan_id) or abort(404)
        if loan.returned_on is None:
            loan.returned_on = utcnow().date()
            Session.commit()
        return _loan(loan)

    @app.get("/loans/overdue")
    def overdue() -> list[dict[str, Any]]:
        today = utcnow().date()
        query = (
            select(Loan)
            .where(Loan.returned_on.is_(None), Loan.due_on < today)
            .order_by(Loan.due_on)
        )
        return [_loan(loan) for loan in Session.scalars(query)]

    return app


def _book(book: Book) -> dict[str, Any]:
    return {"id": book.id, "isbn": book.isbn, "title": book.title}


def _loan(loan: Loan) -> dict[str, Any]:
    return {
        "id": loan.id,
        "book_id": loan.book_id,
        "borrower": loan.borrower,
        "due_on": loan.due_on.isoformat(),
        "returned_on": loan.returned_on.isoformat() if loan.returned_on else None,
    }
