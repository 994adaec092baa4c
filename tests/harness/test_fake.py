from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import fixturekit as fk

UTC = timezone.utc


class FakeSMS(fk.Fake):
    name = "sms"

    def reset(self) -> None:
        self.sent: list[str] = []

    def send(self, body: str) -> None:
        self.sent.append(body)
        self.record(f"sms: {body}")


def test_a_fake_on_its_own_has_a_private_clock_that_does_not_patch_time() -> None:
    sms = FakeSMS()
    assert not sms.clock.patches
    assert abs(sms.now() - datetime.now(UTC)) < timedelta(seconds=5)
    sms.clock.advance(days=3)
    assert sms.now() - datetime.now(UTC) > timedelta(days=2)  # process time did not move
    sms.send("hi")
    assert sms.timeline.events[0].at == sms.now()
    assert sms.timeline.events[0].source == "sms"


def test_a_fake_can_be_given_a_clock_and_timeline() -> None:
    clock = fk.Clock("2024-01-01", patch=False)
    timeline = fk.Timeline(clock)
    sms = FakeSMS(clock=clock, timeline=timeline)
    sms.send("x")
    assert timeline.messages() == ["sms: x"]
    assert timeline.events[0].at == datetime(2024, 1, 1, tzinfo=UTC)


def test_reset_clears_state_and_init_starts_clean() -> None:
    sms = FakeSMS()
    sms.send("a")
    sms.reset()
    assert sms.sent == []


def test_a_fake_is_a_context_manager_with_start_and_stop() -> None:
    events: list[str] = []

    class Server(fk.Fake):
        name = "server"

        def on_start(self) -> None:
            events.append("up")

        def on_stop(self) -> None:
            events.append("down")

    with Server() as server:
        assert server.running
        with pytest.raises(RuntimeError, match="already running"):
            server.start()
    assert events == ["up", "down"]
    with pytest.raises(RuntimeError, match="not running"):
        server.stop()


def test_a_subclass_that_skips_super_init_still_works() -> None:
    class Lazy(fk.Fake):
        name = "lazy"

        def __init__(self) -> None:
            pass

    lazy = Lazy()
    assert lazy.clock.now() is not None
    assert lazy.record("x").message == "x"


@pytest.mark.parametrize("bad", ["not valid", "class", "clock", "_private", "9lives"])
def test_fake_names_must_be_free_identifiers(bad: str) -> None:
    with pytest.raises(ValueError, match=repr(bad)):
        type("Bad", (fk.Fake,), {"name": bad})


def test_attach_checks_its_arguments() -> None:
    with pytest.raises(TypeError, match=r"clock must be a fixturekit\.Clock"):
        FakeSMS(clock="now")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"timeline must be a fixturekit\.Timeline"):
        FakeSMS(timeline=[])  # type: ignore[arg-type]


def test_repr_shows_name_and_state() -> None:
    sms = FakeSMS()
    assert repr(sms) == "<FakeSMS 'sms'>"
    with sms:
        assert repr(sms) == "<FakeSMS 'sms' running>"
