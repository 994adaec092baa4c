"""The fixtures: ``clock`` (and its marker), ``harness``, ``fixturekit_seed``, and
fixturekit's own fakes, named as they are on the harness."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from fixturekit.pytest_plugin._clock_loop import loop_problem, put_loop_on_the_clock
from fixturekit.pytest_plugin._items import add_fixture, marked
from fixturekit.pytest_plugin._options import CLOCK_MARKERS, freeze_time_setting, strict_setting
from fixturekit.pytest_plugin._seed import attach_harness, call_failed, test_seed

if TYPE_CHECKING:
    from fixturekit.clock import Clock
    from fixturekit.harness import Harness
    from fixturekit.http import FakeHTTP
    from fixturekit.mail import FakeMailer
    from fixturekit.payments import FakePayments
    from fixturekit.queue import FakeQueue
    from fixturekit.tokens import TokenMinter

__all__ = [
    "clock",
    "clock_from_marker",
    "fixturekit_seed",
    "freezes_time",
    "harness",
    "http",
    "http_mock",
    "job_queue",
    "mailer",
    "payments",
    "queue",
    "start_clocks_for_markers",
    "tokens",
]

_CLOCK_KEYWORDS = ("start", "tick", "patch", "loop", "monotonic")


# --- the clock and its marker -----------------------------------------------------------


def start_clocks_for_markers(items: list[pytest.Item]) -> None:
    """After collection: a test under a clock marker sets up the ``clock`` fixture first
    among its function-scoped fixtures, whether it asks for it or not. Unmarked tests
    are left as they are."""
    for item in marked(items, CLOCK_MARKERS):
        add_fixture(item, "clock")
        mark = _clock_marker(item)
        if mark is not None and "loop" in mark.kwargs:
            put_loop_on_the_clock(item, mark.kwargs["loop"])


def _clock_marker(node: pytest.Item) -> pytest.Mark | None:
    for mark in node.iter_markers():
        if mark.name in CLOCK_MARKERS:
            return mark
    return None


def _describe(mark: pytest.Mark) -> str:
    parts = [repr(arg) for arg in mark.args]
    parts += [f"{key}={value!r}" for key, value in mark.kwargs.items()]
    return f"@pytest.mark.{mark.name}({', '.join(parts)})"


def clock_from_marker(node: pytest.Item) -> Clock:
    """The (not yet started) Clock that the test's clock marker asks for."""
    from fixturekit.clock import Clock

    mark = _clock_marker(node)
    if mark is None:
        return Clock()
    unknown = sorted(set(mark.kwargs) - set(_CLOCK_KEYWORDS))
    problem = None
    if unknown:
        problem = (
            f"unknown keyword {', '.join(map(repr, unknown))}; "
            f"the marker takes {', '.join(_CLOCK_KEYWORDS)}"
        )
    elif len(mark.args) > 1 or (mark.args and "start" in mark.kwargs):
        problem = "give one start time, e.g. @pytest.mark.clock('2024-01-01', tick=True)"
    else:
        options = dict(mark.kwargs)
        problem = loop_problem(node, options.pop("loop", False))
        if problem is None:
            try:
                return Clock(*mark.args, **options)
            except (TypeError, ValueError) as exc:
                problem = str(exc)
    pytest.fail(f"{_describe(mark)} on {node.nodeid}: {problem}", pytrace=False)


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> Iterator[Clock]:
    """A running fixturekit.Clock: frozen now, or as ``@pytest.mark.clock(...)`` says."""
    with clock_from_marker(request.node) as running:
        yield running


# --- the harness and the seed ----------------------------------------------------------------


def freezes_time(request: pytest.FixtureRequest) -> bool:
    """Whether the harness runs on the ``clock`` fixture: the test asks for ``clock``,
    carries a clock marker (which adds the fixture), the ``fixturekit_freeze_time`` ini
    option is on, or a ``conftest.py`` overrides ``clock`` for the test."""
    return (
        "clock" in request.fixturenames
        or freeze_time_setting(request.config)
        or _clock_overridden(request)
    )


