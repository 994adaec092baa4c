from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import fixturekit as fk
from fixturekit.queue import FakeQueue, Job, JobFailed, RunawayJobsError

START = datetime(2024, 1, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def queue() -> FakeQueue:
    return FakeQueue(clock=fk.Clock(START, patch=False))


def test_run_due_runs_only_what_is_due_and_leaves_the_clock(queue: FakeQueue) -> None:
    seen: list[Any] = []
    queue.handler("x", seen.append)
    queue.push("x", 1)
    queue.push("x", 2, delay=60)
    queue.push("x", 3, eta=START + timedelta(seconds=30))
    assert [job.payload for job in queue.run_due()] == [1]
    assert queue.clock.now() == START
    queue.clock.advance(seconds=45)
    assert [job.payload for job in queue.run_due()] == [3]
    assert seen == [1, 3]
    assert [job.payload for job in queue.pending] == [2]


def test_run_all_advances_the_clock_to_each_delayed_job(queue: FakeQueue) -> None:
    times: list[tuple[str, datetime]] = []
    queue.handler("x", lambda payload: times.append((payload, queue.clock.now())))
    queue.push("x", "later", delay=timedelta(hours=1))
    queue.push("x", "sooner", delay=10)
    queue.push("x", "now")
    queue.run_all()
    assert times == [
        ("now", START),
        ("sooner", START + timedelta(seconds=10)),
        ("later", START + timedelta(hours=1)),
    ]
    assert queue.clock.now() == START + timedelta(hours=1)
    assert queue.pending == []


def test_jobs_pushed_by_running_jobs_run_too_and_know_their_parent(queue: FakeQueue) -> None:
    @queue.handler("signup")
    def signup(payload: dict[str, Any]) -> None:
        queue.push("welcome", {"user": payload["user"]}, delay=5)

    @queue.handler("welcome")
    def welcome(payload: dict[str, Any]) -> str:
        return f"hi {payload['user']}"

    first = queue.push("signup", {"user": 7})
    ran = queue.run_all()
    assert [job.name for job in ran] == ["signup", "welcome"]
    assert ran[1].parent is first
    assert ran[1].result == "hi 7"
    assert ran[1].chain() == [first, ran[1]]


def test_a_job_that_keeps_requeuing_itself_stops_with_the_cycle(queue: FakeQueue) -> None:
    @queue.handler("poll")
    def poll(payload: dict[str, Any]) -> None:
        queue.push("check", payload, delay=60)

    @queue.handler("check")
    def check(payload: dict[str, Any]) -> None:
        queue.push("poll", payload)

    queue.push("poll", {"order": 1})
    with pytest.raises(RunawayJobsError) as raised:
        queue.run_all(max_steps=40)
    message = str(raised.value)
    assert "stopped after 40 jobs" in message
    assert "cycle: 'poll' -> 'check' -> 'poll'" in message
    assert "'check' (job-" in message
    assert "payload={'order': 1}" in message


def test_many_independent_jobs_over_max_steps_say_so_without_a_cycle(queue: FakeQueue) -> None:
    queue.handler("x", lambda payload: None)
    for _ in range(5):
        queue.push("x")
    with pytest.raises(RunawayJobsError, match="2 still pending; pass a larger max_steps="):
        queue.run_all(max_steps=3)


def test_a_failing_handler_is_retried_with_backoff_on_the_clock(queue: FakeQueue) -> None:
    attempts: list[datetime] = []

    @queue.handler("charge", max_retries=3, backoff=[10, 60])
    def charge(payload: None, job: Job) -> str:
        attempts.append(queue.clock.now())
        if job.attempts < 4:
            raise ConnectionError(f"try {job.attempts}")
        return "ok"

    job = queue.push("charge")
    queue.run_due()
    assert job.state == "pending"
    assert job.eta == START + timedelta(seconds=10)
    assert job.attempts == 1
    queue.run_all()
    assert attempts == [
        START,
        START + timedelta(seconds=10),
        START + timedelta(seconds=70),
        START + timedelta(seconds=130),  # the last backoff step repeats
    ]
    assert job.state == "succeeded"
    assert job.result == "ok"
    assert [str(error) for error in job.errors] == ["try 1", "try 2", "try 3"]
    assert queue.failed == []


def test_a_backoff_function_gets_the_retry_number(queue: FakeQueue) -> None:
    @queue.handler("x", max_retries=3, backoff=lambda n: 2**n)
    def always_fails(payload: None) -> None:
        raise RuntimeError("down")

    job = queue.push("x")
    queue.run_all(raise_failures=False)
    assert job.attempts == 4
    assert queue.clock.now() == START + timedelta(seconds=2 + 4 + 8)


def test_after_the_last_try_the_job_lands_in_failed_with_its_exception(queue: FakeQueue) -> None:
    @queue.handler("x", max_retries=1)
    def broken(payload: None) -> None:
        raise ValueError("bad data")

    job = queue.push("x")
    with pytest.raises(
        JobFailed, match=r"'x' \(job-1\) failed after 2 attempts: ValueError"
    ) as raised:
        queue.run_all()
    assert raised.value.job is job
    assert isinstance(raised.value.__cause__, ValueError)
    assert queue.failed == [job]
    assert job.state == "failed"
    assert isinstance(job.error, ValueError)


def test_raise_failures_false_goes_on_with_the_other_jobs(queue: FakeQueue) -> None:
    queue.handler("bad", lambda payload: 1 / 0)
    queue.handler("good", lambda payload: "fine")
    queue.push("bad")
    queue.push("good")
    ran = queue.run_all(raise_failures=False)
    assert [(job.name, job.state) for job in ran] == [("bad", "failed"), ("good", "succeeded")]
    assert [job.name for job in queue.failed] == ["bad"]


def test_only_retry_on_exceptions_are_retried(queue: FakeQueue) -> None:
    @queue.handler("x", max_retries=5, retry_on=ConnectionError)
    def fails(payload: None) -> None:
        raise KeyError("not transient")

    job = queue.push("x")
    queue.run_all(raise_failures=False)
    assert job.attempts == 1
    assert queue.failed == [job]


def test_running_a_job_without_a_handler_names_the_registered_ones(queue: FakeQueue) -> None:
    queue.handler("send_welcome", lambda payload: None)
    job = queue.push("send_welcom")
    with pytest.raises(
        LookupError, match=r"no handler for job 'send_welcom' \(did you mean 'send_welcome'\?\)"
    ):
        queue.run_all()
    assert job.state == "pending"
    assert job.attempts == 0


def test_run_runs_one_job_now_whatever_its_eta(queue: FakeQueue) -> None:
    queue.handler("x", lambda payload: payload * 2)
    later = queue.push("x", 21, delay=3600)
    other = queue.push("x", 1)
    assert queue.run(later).result == 42
    assert other.state == "pending"
    with pytest.raises(ValueError, match="is succeeded; only pending jobs run"):
        queue.run(later)


def test_run_due_and_run_all_can_take_one_queue(queue: FakeQueue) -> None:
    queue.handler("x", lambda payload: None)
    mail = queue.push("x", queue="mail")
    reports = queue.push("x", queue="reports")
    assert queue.run_all(queue="mail") == [mail]
    assert reports.state == "pending"


def test_handlers_without_a_payload_parameter_and_with_job(queue: FakeQueue) -> None:
    calls: list[str] = []
    queue.handler("tick", lambda: calls.append("tick"))
    queue.handler("who", lambda *, job: calls.append(job.id))
    queue.push("tick")
    queue.push("who")
    queue.run_all()
    assert calls == ["tick", "job-2"]
    queue.push("tick", {"unexpected": 1})
    with pytest.raises(TypeError, match="takes no payload argument"):
        queue.run_all()


def test_async_handlers_run_to_completion(queue: FakeQueue) -> None:
    @queue.handler("x")
    async def handler(payload: int) -> int:
        return payload + 1

    queue.push("x", 1)
    assert queue.run_all()[0].result == 2


def test_auto_run_runs_at_push_time_and_delayed_jobs_when_the_clock_gets_there() -> None:
    clock = fk.Clock(START, patch=False)
    queue = FakeQueue(clock=clock, auto_run=True)
    seen: list[Any] = []
    queue.handler("x", seen.append)
    queue.push("x", "now")
    assert seen == ["now"]
    queue.push("x", "later", delay=60)
    assert seen == ["now"]
    clock.advance(seconds=59)
    assert seen == ["now"]
    clock.advance(seconds=1)
    assert seen == ["now", "later"]
    with pytest.raises(TypeError):
        queue.push("x", {1, 2})
    queue.handler("boom", lambda payload: 1 / 0)
    with pytest.raises(JobFailed):
        queue.push("boom")


def test_auto_run_retries_on_the_clock_and_stops_runaway_nesting() -> None:
    clock = fk.Clock(START, patch=False)
    with FakeQueue(clock=clock, auto_run=True) as queue:
        calls: list[datetime] = []

        @queue.handler("flaky", max_retries=1, backoff=30)
        def flaky(payload: None, job: Job) -> None:
            calls.append(clock.now())
            if job.attempts == 1:
                raise ConnectionError

        queue.push("flaky")
        assert calls == [START]
        clock.advance(seconds=30)
        assert calls == [START, START + timedelta(seconds=30)]

        queue.handler("again", lambda payload: queue.push("again"))
        with pytest.raises(RunawayJobsError, match="nest 100 deep"):
            queue.push("again")
    assert clock.pending_timers == []


def test_pushes_and_runs_are_recorded_on_the_shared_timeline() -> None:
    with fk.Harness(clock=fk.Clock(START), fakes=[FakeQueue()]) as harness:
        queue = harness.queue
        queue.handler("x", lambda payload: None)
        queue.push("x", delay=5)
        harness.clock.advance(seconds=1)
        queue.run_all()
        assert queue.clock is harness.clock
        assert [(e.at, e.message) for e in harness.timeline.filter("queue")] == [
            (START, "pushed 'x' (job-1) on 'default', due 2024-01-01T09:00:05+00:00 (in 5s)"),
            (START + timedelta(seconds=5), "ran 'x' (job-1)"),
        ]


def test_reset_forgets_jobs_but_keeps_handlers(queue: FakeQueue) -> None:
    queue.handler("x", lambda payload: None)
    queue.push("x")
    queue.reset()
    assert queue.jobs == []
    assert queue.pending == []
    assert queue.failed == []
    assert queue.push("x").id == "job-1"
    assert len(queue.run_all()) == 1
