from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest

from fixturekit.errors import FakeAssertionError
from fixturekit.queue import FakeQueue, Job


@pytest.fixture
def queue() -> FakeQueue:
    queue = FakeQueue()
    queue.push("send_welcome", {"user_id": 1}, queue="mail", delay=30)
    queue.push("send_receipt", {"order_id": 9})
    queue.push("send_welcome", {"user_id": 2}, queue="mail")
    return queue


def test_assert_pushed_returns_the_latest_matching_job(queue: FakeQueue) -> None:
    job = queue.assert_pushed("send_welcome")
    assert isinstance(job, Job)
    assert job.id == "job-3"
    assert job.payload == {"user_id": 2}
    assert queue.assert_pushed("send_welcome", payload={"user_id": 1}).id == "job-1"
    assert queue.assert_pushed().id == "job-3"  # any job: the latest one


def test_the_name_is_a_field_like_the_others(queue: FakeQueue) -> None:
    assert queue.assert_pushed(name="send_receipt").id == "job-2"
    assert [job.id for job in queue.find(name="send_welcome", queue="mail")] == ["job-1", "job-3"]
    queue.assert_not_pushed(name="send_invoice")


def test_fields_take_exact_values_regexes_and_callables(queue: FakeQueue) -> None:
    assert queue.assert_pushed(re.compile("receipt$")).name == "send_receipt"
    assert queue.assert_pushed("send_welcome", payload=lambda p: p["user_id"] > 1).id == "job-3"
    assert queue.assert_pushed("send_welcome", queue="mail", delay=30).id == "job-1"
    assert queue.assert_pushed("send_welcome", delay=timedelta(seconds=30)).id == "job-1"
    assert queue.assert_pushed("send_receipt", state="pending").id == "job-2"


def test_times_counts_the_matching_jobs(queue: FakeQueue) -> None:
    assert queue.assert_pushed("send_welcome", times=2).id == "job-3"
    queue.assert_pushed("send_welcome", times=1, payload={"user_id": 2})
    with pytest.raises(FakeAssertionError) as raised:
        queue.assert_pushed("send_welcome", times=3)
    lines = str(raised.value).splitlines()
    assert lines[0] == "expected 3 jobs with name='send_welcome', but 2 matched:"
    assert lines[1].startswith("  - 'send_welcome' (job-1) on 'mail', payload={'user_id': 1}")


def test_a_failure_lists_what_was_pushed_closest_first_with_the_differing_field(
    queue: FakeQueue,
) -> None:
    with pytest.raises(AssertionError) as raised:
        queue.assert_pushed("send_welcome", payload={"user_id": 3}, queue="mail")
    assert str(raised.value).splitlines() == [
        "expected a job with name='send_welcome', payload={'user_id': 3}, queue='mail', but "
        "none of the 3 recorded matched (closest first):",
        "  - 'send_welcome' (job-1) on 'mail', payload={'user_id': 1}, delay=30s, pending",
        "      payload was {'user_id': 1}, expected {'user_id': 3}",
        "  - 'send_welcome' (job-3) on 'mail', payload={'user_id': 2}, pending",
        "      payload was {'user_id': 2}, expected {'user_id': 3}",
        "  - 'send_receipt' (job-2) on 'default', payload={'order_id': 9}, pending",
        "      name was 'send_receipt', expected 'send_welcome'",
        "      payload was {'order_id': 9}, expected {'user_id': 3}",
        "      queue was 'default', expected 'mail'",
    ]


def test_a_failure_on_an_empty_queue_says_nothing_was_pushed() -> None:
    with pytest.raises(AssertionError, match=r"^expected a job with name='x', but nothing was"):
        FakeQueue().assert_pushed("x")


def test_assert_not_pushed_lists_the_offending_jobs(queue: FakeQueue) -> None:
    queue.assert_not_pushed("send_invoice")
    queue.assert_not_pushed("send_welcome", payload={"user_id": 5})
    with pytest.raises(FakeAssertionError) as raised:
        queue.assert_not_pushed("send_welcome", queue="mail")
    message = str(raised.value)
    assert message.startswith("expected no job with name='send_welcome', queue='mail', but 2")
    assert "(job-1)" in message
    assert "(job-3)" in message


def test_assert_nothing_pushed(queue: FakeQueue) -> None:
    FakeQueue().assert_nothing_pushed()
    with pytest.raises(FakeAssertionError, match="expected no job pushed at all, but 3 were"):
        queue.assert_nothing_pushed()


def test_assert_pushed_count_takes_the_name_and_any_field(queue: FakeQueue) -> None:
    assert [job.id for job in queue.assert_pushed_count(2, queue="mail")] == ["job-1", "job-3"]
    assert len(queue.assert_pushed_count(2, "send_welcome")) == 2
    assert len(queue.assert_pushed_count(1, "send_welcome", payload={"user_id": 2})) == 1
    queue.assert_pushed_count(0, queue="reports")
    queue.assert_pushed_count(3)
    with pytest.raises(FakeAssertionError, match="expected 4 jobs pushed, but 3 were"):
        queue.assert_pushed_count(4)
    with pytest.raises(
        FakeAssertionError, match="expected 1 jobs pushed with name='send_receipt', queue='mail'"
    ):
        queue.assert_pushed_count(1, "send_receipt", queue="mail")


def test_find_returns_every_match_in_push_order(queue: FakeQueue) -> None:
    assert [job.id for job in queue.find("send_welcome")] == ["job-1", "job-3"]
    assert [job.id for job in queue.find(queue="default")] == ["job-2"]
    assert [job.id for job in queue.find()] == ["job-1", "job-2", "job-3"]


def test_a_callable_that_raises_on_another_job_shape_is_no_match(queue: FakeQueue) -> None:
    job = queue.assert_pushed(payload=lambda p: p["order_id"] == 9)
    assert job.name == "send_receipt"


def test_timeout_waits_for_a_push_from_another_thread() -> None:
    queue = FakeQueue()
    timer = threading.Timer(0.05, queue.push, args=("late",))
    timer.start()
    try:
        assert queue.assert_pushed("late", timeout=5).name == "late"
        assert len(queue.assert_pushed_count(1, "late", timeout=5)) == 1
    finally:
        timer.join()
    with pytest.raises(FakeAssertionError, match=r"after waiting 0.01s"):
        queue.assert_pushed("never", timeout=0.01)


def test_assertion_frames_are_hidden_from_tracebacks() -> None:
    for method in (
        FakeQueue.assert_pushed,
        FakeQueue.assert_not_pushed,
        FakeQueue.assert_pushed_count,
        FakeQueue.assert_nothing_pushed,
    ):
        assert "__tracebackhide__" in method.__code__.co_varnames
