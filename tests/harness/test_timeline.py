from __future__ import annotations

from datetime import datetime, timezone

import pytest

import fixturekit as fk

UTC = timezone.utc


def test_timeline_records_with_clock_time_and_prints_a_table() -> None:
    clock = fk.Clock("2024-01-01T09:00:00Z", patch=False)
    timeline = fk.Timeline(clock)
    timeline.record("mail", "mail sent to a@example.com: Welcome", to="a@example.com")
    clock.advance(minutes=5)
    timeline.record("queue", "job pushed: send_reminder")
    assert str(timeline) == (
        "time                       source  event\n"
        "-------------------------  ------  -----\n"
        "2024-01-01T09:00:00+00:00  mail    mail sent to a@example.com: Welcome\n"
        "2024-01-01T09:05:00+00:00  queue   job pushed: send_reminder"
    )
    assert len(timeline) == 2
    assert timeline.events[1].at == datetime(2024, 1, 1, 9, 5, tzinfo=UTC)
    assert str(timeline.events[0]) == (
        "2024-01-01T09:00:00+00:00 [mail] mail sent to a@example.com: Welcome"
    )


def test_filter_and_messages() -> None:
    timeline = fk.Timeline()
    timeline.record("mail", "welcome")
    timeline.record("sms", "code 1234")
    timeline.record("mail", "receipt")
    assert timeline.messages("mail") == ["welcome", "receipt"]
    assert [e.message for e in timeline.filter(contains="code")] == ["code 1234"]
    assert timeline.filter("sms", contains="welcome") == []
    timeline.clear()
    assert len(timeline) == 0
    assert str(timeline) == "(timeline is empty: no fake recorded anything)"


def test_event_data_is_read_only() -> None:
    event = fk.Timeline().record("mail", "x", to="a")
    with pytest.raises(TypeError):
        event.data["to"] = "b"  # type: ignore[index]


def test_record_checks_its_arguments() -> None:
    timeline = fk.Timeline()
    with pytest.raises(TypeError, match="source must be a non-empty str"):
        timeline.record("", "x")
    with pytest.raises(TypeError, match="message must be a str, not int"):
        timeline.record("mail", 5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"clock must be a fixturekit\.Clock"):
        fk.Timeline("now")  # type: ignore[arg-type]
