"""The microblog with pytest fixtures: the recipe's ``client`` (conftest.py)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import fixturekit as fk
from fixturekit.mail import FakeMailer
from microblog import db
from microblog.models import User
from microblog.tests.factories import PostFactory, UserFactory

BASIC = {"Authorization": "Basic YWRhOnMzY3JldA=="}  # ada:s3cret


def sign_up(client: FlaskClient, username: str = "ada", password: str = "s3cret") -> None:
    response = client.post(
        "/users",
        json={"username": username, "email": f"{username}@example.com", "password": password},
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("name", ["ada", "grace"])
def test_each_test_starts_with_no_users(
    client: FlaskClient, db_session: Session, name: str
) -> None:
    assert db_session.scalar(select(func.count()).select_from(User)) == 0
    sign_up(client, name)
    assert db_session.scalars(select(User.username)).all() == [name]


def test_passwords_are_stored_hashed(client: FlaskClient, db_session: Session) -> None:
    sign_up(client)
    user = db_session.scalars(select(User)).one()
    assert user.password_hash != "s3cret"
    assert user.check_password("s3cret")
    assert not user.check_password("guess")


def test_a_taken_username_is_refused_and_the_app_carries_on(client: FlaskClient) -> None:
    sign_up(client)
    again = client.post(
        "/users", json={"username": "ada", "email": "x@example.com", "password": "p"}
    )
    assert again.status_code == 409
    sign_up(client, "grace")


def test_the_apps_commit_is_seen_by_the_sandbox_session(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    with app.app_context():
        db.session.add(User(username="ada", email="ada@example.com"))
        db.session.commit()
    assert db_session.scalars(select(User.username)).all() == ["ada"]
    db_session.add(User(username="grace", email="grace@example.com"))
    db_session.commit()
    with app.app_context():
        assert db.session.scalars(select(User.username).order_by(User.username)).all() == [
            "ada",
            "grace",
        ]


def test_posts_are_listed_newest_first(client: FlaskClient, clock: fk.Clock) -> None:
    sign_up(client)
    client.post("/posts", json={"body": "first"}, headers=BASIC)
    clock.advance(minutes=5)
    assert client.post("/posts", json={"body": "second"}, headers=BASIC).status_code == 201
    assert client.get("/users/ada/posts").json == ["second", "first"]
    assert client.post("/posts", json={"body": "x"}).status_code == 401


def test_factories_create_in_the_apps_session(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        author = UserFactory.create(username="ada", password="s3cret")
        PostFactory.create_batch(2, author=author)
        assert author in db.session  # the app's session, not only the sandbox's
        author.about_me = "writes posts"
        db.session.commit()
    assert len(client.get("/users/ada/posts").json) == 2
    assert client.post("/posts", json={"body": "third"}, headers=BASIC).status_code == 201


def test_a_plain_user_has_no_reset_token(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        user = UserFactory.create()
        assert (user.token, user.token_expiration) == (None, None)
        assert User.check_token("drug") is None
        token = user.get_token()
        assert User.check_token(token) is user


@pytest.mark.clock("2024-05-01T09:00:00Z")
def test_the_password_reset_mail_expires_after_ten_minutes(
    client: FlaskClient, mailer: FakeMailer, clock: fk.Clock
) -> None:
    sign_up(client, password="forgotten")
    assert (
        client.post("/reset_password_request", json={"email": "ada@example.com"}).status_code == 202
    )

    mail = mailer.assert_sent(
        to="ada@example.com", subject="[Microblog] Reset Your Password", timeout=2
    )
    link = mail.find_link("/reset_password/")
    clock.advance(minutes=11)

    response = client.post(link, json={"password": "new"})
    assert response.status_code == 400
    assert "expired" in response.text


def test_the_reset_link_sets_a_new_password_once(client: FlaskClient, mailer: FakeMailer) -> None:
    sign_up(client, password="forgotten")
    client.post("/reset_password_request", json={"email": "ada@example.com"})
    link = mailer.assert_sent(to="ada@example.com", timeout=2).find_link("/reset_password/")

    assert client.post(link, json={"password": "s3cret"}).status_code == 200
    assert client.post("/posts", json={"body": "back in"}, headers=BASIC).status_code == 201
    assert client.post(link, json={"password": "again"}).status_code == 400


def test_no_mail_for_an_unknown_address(client: FlaskClient, mailer: FakeMailer) -> None:
    response = client.post("/reset_password_request", json={"email": "nobody@example.com"})
    assert response.status_code == 202
    mailer.assert_nothing_sent()
