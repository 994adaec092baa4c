from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import InnerPytest

from fixturekit._internal.seed import derive_seed


def test_failing_test_report_shows_seeds_and_rerun_command(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(
        test_fail="""
        import pytest

        @pytest.mark.parametrize("word", ["it's"])
        def test_fails(word):
            assert False
        """
    )
    result = inner_pytest.run_inprocess("--fixturekit-seed=42")
    result.assert_outcomes(failed=1)
    nodeid = "test_fail.py::test_fails[it's]"
    result.stdout.fnmatch_lines(
        [
            "*- fixturekit -*",
            f"test seed {derive_seed(42, nodeid)} (run seed 42)",
            "rerun: pytest --fixturekit-seed=42 'test_fail.py::test_fails[it'\"'\"'s]'",
        ]
    )


def test_report_shows_the_harness_timeline(inner_pytest: InnerPytest) -> None:
    inner_pytest.makeconftest(
        """
        import fixturekit as fk
        from fixturekit.pytest_plugin import register_fake

        class FakeSMS(fk.Fake):
            name = "sms"

            def send(self, to):
                self.record(f"sms to {to}")

        register_fake(FakeSMS)
        """
    )
    inner_pytest.makepyfile(
        test_fail="""
        import pytest

        @pytest.mark.clock("2024-01-01T09:00:00Z")
        def test_fails(sms, clock):
            sms.send("+1555")
            clock.advance(minutes=1)
            sms.send("+1666")
            assert False
        """
    )
    result = inner_pytest.run_inprocess("--fixturekit-seed=3")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*- fixturekit -*",
            "test seed * (run seed 3)",
            "rerun: pytest --fixturekit-seed=3 'test_fail.py::test_fails'",
            "",
            "timeline:",
            "time                       source  event",
            "-------------------------  ------  -----",
            "2024-01-01T09:00:00+00:00  sms     sms to +1555",
            "2024-01-01T09:01:00+00:00  sms     sms to +1666",
        ]
    )


def test_passing_test_has_no_section(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile("def test_ok(harness): pass")
    result = inner_pytest.run_inprocess("-rA")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*- fixturekit -*")


def test_setup_and_teardown_failures_get_the_section(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(
        test_fail="""
        import pytest

        @pytest.fixture
        def broken_setup():
            raise RuntimeError("setup broke")

        @pytest.fixture
        def broken_teardown(harness):
            yield
            raise RuntimeError("teardown broke")

        def test_setup(broken_setup):
            pass

        def test_teardown(broken_teardown):
            pass
        """
    )
    result = inner_pytest.run_inprocess("--fixturekit-seed=8")
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_setup*",
            "*- fixturekit -*",
            "rerun: pytest --fixturekit-seed=8 'test_fail.py::test_setup'",
            "*ERROR at teardown of test_teardown*",
            "*- fixturekit -*",
            "rerun: pytest --fixturekit-seed=8 'test_fail.py::test_teardown'",
            "",
            "timeline:",
            "(timeline is empty: no fake recorded anything)",
        ]
    )


@pytest.mark.slow
def test_rerun_command_reproduces_the_failing_value(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(
        test_flaky="""
        import random

        def test_sometimes():
            assert random.random() < 0.5

        def test_other():
            pass
        """
    )
    for seed in range(50):
        first = inner_pytest.run_inprocess(f"--fixturekit-seed={seed}")
        if first.ret != 0:
            break
    else:  # pragma: no cover - 50 passes in a row has probability 2**-50
        pytest.fail("test_sometimes never failed")
    rerun = next(
        line.removeprefix("rerun: pytest ")
        for line in first.outlines
        if line.startswith("rerun: pytest ")
    )
    option, nodeid = rerun.split(" ", 1)
    again = inner_pytest.run_inprocess(option, nodeid.strip("'"))
    again.assert_outcomes(failed=1)
