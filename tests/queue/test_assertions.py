from __future__ import annotations

import re
from datetime import timedelta

import pytest

from fixturekit.queue import FakeQueue, Job


@pytest.fixture
def queue() -> FakeQueue:
    queue = FakeQueue()
    queue.push("send_welcome", {"user_id": 1}, queue="mail", delay=30)
    queue.push("send_receipt", {"order_id": 9})
    queue.push("send_welcome", {"user_id": 2}, queue="mail")
    return queue


def test_assert_pushed_returns_the_first_matching_job(queue: FakeQueue) -> None:
    job = queue.assert_pushed("send_welcome")
    assert isinstance(job, Job)
    assert job.payload == {"user_id": 1}
    assert queue.assert_pushed("send_welcome", payload={"user_id": 2}).id == "job-3"


def test_fields_take_exact_values_regexes_and_callables(queue: FakeQueue) -> None:
    assert queue.assert_pushed(re.compile("receipt$")).name == "send_receipt"
    assert queue.assert_pushed("send_welcome", payload=lambda p: p["user_id"] > 1).id == "job-3"
    assert queue.assert_pushed("send_welcome", queue="mail", delay=30).id == "job-1"
    assert queue.assert_pushed("send_welcome", delay=timedelta(seconds=30)).id == "job-1"
    assert queue.assert_pushed("send_receipt", state="pending").id == "job-2"


def test_times_counts_the_matching_jobs(queue: FakeQueue) -> None:
    queue.assert_pushed("send_welcome", times=2)
    queue.assert_pushed("send_welcome", times=1, payload={"user_id": 2})
    with pytest.raises(AssertionError) as raised:
        queue.assert_pushed("send_welcome", times=3)
    lines = str(raised.value).splitlines()
    assert lines[0] == "expected 3 jobs matching name='send_welcome', but 2 were pushed:"
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
    with pytest.raises(AssertionError) as raised:
        queue.assert_not_pushed("send_welcome", queue="mail")
    message = str(raised.value)
    assert message.startswith("expected no job matching name='send_welcome', queue='mail'")
    assert "(job-1)" in message
    assert "(job-3)" in message


def test_assert_nothing_pushed_and_counts(queue: FakeQueue) -> None:
    FakeQueue().assert_nothing_pushed()
    queue.assert_nothing_pushed(queue="reports")
    with pytest.raises(AssertionError, match="expected nothing pushed, but 3 jobs were"):
        queue.assert_nothing_pushed()
    assert len(queue.assert_pushed_count(2, queue="mail")) == 2
    with pytest.raises(AssertionError, match="expected 4 jobs pushed, but 3 were"):
        queue.assert_pushed_count(4)


def test_find_returns_every_match(queue: FakeQueue) -> None:
    assert [job.id for job in queue.find("send_welcome")] == ["job-1", "job-3"]
    assert [job.id for job in queue.find(queue="default")] == ["job-2"]


def test_assertion_frames_are_hidden_from_tracebacks() -> None:
    code = FakeQueue.assert_pushed.__code__
    assert "__tracebackhide__" in code.co_varnames


def test_strict_mode_fails_at_exit_listing_unasserted_jobs() -> None:
    queue = FakeQueue(strict=True).start()
    queue.push("send_welcome", {"user_id": 1})
    queue.push("send_receipt", {"order_id": 2})
    queue.assert_pushed("send_welcome")
    with pytest.raises(AssertionError) as raised:
        queue.stop()
    lines = str(raised.value).splitlines()
    assert lines[0] == "strict queue: 1 job was pushed but no assert_pushed() looked at it:"
    assert lines[1].startswith("  - 'send_receipt' (job-2)")


def test_strict_mode_passes_when_every_job_was_asserted() -> None:
    with FakeQueue(strict=True) as queue:
        queue.push("a")
        queue.push("b")
        queue.assert_pushed("a")
        queue.assert_pushed_count(2)


def test_strict_mode_does_not_hide_the_error_that_ended_the_block() -> None:
    def body() -> None:
        with FakeQueue(strict=True) as queue:
            queue.push("unasserted")
            raise KeyError("the test's own failure")

    with pytest.raises(KeyError):
        body()
