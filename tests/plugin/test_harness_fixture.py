from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import InnerPytest

from fixturekit.pytest_plugin import register_fake

FAKE_SMS = """
import fixturekit as fk

STOPPED = []


class FakeSMS(fk.Fake):
    name = "sms"

    def reset(self):
        self.sent = []

    def send(self, to, body):
        self.sent.append((to, body))
        self.record(f"sms to {to}: {body}")

    def on_stop(self):
        STOPPED.append(self)
"""


def test_harness_fixture_runs_on_the_clock_fixture(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(
        """
        import pytest
        import fixturekit as fk

        @pytest.mark.clock("2024-01-01")
        def test_shared(harness, clock):
            assert isinstance(harness, fk.Harness) and harness.running
            assert harness.clock is clock
            assert harness.timeline.clock is clock
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=1)


def test_register_fake_in_conftest_makes_a_fixture_on_the_harness(
    inner_pytest: InnerPytest,
) -> None:
    inner_pytest.makepyfile(fakes=FAKE_SMS)
    inner_pytest.makeconftest(
        """
        from fixturekit.pytest_plugin import register_fake
        from fakes import FakeSMS

        register_fake(FakeSMS)
        """
    )
    inner_pytest.makepyfile(
        """
        import pytest
        from fakes import STOPPED, FakeSMS

        @pytest.mark.clock("2024-01-01T09:00:00Z")
        def test_sms(sms, harness, clock):
            assert isinstance(sms, FakeSMS) and sms.running
            assert harness.sms is sms and sms.clock is clock
            clock.advance(minutes=5)
            sms.send("+15550100", "hi")
            assert [str(e) for e in harness.timeline] == [
                "2024-01-01T09:05:00+00:00 [sms] sms to +15550100: hi"
            ]

        def test_fresh_fake_per_test(sms):
            assert sms.sent == []
            assert len(STOPPED) == 1 and STOPPED[0] is not sms

        def test_fake_was_stopped_after_its_test():
            assert len(STOPPED) == 2
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=3)


def test_register_fake_returns_the_fixture_and_takes_a_name(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(fakes=FAKE_SMS)
    inner_pytest.makepyfile(
        """
        from fixturekit.pytest_plugin import register_fake
        from fakes import FakeSMS

        sms = register_fake(FakeSMS)
        backup_sms = register_fake(FakeSMS, name="backup_sms")

        def test_two_fakes_of_one_class(sms, backup_sms, harness):
            assert sms is not backup_sms
            assert harness["sms"] is sms and harness["backup_sms"] is backup_sms
            backup_sms.send("+1", "x")
            assert harness.timeline.messages("backup_sms") == ["sms to +1: x"]
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=1)


def test_register_fake_in_a_class_body_scopes_the_fixture_to_the_class(
    inner_pytest: InnerPytest,
) -> None:
    inner_pytest.makepyfile(fakes=FAKE_SMS)
    inner_pytest.makepyfile(
        """
        from fixturekit.pytest_plugin import register_fake
        from fakes import FakeSMS

        class TestWithSMS:
            register_fake(FakeSMS)

            def test_inside(self, sms):
                assert sms.running

        def test_outside(sms):
            pass
        """
    )
    result = inner_pytest.run_inprocess()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*fixture 'sms' not found*"])


def test_fake_is_stopped_when_the_test_fails(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(fakes=FAKE_SMS)
    inner_pytest.makeconftest(
        "from fixturekit.pytest_plugin import register_fake\n"
        "from fakes import FakeSMS\nregister_fake(FakeSMS)\n"
    )
    inner_pytest.makepyfile(
        """
        from fakes import STOPPED

        def test_fails(sms):
            raise RuntimeError("boom")

        def test_then(clock):
            assert len(STOPPED) == 1 and not STOPPED[0].running
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=1, failed=1)


def test_a_conftest_fixture_named_like_a_registered_fake_wins(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(fakes=FAKE_SMS)
    inner_pytest.makeconftest(
        """
        from fixturekit.pytest_plugin import register_fake
        from fakes import FakeSMS

        register_fake(FakeSMS)
        """
    )
    inner_pytest.pytester.mkdir("sub").joinpath("conftest.py").write_text(
        "import pytest\n\n@pytest.fixture\ndef sms():\n    return 'mine'\n"
    )
    inner_pytest.pytester.mkdir("sub2")
    inner_pytest.path.joinpath("sub", "test_sub.py").write_text(
        "def test_mine(sms):\n    assert sms == 'mine'\n"
    )
    inner_pytest.path.joinpath("sub2", "test_top.py").write_text(
        "def test_registered(sms):\n    assert sms.running\n"
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=2)


class NotAFake:
    name = "thing"


def test_register_fake_refuses_an_instance() -> None:
    import fixturekit as fk

    class FakeSMS(fk.Fake):
        name = "sms"

    with pytest.raises(
        TypeError,
        match=r"write register_fake\(FakeSMS\) instead of "
        r"register_fake\(FakeSMS\(\)\)",
    ):
        register_fake(FakeSMS())  # type: ignore[arg-type]


def test_register_fake_refuses_a_class_that_is_not_a_fake() -> None:
    with pytest.raises(
        TypeError, match=r"takes a fixturekit\.Fake subclass, not <class .*NotAFake"
    ):
        register_fake(NotAFake)  # type: ignore[arg-type]


def test_register_fake_refuses_a_fake_without_a_name() -> None:
    import fixturekit as fk

    class Nameless(fk.Fake):
        pass

    with pytest.raises(
        ValueError,
        match=r"Nameless has no name; set a class attribute such as "
        r"name = 'sms', or write register_fake\(.*Nameless, name='sms'\)",
    ):
        register_fake(Nameless)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("harness", "fixturekit's own fixture has that name"),
        ("queue", "fixturekit's own fixture has that name"),
        ("job_queue", "fixturekit's own fixture has that name"),
        ("http", "fixturekit's own fixture has that name"),
        ("http_mock", "fixturekit's own fixture has that name"),
        ("mailer", "fixturekit's own fixture has that name"),
        ("network_guard", "fixturekit's own fixture has that name"),
        ("db_session", "fixturekit's own fixture has that name"),
        ("clock", "taken by Harness itself"),
        ("not valid", "must be a Python identifier"),
    ],
)
def test_register_fake_refuses_unusable_names(name: str, message: str) -> None:
    import fixturekit as fk

    class FakeSMS(fk.Fake):
        name = "sms"

    with pytest.raises(ValueError, match=message):
        register_fake(FakeSMS, name=name)


def test_register_fake_inside_a_function_only_returns_the_fixture() -> None:
    import fixturekit as fk

    class FakeFax(fk.Fake):
        name = "fax"

    fixture = register_fake(FakeFax)
    assert "fax" not in locals()
    assert "fax" not in globals()
    assert fixture is not None


@pytest.mark.parametrize("name", ["harness", "queue", "http_mock", "db_session"])
def test_register_factory_refuses_fixturekits_own_fixture_names(name: str) -> None:
    from dataclasses import dataclass

    import fixturekit as fk
    from fixturekit.pytest_plugin import register_factory

    @dataclass
    class User:
        name: str

    class UserFactory(fk.Factory[User]):
        name = "ada"

    with pytest.raises(ValueError, match="fixturekit's own fixture has that name"):
        register_factory(UserFactory, name=name)
