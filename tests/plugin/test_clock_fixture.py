from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import InnerPytest


def test_clock_fixture_is_frozen_at_now_by_default(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(
        """
        import time
        from datetime import datetime, timedelta, timezone

        import fixturekit as fk

        def test_frozen(clock):
            assert isinstance(clock, fk.Clock) and clock.running and not clock.tick
            first = datetime.now(timezone.utc)
            time.sleep(0.01)
            assert datetime.now(timezone.utc) == first == clock.now()
            assert abs(clock.now().timestamp() - clock.timestamp()) < 1e-6
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=1)


@pytest.mark.parametrize("marker", ["clock", "fixturekit_clock"])
def test_marker_sets_the_start_of_the_clock(inner_pytest: InnerPytest, marker: str) -> None:
    inner_pytest.makepyfile(
        f"""
        import pytest
        from datetime import date, datetime, timezone

        @pytest.mark.{marker}("2024-01-01T09:00:00Z")
        def test_start(clock):
            assert datetime.now(timezone.utc) == datetime(2024, 1, 1, 9, tzinfo=timezone.utc)
            assert date.today() == date(2024, 1, 1)
            clock.advance(days=1)
            assert date.today() == date(2024, 1, 2)
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=1)


def test_marker_keywords_reach_the_clock(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(
        """
        import time
        import pytest
        from datetime import datetime, timezone

        @pytest.mark.clock(start="2024-01-01", tick=True)
        def test_ticking(clock):
            assert clock.tick
            before = datetime.now(timezone.utc)
            time.sleep(0.02)
            assert datetime.now(timezone.utc) > before

        @pytest.mark.clock("2024-01-01", patch=False)
        def test_virtual(clock):
            assert not clock.patches
            assert datetime.now(timezone.utc).year > 2024
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=2)


def test_closest_marker_wins_and_class_markers_apply(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(
        """
        import pytest
        from datetime import date

        @pytest.mark.clock("2020-05-05")
        class TestDates:
            def test_from_class(self, clock):
                assert date.today() == date(2020, 5, 5)

            @pytest.mark.fixturekit_clock("2021-06-06")
            def test_own_marker(self, clock):
                assert date.today() == date(2021, 6, 6)
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=2)


def test_marker_alone_freezes_time_for_the_test(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(
        """
        import pytest
        from datetime import date

        @pytest.mark.clock("1999-12-31")
        def test_without_fixture():
            assert date.today() == date(1999, 12, 31)

        def test_after():
            assert date.today() > date(2020, 1, 1)
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=2)


def test_clock_is_stopped_after_a_failing_test(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(
        """
        import pytest
        from datetime import date
        from fixturekit.clock import _timepatch

        @pytest.mark.clock("2000-01-01")
        def test_fails(clock):
            assert False, "boom"

        def test_next_test_sees_real_time():
            assert _timepatch.active_clock() is None
            assert date.today().year > 2020
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=1, failed=1)


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        (
            '@pytest.mark.clock("not a date")',
            "*@pytest.mark.clock('not a date') on test_bad.py::test_it: cannot parse start*",
        ),
        (
            '@pytest.mark.clock("2024-01-01", tik=True)',
            "*@pytest.mark.clock('2024-01-01', tik=True) on *: unknown keyword 'tik'; "
            "the marker takes start, tick, patch, loop, monotonic*",
        ),
        (
            '@pytest.mark.fixturekit_clock("2024-01-01", "2024-02-01")',
            "*@pytest.mark.fixturekit_clock('2024-01-01', '2024-02-01') on *: give one start*",
        ),
        (
            '@pytest.mark.clock("2024-01-01", tick="yes")',
            "*@pytest.mark.clock('2024-01-01', tick='yes') on *: tick must be True or False*",
        ),
    ],
)
def test_bad_marker_arguments_fail_the_test_naming_the_marker(
    inner_pytest: InnerPytest, marker: str, expected: str
) -> None:
    inner_pytest.makepyfile(
        test_bad=f"""
        import pytest

        {marker}
        def test_it(clock):
            pass

        def test_other_tests_still_run():
            pass
        """
    )
    result = inner_pytest.run_inprocess()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([expected])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_a_conftest_clock_fixture_overrides_ours(inner_pytest: InnerPytest) -> None:
    inner_pytest.makeconftest(
        """
        import pytest
        import fixturekit as fk

        MADE = []

        @pytest.fixture
        def clock():
            with fk.Clock("2030-03-03", patch=False) as mine:
                MADE.append(mine)
                yield mine
        """
    )
    inner_pytest.makepyfile(
        """
        from conftest import MADE

        def test_uses_conftest_clock(clock, harness):
            assert MADE == [clock]
            assert harness.clock is clock
            assert clock.now().year == 2030
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=1)


@pytest.mark.slow
def test_functions_grabbed_when_conftest_imports_the_app_follow_the_clock(
    inner_pytest: InnerPytest,
) -> None:
    inner_pytest.makepyfile(
        grabbing_app="""
        from datetime import datetime
        from time import time

        now_factory = datetime.now  # as in Field(default_factory=datetime.now)
        grabbed_time = time
        """
    )
    inner_pytest.makeconftest("import grabbing_app")
    inner_pytest.makepyfile(
        """
        import pytest
        import grabbing_app

        @pytest.mark.clock("2001-02-03")
        def test_grabbed():
            assert grabbing_app.now_factory().year == 2001
            assert grabbing_app.grabbed_time() == 981158400.0
        """
    )
    inner_pytest.run().assert_outcomes(passed=1)


def test_marker_clock_starts_before_the_tests_other_fixtures(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(
        """
        import pytest
        from datetime import date

        @pytest.fixture(scope="module")
        def module_day():
            return date.today()

        @pytest.fixture
        def signup_day():
            return date.today()

        pytestmark = pytest.mark.clock("2001-09-09")

        def test_without_clock_fixture(module_day, signup_day):
            assert signup_day == date(2001, 9, 9)
            assert module_day.year > 2020  # set up before, outside the test's clock

        def test_with_clock_fixture_last(signup_day, clock):
            assert signup_day == date(2001, 9, 9)
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=2)


def test_marker_on_one_parameter_applies_to_that_parameter_only(
    inner_pytest: InnerPytest,
) -> None:
    inner_pytest.makepyfile(
        """
        import pytest
        from datetime import date

        @pytest.mark.parametrize(
            "year", [pytest.param(1999, marks=pytest.mark.clock("1999-01-01")), None]
        )
        def test_year(year):
            if year is None:
                assert date.today().year > 2020
            else:
                assert date.today().year == year
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=2)


def test_marker_added_by_another_plugin_at_collection_counts(inner_pytest: InnerPytest) -> None:
    inner_pytest.makeconftest(
        """
        import pytest

        def pytest_collection_modifyitems(items):
            for item in items:
                if "frozen" in item.name:
                    item.add_marker(pytest.mark.clock("2010-10-10"))
        """
    )
    inner_pytest.makepyfile(
        """
        from datetime import date

        def test_frozen():
            assert date.today() == date(2010, 10, 10)

        def test_free():
            assert date.today().year > 2020
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=2)


def test_unmarked_tests_do_not_set_up_the_clock(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(
        """
        import pytest

        def test_plain():
            pass

        @pytest.mark.clock("2024-01-01")
        def test_marked():
            pass
        """
    )
    result = inner_pytest.run_inprocess("--setup-plan")
    lines = [line.strip() for line in result.outlines]
    plain = next(i for i, line in enumerate(lines) if line.endswith("::test_plain"))
    marked = next(i for i, line in enumerate(lines) if "::test_marked" in line)
    assert lines[plain - 1].endswith(".py")  # nothing set up for test_plain
    assert lines[plain + 1 : marked] == ["SETUP    F clock"]


def test_a_fake_alone_does_not_freeze_the_process_time(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(
        """
        import time
        from datetime import datetime, timezone

        def test_rows_get_their_own_time(mailer, harness):
            assert not mailer.clock.patches and harness.clock is mailer.clock
            first = datetime.now(timezone.utc)
            time.sleep(0.05)
            second = datetime.now(timezone.utc)
            assert second > first
            assert abs(mailer.clock.now() - first).total_seconds() < 5
            harness.clock.advance(hours=1)  # the fakes' clock moves; real time does not
            assert datetime.now(timezone.utc) < mailer.clock.now()
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=1)


def test_asking_for_clock_or_the_marker_freezes_as_before(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(
        """
        import time
        import pytest
        from datetime import datetime, timezone

        def test_mailer_then_clock(mailer, clock):
            assert mailer.clock is clock and clock.patches
            first = datetime.now(timezone.utc)
            time.sleep(0.02)
            assert datetime.now(timezone.utc) == first

        @pytest.mark.clock("2024-01-01")
        def test_marker_only(queue):
            assert datetime.now(timezone.utc) == datetime(2024, 1, 1, tzinfo=timezone.utc)
            assert queue.clock.patches
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=2)


def test_the_freeze_time_ini_option_freezes_for_every_fake(inner_pytest: InnerPytest) -> None:
    inner_pytest.ini("fixturekit_freeze_time = true")
    inner_pytest.makepyfile(
        """
        import time
        from datetime import datetime, timezone

        def test_frozen_without_asking(mailer):
            assert mailer.clock.patches
            first = datetime.now(timezone.utc)
            time.sleep(0.02)
            assert datetime.now(timezone.utc) == first == mailer.clock.now()
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=1)


def test_uuid1_follows_the_clock_fixture(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(
        """
        import uuid
        from datetime import datetime, timedelta, timezone
        import pytest

        @pytest.mark.clock("2024-01-01T09:00:00Z")
        def test_uuid(clock):
            gregorian = datetime(1582, 10, 15, tzinfo=timezone.utc)
            made = gregorian + timedelta(microseconds=uuid.uuid1().time // 10)
            assert made == clock.now()
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=1)


def test_a_clock_fixture_overridden_in_conftest_drives_the_fakes(
    inner_pytest: InnerPytest,
) -> None:
    inner_pytest.makeconftest(
        """
        import pytest
        import fixturekit as fk

        @pytest.fixture
        def clock():
            with fk.Clock("2024-06-01") as running:
                yield running
        """
    )
    inner_pytest.makepyfile(
        """
        from datetime import date

        def test_fakes_on_the_conftest_clock(mailer):
            assert mailer.clock.patches and date.today() == date(2024, 6, 1)
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=1)


LOOP_TESTS = """
import asyncio
from datetime import datetime, timedelta, timezone

import pytest

START = datetime(2024, 1, 1, tzinfo=timezone.utc)


@pytest.mark.asyncio
@pytest.mark.clock("2024-01-01", loop=True)
async def test_sleeps_jump(clock):
    await asyncio.sleep(3600)
    assert datetime.now(timezone.utc) == START + timedelta(hours=1)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(asyncio.Event().wait(), timeout=600)
    assert clock.now() == START + timedelta(hours=1, minutes=10)


@pytest.mark.asyncio
@pytest.mark.clock("2024-01-01", loop=True)
async def test_advance_fires_due_loop_callbacks(clock, queue):
    fired = []
    asyncio.get_running_loop().call_later(90, lambda: fired.append(clock.now()))
    clock.advance(minutes=2)
    assert fired == [START + timedelta(seconds=90)]
    assert queue.clock is clock


@pytest.mark.asyncio
@pytest.mark.clock("2024-01-01")
async def test_without_loop_the_loop_keeps_real_time(clock):
    await asyncio.sleep(0.01)
    assert clock.now() == START
"""


def test_the_marker_puts_an_async_tests_loop_on_the_clock(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(LOOP_TESTS)
    inner_pytest.run_inprocess(plugins=["asyncio"]).assert_outcomes(passed=3)


def test_loop_true_without_pytest_asyncio_is_a_clear_error(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(
        """
        import pytest

        @pytest.mark.clock("2024-01-01", loop=True)
        def test_plain(clock):
            pass
        """
    )
    result = inner_pytest.run_inprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.clock('2024-01-01', loop=True) on test_*::test_plain: loop=True "
            "runs the async test's event loop on the clock through pytest-asyncio, which "
            "is not installed or not active*"
        ]
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "@pytest.mark.clock('2024-01-01', loop=True)\ndef test_x(clock):\n    pass\n",
            "*loop=True is for async tests that pytest-asyncio runs*clock.run(...)*",
        ),
        (
            "@pytest.mark.clock('2024-01-01', loop='yes')\ndef test_x(clock):\n    pass\n",
            "*loop must be True or False, not 'yes'*",
        ),
    ],
)
def test_loop_true_on_a_test_pytest_asyncio_does_not_run_is_refused(
    inner_pytest: InnerPytest, source: str, message: str
) -> None:
    inner_pytest.makepyfile("import pytest\n\n" + source)
    result = inner_pytest.run_inprocess(plugins=["asyncio"])
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([message])


def test_the_marker_takes_monotonic(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(
        """
        import time
        import pytest

        @pytest.mark.clock("2024-01-01", monotonic=True)
        def test_ttl(clock):
            assert clock.monotonic
            first = time.monotonic()
            clock.advance(seconds=30)
            assert time.monotonic() - first == pytest.approx(30)
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=1)
