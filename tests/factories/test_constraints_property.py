"""Property test: whatever the fields and constraints, a built instance passes validation."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Optional

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import EmailStr, Field, HttpUrl, SecretStr

import fixturekit.factories as fk
from fixturekit._internal import seed as _seed


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Inner(pydantic.BaseModel):
    label: str = Field(min_length=2, max_length=6)
    count: int = Field(ge=0, le=3)


NAMES = ["email", "name", "city", "url", "title", "age", "phone", "slug", "bio", "x", "value"]
PATTERNS = [r"^[A-Z]{2}\d{2,4}$", r"^[a-z]+(-[a-z]+)*$", r"^\+?\d{7,12}$", r"^(foo|bar)_\w{3}$"]


@st.composite
def text_field(draw: st.DrawFn) -> Any:
    low = draw(st.integers(0, 12))
    high = draw(st.one_of(st.none(), st.integers(max(low, 1), 40)))
    if draw(st.booleans()):
        return Annotated[str, Field(pattern=draw(st.sampled_from(PATTERNS)))]
    return Annotated[str, Field(min_length=low, max_length=high)]


@st.composite
def int_field(draw: st.DrawFn) -> Any:
    low = draw(st.integers(-1000, 1000))
    span = draw(st.integers(0, 500))
    step = draw(st.sampled_from([None, 1, 2, 5]))
    high = low + span + (step or 0)
    bounds = draw(st.sampled_from(["ge/le", "gt/lt", "ge", "le", "none"]))
    kw: dict[str, Any] = {"multiple_of": step}
    if bounds == "ge/le":
        kw.update(ge=low, le=high)
    elif bounds == "gt/lt":
        kw.update(gt=low, lt=high + 2)
    elif bounds == "ge":
        kw.update(ge=low)
    elif bounds == "le":
        kw.update(le=high)
    return Annotated[int, Field(**kw)]


@st.composite
def float_field(draw: st.DrawFn) -> Any:
    low = draw(st.floats(-1e4, 1e4))
    return Annotated[float, Field(gt=low, lt=low + draw(st.floats(0.5, 1e4)))]


@st.composite
def decimal_field(draw: st.DrawFn) -> Any:
    places = draw(st.integers(0, 4))
    digits = places + draw(st.integers(1, 8))
    return Annotated[
        Decimal,
        Field(max_digits=digits, decimal_places=places, ge=draw(st.sampled_from([None, 0]))),
    ]


@st.composite
def list_field(draw: st.DrawFn) -> Any:
    low = draw(st.integers(0, 4))
    item = draw(st.sampled_from([str, int, Annotated[str, Field(min_length=3, max_length=5)]]))
    return Annotated[list[item], Field(min_length=low, max_length=low + draw(st.integers(0, 3)))]  # type: ignore[valid-type]


SIMPLE = st.sampled_from(
    [
        EmailStr,
        HttpUrl,
        Annotated[SecretStr, Field(min_length=10)],
        uuid.UUID,
        pydantic.UUID4,
        date,
        datetime,
        pydantic.PastDate,
        pydantic.FutureDatetime,
        pydantic.AwareDatetime,
        bool,
        Color,
        Literal["a", "b", 3],
        Inner,
        dict[str, int],
        set[int],
        tuple[int, str],
        Optional[Inner],  # noqa: UP045
        int | str,
    ]
)
FIELD = st.one_of(SIMPLE, text_field(), int_field(), float_field(), decimal_field(), list_field())


@st.composite
def models(draw: st.DrawFn) -> type[pydantic.BaseModel]:
    count = draw(st.integers(1, 8))
    names = draw(
        st.lists(
            st.one_of(st.sampled_from(NAMES), st.from_regex(r"\A[a-z]{1,8}\Z")),
            min_size=count,
            max_size=count,
            unique=True,
        )
    )
    fields = {name: (draw(FIELD), ...) for name in names if name not in ("model_config",)}
    return pydantic.create_model("Generated", **fields)  # type: ignore[call-overload,no-any-return]


@pytest.mark.slow
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(model=models(), seed=st.integers(0, 2**31 - 1))
def test_built_instances_pass_the_models_validation(
    model: type[pydantic.BaseModel], seed: int
) -> None:
    class GeneratedFactory(fk.Factory[model], register=False):  # type: ignore[valid-type]
        pass

    factory = GeneratedFactory
    _seed.seed(seed)
    for obj in factory.build_batch(5):
        # build() validated already; dumping and validating again must agree.
        again = model.model_validate(obj.model_dump())
        assert again.model_dump() == obj.model_dump()
        model.model_validate(factory.payload())
