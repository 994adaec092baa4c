from __future__ import annotations

import enum
import math
import queue as stdlib_queue
import threading
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from fixturekit.queue import FakeQueue, PayloadError


def test_the_standard_library_queue_module_is_still_importable_here() -> None:
    # tests/queue/ must not shadow the stdlib module of the same name.
    assert hasattr(stdlib_queue, "SimpleQueue")
    assert stdlib_queue.__name__ == "queue"
    assert "site-packages" not in (stdlib_queue.__file__ or "")


def test_the_payload_is_a_json_round_tripped_copy() -> None:
    queue = FakeQueue()
    original: dict[str, Any] = {"user": {"id": 1, "tags": ["a", "b"]}, "ratio": 0.5, "ok": None}
    job = queue.push("send_welcome", original)
    original["user"]["id"] = 2
    assert job.payload == {"user": {"id": 1, "tags": ["a", "b"]}, "ratio": 0.5, "ok": None}
    assert job.payload["user"] is not original["user"]


@dataclass
class Point:
    x: int


class Colour(enum.Enum):
    RED = "red"


class FakeRow:
    """Looks like a SQLAlchemy model instance."""

    _sa_instance_state = object()


@pytest.mark.parametrize(
    ("payload", "path", "words"),
    [
        (
            {"user": {"created_at": datetime(2024, 1, 1)}},
            "payload['user']['created_at']",
            "isoformat",
        ),
        ({"day": date(2024, 1, 1)}, "payload['day']", "isoformat"),
        ({"tags": {"a", "b"}}, "payload['tags']", "sorted"),
        ({"pair": (1, 2)}, "payload['pair']", "tuples"),
        ({"items": [1, b"raw"]}, "payload['items'][1]", "base64"),
        ({"id": uuid.uuid4()}, "payload['id']", "str(value)"),
        ({"price": Decimal("9.99")}, "payload['price']", "str(value)"),
        ({"colour": Colour.RED}, "payload['colour']", ".value"),
        ({"score": math.nan}, "payload['score']", "NaN"),
        ({"score": math.inf}, "payload['score']", "NaN"),
        ({"user": FakeRow()}, "payload['user']", "primary key"),
        ({"point": Point(1)}, "payload['point']", "dataclass"),
        ({1: "one"}, "payload", "JSON object keys are strings"),
        (
            [{"ok": 1}, {"when": datetime(2024, 1, 1, tzinfo=timezone.utc)}],
            "payload[1]['when']",
            "isoformat",
        ),
        (object(), "payload", "only dict"),
    ],
)
def test_payloads_a_broker_would_change_are_refused_naming_the_path(
    payload: Any, path: str, words: str
) -> None:
    queue = FakeQueue()
    with pytest.raises(PayloadError) as raised:
        queue.push("send_welcome", payload)
    assert raised.value.path == path
    assert path in str(raised.value)
    assert words in str(raised.value)
    assert "'send_welcome'" in str(raised.value)
    assert queue.jobs == []


def test_a_payload_that_contains_itself_is_refused() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    with pytest.raises(PayloadError, match="nested more than"):
        FakeQueue().push("x", loop)


def test_str_subclasses_are_refused_because_they_come_back_plain() -> None:
    class Email(str):
        pass

    with pytest.raises(PayloadError, match="subclass of str"):
        FakeQueue().push("x", {"to": Email("a@example.com")})


def test_booleans_ints_floats_strings_and_none_pass_as_they_are() -> None:
    payload = {"a": True, "b": -3, "c": 1.25, "d": "é", "e": None, "f": [], "g": {}}
    assert FakeQueue().push("x", payload).payload == payload


@pytest.mark.slow
def test_pushes_from_many_threads_at_once_are_none_of_them_lost() -> None:
    queue = FakeQueue()
    threads_count, per_thread = 16, 250
    barrier = threading.Barrier(threads_count)

    def pusher(n: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            queue.push("work", {"thread": n, "i": i})

    threads = [threading.Thread(target=pusher, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    jobs = queue.jobs
    assert len(jobs) == threads_count * per_thread
    assert len({job.id for job in jobs}) == len(jobs)
    assert {(job.payload["thread"], job.payload["i"]) for job in jobs} == {
        (n, i) for n in range(threads_count) for i in range(per_thread)
    }
    ran = queue.run_all(max_steps=len(jobs)) if queue.handlers else None
    assert ran is None
    queue.handler("work", lambda payload: None)
    assert len(queue.run_all(max_steps=len(jobs))) == len(jobs)
