"""The Celery adapter: `FakeQueue.patch_celery(app)` sends an app's tasks to the fake.

``task.delay()``, ``task.apply_async()`` and ``app.send_task()`` all end in
``app.send_task``, which the patch replaces: the arguments go through the app's own
serializer, the job lands on the fake queue, and the run methods call the real task
with a worker-like request. Celery is imported only here, inside the functions that
need it (the ``celery`` extra).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from fixturekit.clock import to_delta, to_utc
from fixturekit.errors import PayloadError
from fixturekit.queue._job import Job, running_job
from fixturekit.queue._payload import find_unserializable, hint_for
from fixturekit.queue._running import QueueRunner

__all__ = ["CeleryPatch", "check_celery_app"]


def check_celery_app(app: object) -> None:
    """``app`` must be a ``celery.Celery`` (and Celery installed)."""
    try:
        import celery  # type: ignore[import-untyped,unused-ignore]
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("patch_celery() needs Celery: pip install 'fixturekit[celery]'") from None
    if not isinstance(app, celery.Celery):
        raise TypeError(f"patch_celery() takes a celery.Celery app, not {app!r}")


class CeleryPatch:
    """The context manager `FakeQueue.patch_celery` returns."""

    def __init__(self, queue: QueueRunner, app: Any) -> None:
        self.queue = queue
        self.app = app
        self._active = False
        self._had_own: bool = False
        self._previous: Any = None
        self._eager: Any = None

    def __enter__(self) -> CeleryPatch:
        if id(self.app) in self.queue._celery:
            raise RuntimeError(f"Celery app {self.app.main!r} is already patched by this queue")
        app = self.app
        self._had_own = "send_task" in vars(app)
        self._previous = vars(app).get("send_task")
        self._eager = app.conf.task_always_eager
        app.conf.task_always_eager = False
        app.send_task = self.send_task
        self.queue._celery[id(app)] = self
        self._active = True
        self.queue.record(f"patched Celery app {app.main!r}")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.undo()

    def undo(self) -> None:
        """Give the app its own ``send_task`` and eager setting back."""
        if not self._active:
            return
        self._active = False
        app = self.app
        if self._had_own:
            app.send_task = self._previous
        else:
            del app.send_task
        app.conf.task_always_eager = self._eager
        self.queue._celery.pop(id(app), None)

    # what task.delay(), task.apply_async() and app.send_task() call
    def send_task(
        self,
        name: str,
        args: Sequence[Any] | None = None,
        kwargs: Mapping[str, Any] | None = None,
        countdown: float | None = None,
        eta: datetime | None = None,
        task_id: str | None = None,
        **options: Any,
    ) -> Any:
        from celery.result import AsyncResult  # type: ignore[import-untyped,unused-ignore]

        queue = self.queue
        if not isinstance(name, str) or not name:
            raise TypeError(f"send_task() takes a task name, not {name!r}")
        body = {"args": list(args or ()), "kwargs": dict(kwargs or {})}
        payload = self._round_trip(name, body)
        queue._refuse_push(name)
        running = running_job.get()
        if (
            running is not None
            and task_id is not None
            and running.id == task_id
            and running.state == "running"
        ):
            # The running task called self.retry(): the same job comes back later.
            due = queue.clock.now()
            if eta is not None:
                due = to_utc(eta, "eta=")
            elif countdown:
                due = due + to_delta(countdown, "countdown=")
            running.payload = payload
            running.options["retries"] = options.get("retries") or 0
            queue._reschedule(running, due)
            return AsyncResult(task_id, app=self.app)
        task_id = task_id or str(uuid.uuid4())
        expires = options.get("expires")
        if not isinstance(expires, (int, float, datetime, timedelta)) or isinstance(expires, bool):
            expires = None
        keep = {
            key: options[key]
            for key in ("link", "chain", "priority", "headers", "retries")
            if options.get(key) is not None
        }
        keep["app"] = id(self.app)
        job = queue._new_job(
            name,
            payload,
            queue=self._queue_name(name, args, kwargs, options),
            delay=countdown if eta is None and countdown else None,
            eta=eta,
            kind="celery",
            job_id=task_id,
            expires=expires,
            options=keep,
        )
        queue._land(job)
        return AsyncResult(task_id, app=self.app)

    def _queue_name(self, name: str, args: Any, kwargs: Any, options: Mapping[str, Any]) -> str:
        chosen = options.get("queue")
        if chosen is None:
            try:
                routed = self.app.amqp.router.route(dict(options), name, args, kwargs)
                chosen = routed.get("queue")
            except Exception:
                chosen = None
        if chosen is None:
            chosen = self.app.conf.task_default_queue
        return str(getattr(chosen, "name", chosen))

    def _round_trip(self, name: str, body: dict[str, Any]) -> Any:
        from kombu import serialization

        codec: Any = serialization  # kombu's dumps/loads are untyped
        serializer = self.app.conf.task_serializer

        def survives(value: Any) -> bool:
            try:
                content_type, encoding, data = codec.dumps(value, serializer=serializer)
                codec.loads(data, content_type, encoding)
            except Exception:
                return False
            return True

        try:
            content_type, encoding, data = codec.dumps(body, serializer=serializer)
            return codec.loads(data, content_type, encoding)
        except Exception as exc:
            path, value = find_unserializable(body, survives)
            problem, hint = hint_for(value)
            raise PayloadError(
                f"Celery task {name!r}: {path} {problem} (value: {value!r}); the app's "
                f"{serializer!r} serializer cannot send it ({type(exc).__name__}: {exc}): "
                f"{hint}",
                path=path,
                value=value,
            ) from None

    def is_retry(self, exc: BaseException) -> bool:
        """Whether ``exc`` is the ``Retry`` a task's ``self.retry()`` raises."""
        from celery.exceptions import Retry  # type: ignore[import-untyped,unused-ignore]

        return isinstance(exc, Retry)

    def run(self, job: Job) -> Any:
        """Call the real task with a worker-like request."""
        task = self.app.tasks[job.name]
        args = job.payload["args"]
        kwargs = job.payload["kwargs"]
        parent = job.parent
        task.push_request(
            id=job.id,
            args=args,
            kwargs=kwargs,
            retries=job.options.get("retries", 0),
            is_eager=False,
            called_directly=False,
            eta=job.eta.isoformat(),
            expires=job.expires.isoformat() if job.expires else None,
            delivery_info={"exchange": "", "routing_key": job.queue, "redelivered": False},
            hostname="fixturekit@localhost",
            callbacks=job.options.get("link"),
            chain=job.options.get("chain"),
            parent_id=parent.id if parent is not None else None,
            root_id=job.chain()[0].id,
            origin="fixturekit",
        )
        try:
            return task(*args, **kwargs)
        finally:
            task.pop_request()

    def after_success(self, job: Job, result: Any) -> None:
        """Send the job's links and the rest of its chain, with its result."""
        from celery.canvas import signature  # type: ignore[import-untyped,unused-ignore]

        links = job.options.get("link") or []
        if not isinstance(links, (list, tuple)):
            links = [links]
        for link in links:
            signature(link, app=self.app).apply_async((result,), parent_id=job.id)
        chain = job.options.get("chain")
        if chain:
            rest = list(chain)
            following = signature(rest.pop(), app=self.app)
            following.apply_async((result,), chain=rest or None, parent_id=job.id)
