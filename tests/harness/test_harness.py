from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import fixturekit as fk

UTC = timezone.utc
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


class FakeSMS(fk.Fake):
    name = "sms"

    def reset(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, to: str, body: str) -> None:
        self.sent.append((to, body))
        self.record(f"sms to {to}: {body}", to=to)


class Recorder(fk.Fake):
    """Logs its lifecycle into a shared list; can be told to fail on start or stop."""

    def __init__(self, name: str, log: list[str], *, fail: str = "") -> None:
        super().__init__()
        self.name = name
        self.log = log
        self.fail = fail

    def on_start(self) -> None:
        if self.fail == "start":
            raise RuntimeError(f"{self.name} cannot start")
        self.log.append(f"start {self.name}")

    def on_stop(self) -> None:
        self.log.append(f"stop {self.name}")
        if self.fail == "stop":
            raise RuntimeError(f"{self.name} cannot stop")


def test_harness_runs_clock_and_fakes_on_one_clock_and_timeline() -> None:
    sms = FakeSMS()
    with fk.Harness(clock=fk.Clock(START), fakes=[sms]) as h:
        assert h.clock.running
        assert datetime.now(UTC) == START
        assert h.sms is sms
        assert h["sms"] is sms
        assert "sms" in h
        assert sms.clock is h.clock
        assert sms.timeline is h.timeline
        assert sms.running
        sms.send("+15550100", "hello")
        h.clock.advance(minutes=2)
        sms.send("+15550101", "again")
    assert not h.clock.running
    assert not sms.running
    assert [(e.at, e.source, e.message) for e in h.timeline] == [
        (START, "sms", "sms to +15550100: hello"),
        (START + timedelta(minutes=2), "sms", "sms to +15550101: again"),
    ]
    assert h.timeline.events[0].data == {"to": "+15550100"}


def test_harness_without_a_clock_freezes_now() -> None:
    with fk.Harness() as h:
        assert h.clock.patches
        assert datetime.now(UTC) == h.clock.now()


def test_a_clock_that_already_runs_is_shared_and_left_running() -> None:
    with fk.Clock(START) as clock:
        with fk.Harness(clock=clock, fakes=[FakeSMS()]) as h:
            assert h.clock is clock
        assert clock.running  # the harness did not start it, so it does not stop it
    assert not clock.running


def test_fakes_enter_in_order_and_exit_in_reverse() -> None:
    log: list[str] = []
    fakes = [Recorder("a", log), Recorder("b", log), Recorder("c", log)]
    with fk.Harness(clock=fk.Clock(START), fakes=fakes):
        log.append("body")
    assert log == ["start a", "start b", "start c", "body", "stop c", "stop b", "stop a"]


def test_every_fake_exits_even_when_one_fails_to_stop() -> None:
    log: list[str] = []
    fakes = [Recorder("a", log), Recorder("b", log, fail="stop"), Recorder("c", log)]
    h = fk.Harness(clock=fk.Clock(START), fakes=fakes)
    with pytest.raises(RuntimeError, match="b cannot stop"), h:
        pass
    assert log == ["start a", "start b", "start c", "stop c", "stop b", "stop a"]
    assert not h.clock.running
    assert not h.running


def test_every_fake_exits_when_the_body_raises() -> None:
    log: list[str] = []
    clock = fk.Clock(START)
    with pytest.raises(KeyError), fk.Harness(clock=clock, fakes=[Recorder("a", log)]):
        raise KeyError("body")
    assert log == ["start a", "stop a"]
    assert not clock.running


def test_a_fake_failing_to_start_unwinds_the_ones_already_started() -> None:
    log: list[str] = []
    clock = fk.Clock(START)
    fakes = [Recorder("a", log), Recorder("b", log, fail="start"), Recorder("c", log)]
    h = fk.Harness(clock=clock, fakes=fakes)
    with pytest.raises(RuntimeError, match="b cannot start"):
        h.start()
    assert log == ["start a", "stop a"]
    assert not clock.running
    assert not h.running
    with fk.Clock(START):  # nothing was left patched
        pass


def test_add_enters_a_fake_into_a_running_harness() -> None:
    with fk.Harness(clock=fk.Clock(START)) as h:
        sms = h.add(FakeSMS())
        assert sms.running
        assert sms.clock is h.clock
        sms.send("+1", "x")
    assert not sms.running
    assert h.timeline.messages("sms") == ["sms to +1: x"]


def test_missing_fakes_are_named_in_the_error() -> None:
    h = fk.Harness(clock=fk.Clock(START), fakes=[FakeSMS()])
    with pytest.raises(AttributeError, match=r"no fake named 'mailer'; it has: sms"):
        _ = h.mailer
    with pytest.raises(KeyError, match=r"no fake named 'mailer'"):
        h["mailer"]
    assert h.get("mailer") is None
    assert fk.Harness(clock=fk.Clock(START)).names == ()


@pytest.mark.parametrize(
    ("fakes", "error", "message"),
    [
        ([FakeSMS], TypeError, r"pass a fake instance, not the class: FakeSMS\(\)"),
        (["sms"], TypeError, "fakes must be fixturekit.Fake instances, not str"),
        (FakeSMS(), TypeError, "fakes must be a list"),
        ([FakeSMS(), FakeSMS()], ValueError, "two fakes are named 'sms'"),
    ],
)
def test_bad_fakes_are_refused_with_advice(
    fakes: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        fk.Harness(clock=fk.Clock(START), fakes=fakes)


def test_a_fake_without_a_name_is_refused() -> None:
    class Nameless(fk.Fake):
        pass

    with pytest.raises(ValueError, match="Nameless has no name; set a class attribute"):
        fk.Harness(fakes=[Nameless()])


def test_clock_must_be_a_clock() -> None:
    with pytest.raises(TypeError, match=r"clock must be a fixturekit.Clock, not str"):
        fk.Harness(clock="2024-01-01")  # type: ignore[arg-type]


def test_a_harness_cannot_be_entered_twice() -> None:
    with fk.Harness(clock=fk.Clock(START)) as h, pytest.raises(RuntimeError, match="already"):
        h.start()
    with pytest.raises(RuntimeError, match="not running"):
        h.stop()


async def _async_with_works() -> None:
    sms = FakeSMS()
    async with fk.Harness(clock=fk.Clock(START), fakes=[sms]) as h:
        assert h.sms.running
    assert not sms.running


def test_async_with_works_in_a_loop() -> None:
    import asyncio

    asyncio.run(_async_with_works())
