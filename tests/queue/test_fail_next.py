from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from fixturekit.errors import PayloadError
from fixturekit.queue import FakeQueue


def test_the_next_push_fails_like_a_broker_outage_and_lands_nothing() -> None:
    queue = FakeQueue()
    queue.fail_next()
    with pytest.raises(ConnectionError, match=r"^the fake broker refused the push$"):
        queue.push("send_welcome", {"user_id": 1})
    queue.assert_nothing_pushed()
    assert queue.timeline.messages()[-2:] == [
        "next 1 push scripted to fail with ConnectionError: the fake broker refused the push",
        "push of 'send_welcome' failed: ConnectionError: the fake broker refused the push "
        "(fail_next)",
    ]
    assert queue.push("send_welcome", {"user_id": 1}).id == "job-1"  # the outage is over


def test_times_fails_that_many_pushes() -> None:
    queue = FakeQueue()
    queue.fail_next(times=2, message="broker unreachable")
    for _ in range(2):
        with pytest.raises(ConnectionError, match="broker unreachable"):
            queue.push("x")
    queue.push("x")
    queue.assert_pushed_count(1)


def test_on_waits_for_a_push_of_that_job() -> None:
    queue = FakeQueue()
    queue.fail_next(on="charge_card")
    queue.push("send_welcome")
    with pytest.raises(ConnectionError):
        queue.push("charge_card", {"order": 7})
    queue.push("charge_card", {"order": 7})
    assert [job.name for job in queue.jobs] == ["send_welcome", "charge_card"]


def test_error_takes_an_exception_class_or_instance() -> None:
    queue = FakeQueue()
    queue.fail_next(TimeoutError, message="publish timed out")
    refused = RuntimeError("channel closed")
    queue.fail_next(refused)
    with pytest.raises(TimeoutError, match="publish timed out"):
        queue.push("a")
    with pytest.raises(RuntimeError) as raised:
        queue.push("b")
    assert raised.value is refused
    queue.fail_next(OSError)
    with pytest.raises(OSError, match="the fake broker refused the push"):
        queue.push("c")


def test_failures_queue_up_first_in_first_out() -> None:
    queue = FakeQueue()
    queue.fail_next(TimeoutError, on="b")
    queue.fail_next(KeyError)
    with pytest.raises(KeyError):
        queue.push("a")  # the first failure waits for 'b'
    with pytest.raises(TimeoutError):
        queue.push("b")
    queue.push("a")


def test_a_bad_payload_is_refused_first_and_the_failure_keeps_waiting() -> None:
    queue = FakeQueue()
    queue.fail_next()
    with pytest.raises(PayloadError):
        queue.push("x", {"at": datetime(2024, 1, 1)})
    with pytest.raises(ConnectionError):
        queue.push("x", {"at": "2024-01-01"})


def test_a_commit_gated_push_fails_at_the_call() -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    engine = create_engine("sqlite://")
    queue = FakeQueue()
    queue.fail_next()
    with Session(engine) as session:
        session.begin()
        with pytest.raises(ConnectionError):
            queue.push("x", after_commit=session)
        assert queue.staged == []
        session.commit()
    queue.assert_nothing_pushed()
    engine.dispose()


def test_an_app_that_retries_its_push_gets_through() -> None:
    queue = FakeQueue()

    def enqueue_welcome(user_id: int) -> int:
        """Application code: retry the push a few times, as a resilient producer does."""
        for attempt in range(1, 4):
            try:
                queue.push("send_welcome", {"user_id": user_id})
            except ConnectionError:
                continue
            return attempt
        raise RuntimeError("gave up")

    queue.fail_next(times=2)
    assert enqueue_welcome(1) == 3
    queue.assert_pushed("send_welcome", times=1)


def test_celery_delay_apply_async_and_send_task_fail_too() -> None:
    celery = pytest.importorskip("celery", reason="the celery extra is not installed")
    app = celery.Celery("shop", set_as_current=False)

    @app.task(name="shop.send_welcome", shared=False)
    def send_welcome(user_id: int) -> None:
        pass

    queue = FakeQueue()
    calls: list[Any] = [
        lambda: send_welcome.delay(1),
        lambda: send_welcome.apply_async((2,), countdown=10),
        lambda: app.send_task("shop.send_welcome", args=[3]),
    ]
    with queue.patch_celery(app):
        queue.fail_next(times=3, on="shop.send_welcome")
        for call in calls:
            with pytest.raises(ConnectionError):
                call()
        queue.assert_nothing_pushed()
        send_welcome.delay(4)
    queue.assert_pushed("shop.send_welcome", args=[4], times=1)
