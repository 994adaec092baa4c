from __future__ import annotations

import json
import pickle
from datetime import date, datetime, timezone

import orjson
import pytest
from pydantic import BaseModel, ConfigDict, Field

import fixturekit as fk

UTC = timezone.utc
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


class Event(BaseModel):
    model_config = ConfigDict(strict=True)

    at: datetime
    day: date
    logged: datetime = Field(default_factory=lambda: datetime.now(UTC))


def test_pydantic_strict_model_validates_and_serialises_clock_values() -> None:
    with fk.Clock(START):
        event = Event(at=datetime.now(UTC), day=date.today())
        dumped = event.model_dump_json()
        assert Event.model_validate_json(dumped) == event
        assert event.model_dump(mode="json")["at"] == "2024-01-01T09:00:00Z"
        assert event.logged == START


def test_pydantic_model_defined_under_the_clock_works() -> None:
    with fk.Clock(START):

        class Stamp(BaseModel):
            model_config = ConfigDict(strict=True)
            at: datetime

        stamp = Stamp(at=datetime.now(UTC))
        assert Stamp.model_validate_json(stamp.model_dump_json()).at == START


def test_orjson_serialises_clock_values() -> None:
    with fk.Clock(START):
        payload = orjson.dumps({"at": datetime.now(UTC), "day": date.today()})
    assert orjson.loads(payload)["at"] == "2024-01-01T09:00:00+00:00"


def test_json_isoformat_and_pickle_round_trips() -> None:
    with fk.Clock(START):
        now = datetime.now(UTC)
        text = json.dumps({"at": now.isoformat()})
        assert datetime.fromisoformat(json.loads(text)["at"]) == now
        assert pickle.loads(pickle.dumps(now)) == now
        assert datetime.fromtimestamp(now.timestamp(), UTC) == now


@pytest.mark.parametrize(
    "make",
    [lambda: datetime.now(UTC), datetime.now, date.today, datetime.today],
    ids=["now-utc", "now", "today", "datetime-today"],
)
def test_values_compare_and_hash_like_real_ones(make: object) -> None:
    with fk.Clock(START):
        value = make()  # type: ignore[operator]
        assert value == value.replace()
        assert hash(value) == hash(value.replace())
        assert {value: 1}[value.replace()] == 1
