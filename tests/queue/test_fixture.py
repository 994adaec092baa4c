from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_a_registered_fixture_shares_the_tests_clock_and_stops_strictly(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
        from fixturekit.pytest_plugin import register_fake
        from fixturekit.queue import FakeQueue

        register_fake(FakeQueue, name="job_queue")
        """
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.clock("2024-01-01T09:00:00Z")
        def test_delayed_job_follows_the_clock_fixture(job_queue, clock, harness):
            ran = []
            job_queue.handler("x", ran.append)
            job_queue.push("x", 1, delay=60)
            clock.advance(seconds=60)
            job_queue.run_due()
            assert ran == [1]
            assert job_queue.clock is clock
            assert "ran 'x' (job-1)" in harness.timeline.messages()

        def test_strict_teardown_lists_the_unasserted_job(job_queue):
            job_queue.strict = True
            job_queue.push("forgotten", {"n": 1})
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*strict queue: 1 job was pushed*", "*'forgotten' (job-1)*"])
