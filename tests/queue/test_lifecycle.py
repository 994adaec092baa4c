from __future__ import annotations

from typing import Any

import pytest

import fixturekit as fk
from fixturekit.errors import StrictModeError
from fixturekit.queue import FakeQueue

# --- strict mode -------------------------------------------------------------------------------


def test_strict_mode_fails_at_exit_listing_unasserted_jobs() -> None:
    queue = FakeQueue(strict=True).start()
    queue.push("send_welcome", {"user_id": 1})
    queue.push("send_receipt", {"order_id": 2})
    queue.assert_pushed("send_welcome")
    with pytest.raises(StrictModeError) as raised:
        queue.stop()
    lines = str(raised.value).splitlines()
    assert lines[0] == (
        "FakeQueue at exit: 1 job pushed that no assert_pushed() looked at (strict=True):"
    )
    assert lines[1].startswith("  - 'send_receipt' (job-2)")
    assert lines[2].startswith("assert it with queue.assert_pushed(...)")
    assert not queue.running


def test_strict_mode_raises_at_the_end_of_a_with_block() -> None:
    queue = FakeQueue(strict=True)
    with pytest.raises(StrictModeError, match=r"'forgotten' \(job-1\)"), queue:
        queue.push("forgotten")


def test_strict_mode_passes_when_every_job_was_asserted() -> None:
    with FakeQueue(strict=True) as queue:
        queue.push("a")
        queue.push("b")
        queue.push("c")
        queue.assert_pushed("a")
        queue.assert_pushed_count(2, queue="default", name=lambda n: n in ("b", "c"))


def test_find_does_not_count_as_looking() -> None:
    queue = FakeQueue(strict=True).start()
    queue.push("a")
    assert queue.find("a")
    with pytest.raises(StrictModeError):
        queue.stop()


def _push_then_fail(queue: FakeQueue) -> None:
    with queue:
        queue.push("unasserted")
        raise KeyError("the test's own failure")


def test_strict_mode_reports_only_the_error_that_ended_the_block() -> None:
    queue = FakeQueue(strict=True)
    with pytest.raises(KeyError) as raised:
        _push_then_fail(queue)
    assert raised.value.__context__ is None  # no strict error raised on the way out
    assert not queue.running


def test_strict_mode_stays_quiet_when_the_checks_are_skipped() -> None:
    queue = FakeQueue(strict=True).start()
    queue.push("unasserted")
    queue.skip_exit_checks()
    queue.stop()


def test_a_queue_that_is_not_strict_reports_nothing() -> None:
    with FakeQueue() as queue:
        queue.push("unasserted")
    assert queue.exit_problems() == []


# --- reset and subclasses ------------------------------------------------------------------------


def test_reset_forgets_jobs_and_failures_but_keeps_handlers_and_celery_patches() -> None:
    celery = pytest.importorskip("celery", reason="the celery extra is not installed")
    app = celery.Celery("shop", set_as_current=False)
    ran: list[Any] = []

    @app.task(name="shop.ping", shared=False)
    def ping(n: int) -> int:
        ran.append(("task", n))
        return n

    with FakeQueue() as queue, queue.patch_celery(app):
        queue.handler("x", lambda payload: ran.append(("handler", payload)))
        queue.push("x", 1)
        queue.push("later", delay=60)
        queue.fail_next()
        queue.reset()

        assert queue.jobs == queue.pending == queue.failed == []
        assert list(queue.handlers) == ["x"]
        assert queue.push("x", 2).id == "job-1"  # ids start over; the failure is gone
        ping.delay(3)  # still sent to the fake: the patch stayed
        queue.run_all()
    assert ran == [("handler", 2), ("task", 3)]


def test_reset_drops_staged_jobs() -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    queue = FakeQueue()
    engine = create_engine("sqlite://")
    with Session(engine) as session:
        session.begin()
        queue.push("x", after_commit=session)
        queue.reset()
        assert queue.staged == []
        session.commit()
    queue.assert_nothing_pushed()
    engine.dispose()


class AuditedQueue(FakeQueue):
    """A subclass that makes its state in __init__, after super().__init__()."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.audit: list[str] = ["built"]
        self.resets = 0

    def reset(self) -> None:
        super().reset()
        self.audit.clear()
        self.resets += 1

    def push(self, name: str, payload: Any = None, **options: Any) -> Any:
        self.audit.append(name)
        return super().push(name, payload, **options)


def test_a_subclass_sets_state_after_super_init_and_clears_it_in_reset() -> None:
    queue = AuditedQueue(strict=True)
    assert queue.audit == []  # reset() ran once, after the whole __init__
    assert queue.resets == 1
    assert queue.strict
    with queue:
        queue.push("x")
        assert queue.audit == ["x"]
        queue.reset()
        assert queue.audit == []
        assert queue.jobs == []


def test_a_subclass_joins_a_harness_under_the_queue_name() -> None:
    with fk.Harness(clock=fk.Clock("2024-01-01T09:00:00Z"), fakes=[AuditedQueue()]) as h:
        h.queue.push("x")
        assert h.queue.audit == ["x"]
        assert "pushed 'x' (job-1) on 'default'" in h.timeline.messages()
