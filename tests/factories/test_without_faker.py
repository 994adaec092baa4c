"""Faker is the ``faker`` extra: without it, factories fill what they emulate, and
what needs Faker raises an ImportError naming the extra."""

from __future__ import annotations

import subprocess
import sys

import pytest

WITHOUT_FAKER = """
import sys
sys.modules["faker"] = None  # as if Faker were not installed

import uuid
from dataclasses import dataclass
from datetime import date

import fixturekit as fk


@dataclass
class Order:
    id: int
    token: uuid.UUID
    placed: date
    code: str
    total: float


class OrderFactory(fk.Factory[Order]):
    total = fk.Faker("pyfloat", min_value=1, max_value=10, right_digits=2)


order = OrderFactory.build()
assert isinstance(order.token, uuid.UUID) and 1 <= order.total <= 10
assert order.code.isalpha(), order.code
print("BUILT", order)


@dataclass
class User:
    name: str


class UserFactory(fk.Factory[User]):
    name = fk.Faker("name")


try:
    UserFactory.build()
except ImportError as exc:
    print("ERROR", exc.name, exc)
"""


@pytest.mark.slow
def test_factories_without_faker_fill_what_they_emulate_and_name_the_extra() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_FAKER], capture_output=True, text=True, check=True
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith("BUILT Order(")
    assert lines[1].startswith("ERROR faker fk.Faker('name') ")
    assert "pip install 'fixturekit[faker]'" in lines[1]
