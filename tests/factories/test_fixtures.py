from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from fixturekit.factories import Factory, register_factory
from fixturekit.factories._fixtures import fixture_name

if TYPE_CHECKING:
    from tests.conftest import InnerPytest

CONFTEST = """
from __future__ import annotations

import pydantic
import fixturekit.factories as fk
from fixturekit.factories import register_factory


class User(pydantic.BaseModel):
    name: str
    email: str


class UserFactory(fk.Factory[User]):
    name = fk.Sequence("user{n}")


register_factory(UserFactory)
register_factory(UserFactory, name="people")
"""

TESTS = """
def test_the_fixture_is_the_factory(user_factory, people):
    assert people is user_factory
    assert user_factory.build().name == "user0"


def test_sequences_restart_in_each_test(user_factory):
    assert [u.name for u in user_factory.build_batch(2)] == ["user0", "user1"]


class TestInAClass:
    from conftest import UserFactory, register_factory

    register_factory(UserFactory, name="in_class")

    def test_a_fixture_registered_in_a_class_body(self, in_class):
        assert in_class.build().name == "user0"
"""


def test_register_factory_makes_a_fixture_per_factory(inner_pytest: InnerPytest) -> None:
    inner_pytest.makeconftest(CONFTEST)
    inner_pytest.makepyfile(test_users=TESTS)
    result = inner_pytest.run_inprocess()
    result.assert_outcomes(passed=3)


def test_fixture_names_follow_the_class_name() -> None:
    class HTTPLogFactory(Factory):  # type: ignore[type-arg]
        pass

    class OrderItemFactory(Factory):  # type: ignore[type-arg]
        pass

    assert fixture_name(HTTPLogFactory) == "http_log_factory"
    assert fixture_name(OrderItemFactory) == "order_item_factory"


def test_register_factory_refuses_what_is_not_a_factory_class() -> None:
    with pytest.raises(TypeError, match="factory class such as UserFactory"):
        register_factory(object)
    with pytest.raises(ValueError, match="identifier"):
        register_factory(Factory, name="not valid")
