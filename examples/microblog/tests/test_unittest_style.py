# unittest assertions on purpose: this file shows the unittest way of writing tests.
# ruff: noqa: PT009
"""The microblog's unittest suite, in the mega-tutorial's style, on ``HarnessTestCase``.

The set-up is the Flask recipe's (docs/recipes/flask.md): each test creates the app, as
the tutorial's tests do, and binds ``db`` into the test's sandbox. The tests run under pytest with
the rest of the suite, and on their own with ``python -m unittest
microblog.tests.test_unittest_style`` from the ``examples`` folder: on SQLite, and on
PostgreSQL and MariaDB when ``FIXTUREKIT_TEST_POSTGRES_URL`` /
``FIXTUREKIT_TEST_MYSQL_URL`` are set.
"""

from __future__ import annotations

import os
import unittest
from datetime import datetime, timedelta

from sqlalchemy import select

import microblog.models  # noqa: F401 - registers the tables on db.metadata
from fixturekit.db import TestDatabase
from fixturekit.factories import Factory
from fixturekit.mail import FakeMailer
from fixturekit.testcase import HarnessTestCase
from microblog import create_app, db
from microblog.models import Post, User
from microblog.tests.factories import PostFactory, UserFactory

POSTGRES_URL = os.environ.get("FIXTUREKIT_TEST_POSTGRES_URL", "")
MYSQL_URL = os.environ.get("FIXTUREKIT_TEST_MYSQL_URL", "")


class MicroblogTestCase(HarnessTestCase):
    """Each test: the app in a pushed app context, its ``db`` bound into the test's sandbox
    of ``microblog_unittest_test``, and its mail, sent from any thread, in ``self.mailer``."""

    clock_start = "2024-05-01T09:00:00Z"
    fakes = (FakeMailer,)
    database = TestDatabase(
        "sqlite:///microblog.db", schema=db.metadata, name="microblog_unittest_test"
    )

    mailer: FakeMailer

    def setUp(self) -> None:
        super().setUp()  # the clock, the mailer and the test's sandbox
        url = self.database.url.render_as_string(hide_password=False)
        self.app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        self.db_sandbox.bind(db)  # its engines and db.session, restored after the test
        self.app_context = self.app.app_context()
        self.app_context.push()
        self.addCleanup(self.app_context.pop)
        smtp = self.mailer.patch_smtplib()
        smtp.__enter__()
        self.addCleanup(smtp.__exit__, None, None, None)
        self.client = self.app.test_client()


class UserModelCase(MicroblogTestCase):
    def test_password_hashing(self) -> None:
        u = User(username="susan", email="susan@example.com")
        u.set_password("cat")
        self.assertFalse(u.check_password("dog"))
        self.assertTrue(u.check_password("cat"))

    def test_a_commit_through_the_app_is_seen_by_the_test_session(self) -> None:
        db.session.add(User(username="susan", email="susan@example.com"))
        db.session.commit()
        self.assertEqual(self.db_session.scalars(select(User.username)).all(), ["susan"])

        self.db_session.add(User(username="john", email="john@example.com"))
        self.db_session.commit()
        names = db.session.scalars(select(User.username).order_by(User.username)).all()
        self.assertEqual(names, ["john", "susan"])

    def test_each_test_starts_with_no_users(self) -> None:
        self.assertEqual(db.session.scalars(select(User)).all(), [])
        db.session.add(User(username="susan", email="susan@example.com"))
        db.session.commit()

    def test_factories_create_in_the_apps_session(self) -> None:
        user = UserFactory.create(password="cat")
        PostFactory.create_batch(2, author=user)
        self.assertIn(user, db.session)
        user.about_me = "posts about cats"
        db.session.commit()
        self.assertEqual(len(db.session.scalars(user.posts.select()).all()), 2)

    def test_a_plain_factory_leaves_the_token_empty(self) -> None:
        class PlainUserFactory(Factory[User], register=False):
            pass

        user = PlainUserFactory.create()
        self.assertIsNone(user.token)
        self.assertIsNone(user.token_expiration)
        self.assertIsNone(User.check_token("drug"))

    def test_tokens_expire(self) -> None:
        u = UserFactory.create()
        token = u.get_token(expires_in=60)
        db.session.commit()
        self.assertIs(User.check_token(token), u)
        self.clock.advance(seconds=61)
        self.assertIsNone(User.check_token(token))


