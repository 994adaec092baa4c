"""register_fake and register_factory refuse every fixture name fixturekit defines, so a
custom fake never shadows one of fixturekit's own fixtures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

import fixturekit as fk
from fixturekit.pytest_plugin import register_factory, register_fake

if TYPE_CHECKING:
    from tests.conftest import InnerPytest

FIXTUREKIT_FIXTURES = [
    "clock",
    "harness",
    "fixturekit_seed",
    "mailer",
    "queue",
    "job_queue",
    "payments",
    "http",
    "http_mock",
    "tokens",
    "network_guard",
    "fixturekit_database",
    "db_sandbox",
    "db_session",
    "async_db_sandbox",
    "async_db_session",
]


class FakeSMS(fk.Fake):
    name = "sms"


@dataclass
class Thing:
    title: str


class ThingFactory(fk.Factory[Thing]):
    pass


@pytest.mark.parametrize("name", FIXTUREKIT_FIXTURES)
def test_register_fake_refuses_a_fixturekit_fixture_name(name: str) -> None:
    # 'clock' is also a Harness attribute, which check_fake_name refuses first
    message = "taken by Harness itself" if name == "clock" else "fixturekit's own fixture"
    with pytest.raises(ValueError, match=f"'{name}'.*{message}"):
        register_fake(FakeSMS, name=name)


@pytest.mark.parametrize("name", ["mailer", "queue", "http", "payments", "tokens", "harness"])
def test_a_fake_class_named_like_a_fixturekit_fixture_is_refused(name: str) -> None:
    fake_cls = type("FakeOwn", (fk.Fake,), {"name": name})
    with pytest.raises(ValueError, match="pass another name="):
        register_fake(fake_cls)


@pytest.mark.parametrize("name", FIXTUREKIT_FIXTURES)
def test_register_factory_refuses_a_fixturekit_fixture_name(name: str) -> None:
    with pytest.raises(ValueError, match=f"cannot name a fixture '{name}'"):
        register_factory(ThingFactory, name=name)


def test_a_conftest_registering_mailer_fails_the_run_instead_of_shadowing_it(
    inner_pytest: InnerPytest,
) -> None:
    inner_pytest.makeconftest(
        """
        import fixturekit as fk
        from fixturekit.pytest_plugin import register_fake

        class FakeMailer(fk.Fake):
            name = "mailer"

        register_fake(FakeMailer)
        """
    )
    inner_pytest.makepyfile("def test_it(mailer): pass")
    result = inner_pytest.run_inprocess()
    assert result.ret != 0
    shown = result.stdout.str() + result.stderr.str()
    assert "register_fake() cannot name a fixture 'mailer': fixturekit's own" in shown
