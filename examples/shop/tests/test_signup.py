"""Signup, end to end: the API queues jobs, the queue sends mail, the mail's link verifies.

The app pushes jobs to whatever :func:`shop.jobs.get_jobs` returns and its worker mails
through a :class:`shop.mailer.Mailer`. The `shop` fixture plugs fixturekit's fakes into
those two ports: the `job_queue` fixture is the app's queue, and its handlers are the
app's own jobs (``job_handlers``), mailing through the `mailer` fixture. Running the
queue is the worker's turn; the clock decides what is due.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import fixturekit as fk
from fixturekit.mail import FakeMailer
from fixturekit.queue import FakeQueue
from shop.api import app
from shop.db import SessionLocal
from shop.jobs import DatabaseJobQueue, QueuedJob, get_jobs
from shop.mailer import SmtpMailer
from shop.settings import Settings, get_settings
from shop.signup import job_handlers


@pytest.fixture
def settings() -> Settings:
    return Settings(public_url="https://shop.example", secret_key=secrets.token_urlsafe(32))


@pytest.fixture
def shop(
    client: TestClient, settings: Settings, job_queue: FakeQueue, mailer: FakeMailer
) -> Iterator[TestClient]:
    """The app, queueing its jobs in `job_queue`, whose handlers mail through `mailer`."""
    for name, handler in job_handlers(settings, mailer).items():
        job_queue.handler(name, handler)
    app.dependency_overrides[get_settings] = lambda: settings
    app.dependency_overrides[get_jobs] = lambda: job_queue
    yield client
    app.dependency_overrides.pop(get_settings, None)
    app.dependency_overrides.pop(get_jobs, None)


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_the_welcome_mail_links_back_to_verify_the_address(
    shop: TestClient, job_queue: FakeQueue, mailer: FakeMailer
) -> None:
    signup = shop.post("/signup", json={"email": "ada@example.com"})
    assert signup.status_code == 201, signup.text
    assert signup.json()["email_verified"] is False

    job_queue.run_due()  # the worker's turn

    welcome = mailer.assert_sent(to="ada@example.com", subject="Welcome to the shop")
    verified = shop.get(welcome.find_link("/verify-email"))
    assert verified.status_code == 200, verified.text
    assert verified.json()["email_verified"] is True


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_an_unverified_address_is_reminded_two_days_later(
    clock: fk.Clock, shop: TestClient, job_queue: FakeQueue, mailer: FakeMailer
) -> None:
    shop.post("/signup", json={"email": "ada@example.com"})
    job_queue.run_due()
    mailer.assert_sent(subject="Welcome to the shop")

    clock.advance(days=1, hours=23)
    job_queue.run_due()
    mailer.assert_not_sent(subject="Please confirm your email address")

    clock.advance(hours=1)
    job_queue.run_due()
    reminder = mailer.assert_sent(to="ada@example.com", subject="Please confirm your email address")
    assert reminder.sent_at == clock.now()
    assert shop.get(reminder.find_link("/verify-email")).json()["email_verified"] is True


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_a_verified_address_is_not_reminded(
    shop: TestClient, job_queue: FakeQueue, mailer: FakeMailer
) -> None:
    shop.post("/signup", json={"email": "ada@example.com"})
    job_queue.run_due()
    shop.get(mailer.assert_sent(subject="Welcome to the shop").find_link("/verify-email"))

    job_queue.run_all()  # moves the clock on to the reminder job, two days later

    job_queue.assert_pushed("remind_unverified", state="succeeded")
    mailer.assert_sent_count(1)


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_a_signup_that_rolls_back_sends_nothing(
    shop: TestClient, job_queue: FakeQueue, mailer: FakeMailer
) -> None:
    assert shop.post("/signup", json={"email": "ada@example.com"}).status_code == 201

    taken = shop.post("/signup", json={"email": "ada@example.com"})  # the commit fails

    assert taken.status_code == 409
    job_queue.run_all()
    job_queue.assert_pushed("send_welcome", times=1)
    mailer.assert_sent(to="ada@example.com", subject="Welcome to the shop", times=1)


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_the_link_expires_after_a_week(
    clock: fk.Clock, shop: TestClient, job_queue: FakeQueue, mailer: FakeMailer
) -> None:
    shop.post("/signup", json={"email": "ada@example.com"})
    job_queue.run_due()
    link = mailer.assert_sent(subject="Welcome to the shop").find_link("/verify-email")

    clock.advance(days=7, seconds=1)
    response = shop.get(link)

    assert response.status_code == 400
    assert response.json() == {
        "detail": "this verification link has expired; use the one in our latest email"
    }


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_a_link_for_another_account_is_refused(
    shop: TestClient, job_queue: FakeQueue, mailer: FakeMailer
) -> None:
    shop.post("/signup", json={"email": "ada@example.com"})
    job_queue.run_due()
    link = mailer.assert_sent(subject="Welcome to the shop").find_link("/verify-email")
    customer_id = link.split("token=")[1].split(".")[0]

    forged = link.replace(f"token={customer_id}.", f"token={int(customer_id) + 1}.")
    response = shop.get(forged)

    assert response.status_code == 400
    assert response.json() == {"detail": "this verification link is not valid"}


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_the_production_queue_runs_the_same_jobs_after_the_commit(
    clock: fk.Clock, client: TestClient, settings: Settings, mailer: FakeMailer, session: Session
) -> None:
    """DatabaseJobQueue, the production backend, keeps the promise the fake checks."""
    queue = DatabaseJobQueue(SessionLocal)
    app.dependency_overrides[get_settings] = lambda: settings
    app.dependency_overrides[get_jobs] = lambda: queue
    try:
        client.post("/signup", json={"email": "ada@example.com"})
        assert client.post("/signup", json={"email": "ada@example.com"}).status_code == 409
    finally:
        app.dependency_overrides.pop(get_settings, None)
        app.dependency_overrides.pop(get_jobs, None)
    handlers = job_handlers(settings, mailer)

    assert session.scalars(select(QueuedJob.name).order_by(QueuedJob.id)).all() == [
        "send_welcome",
        "remind_unverified",
    ]
    assert queue.run_due(handlers) == 1
    mailer.assert_sent(to="ada@example.com", subject="Welcome to the shop")
    clock.advance(days=2)
    assert queue.run_due(handlers) == 1
    mailer.assert_sent(to="ada@example.com", subject="Please confirm your email address")
    assert queue.run_due(handlers) == 0


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_the_production_mailer_speaks_smtp(settings: Settings, mailer: FakeMailer) -> None:
    pytest.importorskip("aiosmtpd", reason="the SMTP capture server needs fixturekit[smtp]")
    with mailer.smtp_server() as (host, port):
        smtp = SmtpMailer(
            Settings(
                public_url=settings.public_url,
                secret_key=settings.secret_key,
                smtp_host=host,
                smtp_port=port,
                smtp_starttls=False,  # the capture server speaks plain SMTP
                smtp_username="shop",
                smtp_password=secrets.token_urlsafe(8),
            )
        )
        smtp.send(to="ada@example.com", subject="Hello", text="Plain", html="<p>Rich</p>")

    mail = mailer.assert_sent(to="ada@example.com", subject="Hello", via="smtp", login="shop")
    assert (mail.text, mail.html) == ("Plain", "<p>Rich</p>")
    assert mail.from_ == "hello@shop.example"