class PostCase(MicroblogTestCase):
    def test_posts_are_listed_newest_first(self) -> None:
        susan = UserFactory.create(username="susan")
        PostFactory.create(author=susan, body="first", timestamp=datetime(2024, 5, 1, 8))
        PostFactory.create(author=susan, body="second", timestamp=datetime(2024, 5, 1, 9))
        db.session.commit()
        response = self.client.get("/users/susan/posts")
        self.assertEqual(response.json, ["second", "first"])

    def test_a_post_needs_the_password(self) -> None:
        UserFactory.create(username="susan", password="cat")
        db.session.commit()
        response = self.client.post("/posts", json={"body": "hi"}, auth=("susan", "dog"))
        self.assertEqual(response.status_code, 401)
        response = self.client.post("/posts", json={"body": "hi"}, auth=("susan", "cat"))
        self.assertEqual(response.status_code, 201)
        self.assertEqual(self.db_session.scalars(select(Post.body)).all(), ["hi"])


class PasswordResetCase(MicroblogTestCase):
    def request_reset(self) -> str:
        UserFactory.create(username="susan", password="cat")
        db.session.commit()
        response = self.client.post("/reset_password_request", json={"email": "susan@example.com"})
        self.assertEqual(response.status_code, 202)
        mail = self.mailer.assert_sent(to="susan@example.com", timeout=2)
        self.assertEqual(mail.subject, "[Microblog] Reset Your Password")
        return mail.find_link("/reset_password/")

    def test_the_link_sets_a_new_password(self) -> None:
        link = self.request_reset()
        response = self.client.post(link, json={"password": "dog"})
        self.assertEqual(response.status_code, 200)
        susan = db.session.scalars(select(User).where(User.username == "susan")).one()
        self.assertTrue(susan.check_password("dog"))
        self.assertIsNone(susan.token)

    def test_the_link_expires_after_ten_minutes(self) -> None:
        link = self.request_reset()
        self.clock.advance(timedelta(minutes=11))
        response = self.client.post(link, json={"password": "dog"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("expired", response.text)

    def test_no_mail_for_an_unknown_address(self) -> None:
        response = self.client.post("/reset_password_request", json={"email": "x@example.com"})
        self.assertEqual(response.status_code, 202)
        self.mailer.assert_nothing_sent()


class TutorialConfigCase(HarnessTestCase):
    """``database_bind = (db,)``: the app, built once with the tutorial's own test
    configuration (an in-memory SQLite URL), has its engine routed into each test's
    sandbox before ``setUp`` goes on."""

    database = MicroblogTestCase.database
    database_bind = (db,)

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})

    def setUp(self) -> None:
        super().setUp()
        self.app_context = self.app.app_context()
        self.app_context.push()
        self.addCleanup(self.app_context.pop)

    def test_the_app_and_the_test_share_the_sandbox(self) -> None:
        db.session.add(User(username="susan", email="susan@example.com"))
        db.session.commit()
        self.assertEqual(self.db_session.scalars(select(User.username)).all(), ["susan"])
        UserFactory.create(username="john")
        db.session.commit()
        self.assertEqual(len(self.db_session.scalars(select(User)).all()), 2)

    def test_the_next_test_starts_empty(self) -> None:
        self.assertEqual(db.session.scalars(select(User)).all(), [])


def _on_servers() -> dict[str, type[MicroblogTestCase]]:
    """The same cases on each server that is configured: UserModelOnPostgresCase..."""
    made: dict[str, type[MicroblogTestCase]] = {}
    for backend, url in (("Postgres", POSTGRES_URL), ("MariaDB", MYSQL_URL)):
        if not url:
            continue
        database = TestDatabase(url, schema=db.metadata, name="microblog_unittest_test")
        for case in (UserModelCase, PostCase, PasswordResetCase):
            name = case.__name__.replace("Case", f"On{backend}Case")
            made[name] = type(name, (case,), {"database": database})
    return made


globals().update(_on_servers())

if __name__ == "__main__":
    unittest.main()
