"""FakeQueue: an in-memory job queue on the shared clock, with handlers, retries and Celery.

```python
from fixturekit.queue import FakeQueue

with FakeQueue() as queue:

    @queue.handler("send_welcome", max_retries=2, backoff=[10, 60])
    def send_welcome(payload):
        ...

    queue.push("send_welcome", {"user_id": 1}, delay=30)
    queue.assert_pushed("send_welcome", payload={"user_id": 1})
    queue.run_all()  # advances the clock 30 s and runs the job
```

Payloads are checked the way a broker's JSON serializer would treat them: anything that
would not come back identical (datetimes, sets, tuples, UUIDs, ORM instances, non-string
keys) is refused at push time, naming the path of the offending value. Handlers receive
the round-tripped copy, never the caller's objects.

This package is ``fixturekit.queue``; it never shadows the standard library's ``queue``.
"""

from __future__ import annotations

from fixturekit.errors import JobFailed, PayloadError, RunawayJobsError
from fixturekit.queue._handlers import Handler
from fixturekit.queue._job import Job, JobState
from fixturekit.queue._payload import check_payload
from fixturekit.queue._queue import FakeQueue

__all__ = [
    "FakeQueue",
    "Handler",
    "Job",
    "JobFailed",
    "JobState",
    "PayloadError",
    "RunawayJobsError",
    "check_payload",
]