def _clock_overridden(request: pytest.FixtureRequest) -> bool:
    manager: Any = getattr(request, "_fixturemanager", None)
    if manager is None:  # pragma: no cover - pytest without the fixture manager
        return False
    try:
        definitions = manager.getfixturedefs("clock", request.node)
    except (TypeError, AttributeError):  # pytest < 8.1 takes the node id
        definitions = manager.getfixturedefs("clock", request.node.nodeid)
    if not definitions:
        return False
    function = getattr(definitions[-1], "func", None)
    return getattr(function, "__module__", __name__) != __name__


@pytest.fixture
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    """A running fixturekit.Harness; fake fixtures join it.

    Its clock is the ``clock`` fixture when the test asks for ``clock``, carries a
    clock marker or the ``fixturekit_freeze_time`` ini option is on; otherwise a
    ``Clock(patch=False)`` that starts at the real time and leaves the process's time
    alone. Its timeline is shown when the test fails. When the test itself failed, the
    fakes' exit checks (strict mode) are skipped, so the report shows that failure alone.
    """
    __tracebackhide__ = True  # a strict fake's failure at teardown leads the report
    from fixturekit.clock import Clock
    from fixturekit.harness import Harness

    node: pytest.Item = request.node
    if freezes_time(request):
        shared: Clock = request.getfixturevalue("clock")
    else:
        shared = Clock(patch=False)
    running = Harness(clock=shared)
    attach_harness(node, running)
    with running:
        yield running
        if call_failed(node):
            running.skip_exit_checks()


@pytest.fixture
def fixturekit_seed(request: pytest.FixtureRequest) -> int:
    """This test's seed: random and Faker were seeded with it before the test's setup."""
    return test_seed(request.node)


# --- fixturekit's own fakes --------------------------------------------------------------


def _strict(request: pytest.FixtureRequest) -> dict[str, Any]:
    """``strict=`` for a fake, when the ``fixturekit_strict`` ini option is set."""
    strict = strict_setting(request.config)
    return {} if strict is None else {"strict": strict}


@pytest.fixture
def mailer(request: pytest.FixtureRequest, harness: Harness) -> FakeMailer:
    """A running fixturekit.FakeMailer on the test's clock, joined to the harness
    (harness.mailer); strict= as the fixturekit_strict ini option says."""
    from fixturekit.mail import FakeMailer

    return harness.add(FakeMailer(**_strict(request)))


@pytest.fixture
def queue(request: pytest.FixtureRequest, harness: Harness) -> FakeQueue:
    """A running fixturekit.FakeQueue on the test's clock, joined to the harness
    (harness.queue): push, assert_pushed, run_due/run_all; strict= as the
    fixturekit_strict ini option says."""
    from fixturekit.queue import FakeQueue

    return harness.add(FakeQueue(**_strict(request)))


@pytest.fixture
def http(request: pytest.FixtureRequest, harness: Harness) -> FakeHTTP:
    """A running fixturekit.FakeHTTP on the test's clock, joined to the harness
    (harness.http): strict unless fixturekit_strict = false, so a request no route
    matches, or a route never called, fails the test."""
    from fixturekit.http import FakeHTTP

    return harness.add(FakeHTTP(**_strict(request)))


@pytest.fixture
def payments(request: pytest.FixtureRequest, harness: Harness) -> FakePayments:
    """A running fixturekit.FakePayments (a stateful, in-memory Stripe) on the test's
    clock, joined to the harness (harness.payments); payments.stripe_api() serves it to
    the official stripe SDK; strict= as the fixturekit_strict ini option says."""
    from fixturekit.payments import FakePayments

    return harness.add(FakePayments(**_strict(request)))


@pytest.fixture
def tokens(harness: Harness) -> TokenMinter:
    """A running fixturekit.TokenMinter (RS256, issuer https://issuer.test, audience
    api) on the test's clock, joined to the harness."""
    from fixturekit.tokens import TokenMinter

    return harness.add(TokenMinter())


@pytest.fixture
def job_queue(queue: FakeQueue) -> FakeQueue:
    """The ``queue`` fixture under its other name (the same FakeQueue)."""
    return queue


@pytest.fixture
def http_mock(http: FakeHTTP) -> FakeHTTP:
    """The ``http`` fixture under its other name (the same FakeHTTP)."""
    return http
