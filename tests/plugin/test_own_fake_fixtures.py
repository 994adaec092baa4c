"""fixturekit's own fake fixtures join the test's harness under the fake's own name."""

from __future__ import annotations

import pytest


def test_own_fake_fixtures_share_the_clock_and_keep_their_harness_names(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest


        @pytest.mark.clock("2024-01-01T09:00:00Z")
        def test_fixtures(harness, clock, job_queue, tokens, payments):
            assert harness.queue is job_queue
            assert harness.tokens is tokens
            assert harness.payments is payments
            assert job_queue.clock is clock and tokens.clock is clock
            assert payments.clock is clock
            job_queue.push("send_welcome", {"user_id": 1})
            assert harness.timeline.events[0].at == clock.now()
        """
    )
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:asyncio"
    )
    result.assert_outcomes(passed=1)
