from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import fixturekit as fk
from fixturekit.queue import FakeQueue, JobFailed, PayloadError

celery = pytest.importorskip("celery", reason="the celery extra is not installed")

START = datetime(2024, 1, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def app() -> Any:
    # A real Celery app whose broker does not exist: nothing may try to reach it.
    app = celery.Celery("shop", broker="amqp://nobody@127.0.0.1:1//", set_as_current=False)
    app.conf.broker_connection_retry = False
    app.conf.broker_connection_max_retries = 0
    return app


@pytest.fixture
def queue() -> FakeQueue:
    return FakeQueue(clock=fk.Clock(START, patch=False))


def test_delay_and_apply_async_push_and_run_all_runs_the_real_task(
    app: Any, queue: FakeQueue
) -> None:
    sent: list[tuple[int, str]] = []

    @app.task(shared=False, name="shop.send_welcome")
    def send_welcome(user_id: int, template: str = "welcome") -> str:
        sent.append((user_id, template))
        return f"sent {template} to {user_id}"

    with queue.patch_celery(app):
        result = send_welcome.delay(7)
        send_welcome.apply_async((8,), {"template": "promo"}, countdown=60)
        assert sent == []
        first = queue.assert_pushed("shop.send_welcome", args=[7], kwargs={}, queue="celery")
        assert first.id == result.id
        queue.assert_pushed("shop.send_welcome", kwargs={"template": "promo"}, delay=60)
        ran = queue.run_all()
    assert sent == [(7, "welcome"), (8, "promo")]
    assert [job.result for job in ran] == ["sent welcome to 7", "sent promo to 8"]
    assert queue.clock.now() == START + timedelta(seconds=60)


def test_eta_queue_and_send_task_by_name(app: Any, queue: FakeQueue) -> None:
    @app.task(shared=False, name="reports.build")
    def build(day: str) -> None:
        pass

    with queue.patch_celery(app):
        build.apply_async(("2024-01-02",), eta=START + timedelta(hours=2), queue="reports")
        app.send_task("billing.remote_task", args=[1])
        job = queue.assert_pushed("reports.build", queue="reports")
        assert job.eta == START + timedelta(hours=2)
        queue.assert_pushed("billing.remote_task", args=[1])
        with pytest.raises(LookupError, match=r"no handler for job 'billing\.remote_task'"):
            queue.run_all()


def test_arguments_are_checked_with_the_apps_serializer(app: Any, queue: FakeQueue) -> None:
    @app.task(shared=False, name="t")
    def task(tags: Any) -> None:
        pass

    with queue.patch_celery(app), pytest.raises(PayloadError) as raised:
        task.delay({"tags": {"a", "b"}})
    assert raised.value.path == "payload['args'][0]['tags']"
    assert "'json' serializer" in str(raised.value)
    queue.assert_nothing_pushed()


def test_a_task_gets_what_the_broker_would_deliver(app: Any, queue: FakeQueue) -> None:
    received: list[Any] = []

    @app.task(shared=False, name="t")
    def task(items: Any) -> None:
        received.append(items)

    with queue.patch_celery(app):
        task.delay((1, 2))  # a tuple comes back as a list, as from a real broker
        queue.run_all()
    assert received == [[1, 2]]


def test_self_retry_is_scheduled_on_the_clock(app: Any, queue: FakeQueue) -> None:
    calls: list[tuple[datetime, int]] = []

    @app.task(shared=False, name="flaky", bind=True, max_retries=2)
    def flaky(self: Any) -> str:
        calls.append((queue.clock.now(), self.request.retries))
        if self.request.retries < 2:
            raise self.retry(exc=ConnectionError("down"), countdown=30)
        return "done"

    with queue.patch_celery(app):
        flaky.delay()
        queue.run_all()
    assert calls == [
        (START, 0),
        (START + timedelta(seconds=30), 1),
        (START + timedelta(seconds=60), 2),
    ]
    job = queue.assert_pushed("flaky", times=1)
    assert job.state == "succeeded"
    assert job.attempts == 3
    assert [type(e) for e in job.errors] == [ConnectionError, ConnectionError]


def test_exhausted_retries_land_the_job_in_failed(app: Any, queue: FakeQueue) -> None:
    @app.task(shared=False, name="doomed", bind=True, max_retries=1, default_retry_delay=5)
    def doomed(self: Any) -> None:
        raise self.retry(exc=ValueError("no"))

    with queue.patch_celery(app):
        doomed.delay()
        with pytest.raises(JobFailed, match="'doomed'"):
            queue.run_all()
    assert [job.name for job in queue.failed] == ["doomed"]
    assert queue.clock.now() == START + timedelta(seconds=5)


def test_autoretry_for_uses_the_same_path(app: Any, queue: FakeQueue) -> None:
    tries: list[int] = []

    @app.task(
        shared=False,
        name="auto",
        bind=True,
        autoretry_for=(ConnectionError,),
        retry_backoff=2,
        retry_jitter=False,
        max_retries=3,
    )
    def auto(self: Any) -> None:
        tries.append(self.request.retries)
        if len(tries) < 3:
            raise ConnectionError

    with queue.patch_celery(app):
        auto.delay()
        queue.run_all()
    assert tries == [0, 1, 2]
    assert queue.clock.now() == START + timedelta(seconds=2 + 4)


def test_chains_and_links_run_in_order(app: Any, queue: FakeQueue) -> None:
    @app.task(shared=False, name="add")
    def add(x: int, y: int) -> int:
        return x + y

    @app.task(shared=False, name="double")
    def double(x: int) -> int:
        return 2 * x

    with queue.patch_celery(app):
        celery.chain(add.s(1, 2), double.s(), double.s()).delay()
        add.apply_async((5, 5), link=double.s())
        ran = queue.run_all()
    assert [(job.name, job.result) for job in ran] == [
        ("add", 3),
        ("add", 10),
        ("double", 6),
        ("double", 20),
        ("double", 12),
    ]


def test_expired_tasks_do_not_run(app: Any, queue: FakeQueue) -> None:
    ran: list[int] = []

    @app.task(shared=False, name="t")
    def task() -> None:
        ran.append(1)

    with queue.patch_celery(app):
        job_result = task.apply_async(countdown=120, expires=60)
        queue.run_all()
    assert ran == []
    assert queue.assert_pushed("t", id=job_result.id).state == "expired"


def test_the_patch_is_undone_at_exit_and_when_the_queue_stops(app: Any) -> None:
    app.conf.task_always_eager = True
    with FakeQueue() as queue:
        patch = queue.patch_celery(app)
        patch.__enter__()
        assert "send_task" in vars(app)
        assert app.conf.task_always_eager is False
        with pytest.raises(RuntimeError, match="already patched"):
            queue.patch_celery(app).__enter__()
    assert "send_task" not in vars(app)
    assert app.conf.task_always_eager is True


def test_patch_celery_refuses_other_objects() -> None:
    with pytest.raises(TypeError, match=r"takes a celery\.Celery app"):
        FakeQueue().patch_celery(object())
