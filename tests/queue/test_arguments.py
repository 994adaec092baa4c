from __future__ import annotations

from datetime import timedelta

import pytest

from fixturekit.queue import FakeQueue


def test_a_misspelt_keyword_lists_the_valid_ones() -> None:
    queue = FakeQueue()
    with pytest.raises(TypeError, match=r"'dealy' \(did you mean delay=\?\).*queue, delay, eta"):
        queue.push("x", dealy=3)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"did you mean max_retries="):
        queue.handler("x", max_retry=3)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"did you mean max_steps="):
        queue.run_all(max_step=3)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"did you mean auto_run="):
        FakeQueue(autorun=True)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"did you mean times="):
        queue.fail_next(time=2)  # type: ignore[call-arg]


def test_flags_must_be_bools() -> None:
    with pytest.raises(TypeError, match="auto_run must be True or False, not 1"):
        FakeQueue(auto_run=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="strict must be True or False, not 'yes'"):
        FakeQueue(strict="yes")  # type: ignore[arg-type]


def test_assertions_refuse_fields_a_job_does_not_have() -> None:
    queue = FakeQueue()
    with pytest.raises(
        TypeError,
        match=r"assert_pushed\(\) got an unexpected keyword argument 'paylod' "
        r"\(did you mean payload=\?\); jobs' fields are: name, queue, payload",
    ):
        queue.assert_pushed("x", paylod={})
    with pytest.raises(TypeError, match=r"'quue' \(did you mean queue=\?\)"):
        queue.assert_pushed_count(1, quue="mail")
    with pytest.raises(TypeError, match=r"find\(\) got an unexpected keyword argument 'nam'"):
        queue.find(nam="x")
    with pytest.raises(TypeError, match=r"got the job's name twice"):
        queue.assert_pushed("x", name="y")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda q: q.push(""), "non-empty str"),
        (lambda q: q.push(3), "non-empty str"),
        (lambda q: q.push("x", queue=""), "queue= must be a non-empty str"),
        (lambda q: q.push("x", delay=-1), "must not be negative"),
        (lambda q: q.push("x", delay="soon"), "timedelta or a number of seconds"),
        (lambda q: q.push("x", delay=1, eta="2030-01-01"), "give one of them"),
        (lambda q: q.push("x", eta="tomorrow"), "cannot parse"),
        (lambda q: q.handler("x", max_retries=-1), "max_retries must be a whole number >= 0"),
        (lambda q: q.handler("x", backoff=[]), "empty"),
        (lambda q: q.handler("x", backoff=[1, -2]), "must not be negative"),
        (lambda q: q.handler("x", backoff="1m"), "backoff must be"),
        (lambda q: q.handler("x", retry_on=ValueError("x")), "retry_on must be"),
        (lambda q: q.run_all(max_steps=0), "max_steps must be a whole number >= 1"),
        (lambda q: q.run(object()), "run\\(\\) takes a Job"),
        (lambda q: q.assert_pushed("x", times=0), "times must be a whole number >= 1"),
        (lambda q: q.assert_pushed_count(-1), "count must be a whole number >= 0"),
        (lambda q: q.run_all(raise_failures=1), "raise_failures must be True or False"),
        (lambda q: q.handler("x", replace="yes"), "replace must be True or False"),
        (lambda q: q.fail_next(times=0), "times must be a whole number >= 1"),
        (lambda q: q.fail_next(on=""), "on= must be a non-empty str"),
        (lambda q: q.fail_next("down"), "error must be an exception instance or class"),
        (lambda q: q.fail_next(OSError("x"), message="y"), "exception instance and message="),
        (lambda q: q.after_nothing, "has no attribute"),
    ],
)
def test_bad_arguments_say_what_was_wrong(call: object, message: str) -> None:
    queue = FakeQueue()
    with pytest.raises((TypeError, ValueError, AttributeError), match=message):
        call(queue)  # type: ignore[operator]


def test_a_handler_with_two_required_parameters_is_refused() -> None:
    with pytest.raises(TypeError, match="takes 2 positional arguments"):
        FakeQueue().handler("x", lambda a, b: None)


def test_registering_a_name_twice_needs_replace() -> None:
    queue = FakeQueue()
    queue.handler("x", lambda payload: 1)
    with pytest.raises(ValueError, match="already registered"):
        queue.handler("x", lambda payload: 2)
    queue.handler("x", lambda payload: 3, replace=True)
    queue.push("x")
    assert queue.run_all()[0].result == 3


def test_delay_accepts_seconds_and_timedeltas() -> None:
    queue = FakeQueue()
    assert queue.push("x", delay=90).delay == timedelta(seconds=90)
    assert queue.push("x", delay=timedelta(minutes=2)).delay == timedelta(minutes=2)
