from __future__ import annotations

import pytest


def test_clock_fixture_is_frozen_at_now_by_default(pt: pytest.Pytester) -> None:
    pt.makepyfile(
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
    pt.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize("marker", ["clock", "fixturekit_clock"])
def test_marker_sets_the_start_of_the_clock(pt: pytest.Pytester, marker: str) -> None:
    pt.makepyfile(
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
    pt.runpytest().assert_outcomes(passed=1)


def test_marker_keywords_reach_the_clock(pt: pytest.Pytester) -> None:
    pt.makepyfile(
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
    pt.runpytest().assert_outcomes(passed=2)


def test_closest_marker_wins_and_class_markers_apply(pt: pytest.Pytester) -> None:
    pt.makepyfile(
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
    pt.runpytest().assert_outcomes(passed=2)


def test_marker_alone_freezes_time_for_the_test(pt: pytest.Pytester) -> None:
    pt.makepyfile(
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
    pt.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_clock_is_stopped_after_a_failing_test(pt: pytest.Pytester) -> None:
    pt.makepyfile(
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
    pt.runpytest().assert_outcomes(passed=1, failed=1)


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
            "the marker takes start, tick, patch*",
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
    pt: pytest.Pytester, marker: str, expected: str
) -> None:
    pt.makepyfile(
        test_bad=f"""
        import pytest

        {marker}
        def test_it(clock):
            pass

        def test_other_tests_still_run():
            pass
        """
    )
    result = pt.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([expected])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_a_conftest_clock_fixture_overrides_ours(pt: pytest.Pytester) -> None:
    pt.makeconftest(
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
    pt.makepyfile(
        """
        from conftest import MADE

        def test_uses_conftest_clock(clock, harness):
            assert MADE == [clock]
            assert harness.clock is clock
            assert clock.now().year == 2030
        """
    )
    pt.runpytest().assert_outcomes(passed=1)


def test_functions_grabbed_when_conftest_imports_the_app_follow_the_clock(
    pt: pytest.Pytester,
) -> None:
    pt.makepyfile(
        grabbing_app="""
        from datetime import datetime
        from time import time

        now_factory = datetime.now  # as in Field(default_factory=datetime.now)
        grabbed_time = time
        """
    )
    pt.makeconftest("import grabbing_app")
    pt.makepyfile(
        """
        import pytest
        import grabbing_app

        @pytest.mark.clock("2001-02-03")
        def test_grabbed():
            assert grabbing_app.now_factory().year == 2001
            assert grabbing_app.grabbed_time() == 981158400.0
        """
    )
    pt.runpytest_subprocess().assert_outcomes(passed=1)
