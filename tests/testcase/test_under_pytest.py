from __future__ import annotations

import pytest

from fixturekit._internal.seed import derive_seed

# pytest-asyncio's loop scope is set because it warns otherwise; warnings are errors.
INI = """
[pytest]
addopts = -p no:hypothesispytest
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""


def test_pytest_runs_harness_testcases_with_the_plugins_seed_and_report(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        test_cases="""
        import fixturekit as fk
        from fixturekit.testcase import HarnessTestCase, IsolatedAsyncioHarnessTestCase

        class FakeSMS(fk.Fake):
            name = "sms"

        class SyncCase(HarnessTestCase):
            clock_start = "2024-01-01"
            fakes = (FakeSMS,)

            def test_seed(self):
                print("SEED", self.fixturekit_seed)

            def test_fails(self):
                self.sms.record("sent a text")
                assert False, "boom"

        class AsyncCase(IsolatedAsyncioHarnessTestCase):
            async def test_seed(self):
                print("SEED", self.fixturekit_seed)
        """
    )
    result = pytester.runpytest_subprocess("--fixturekit-seed=11", "-s")
    result.assert_outcomes(passed=2, failed=1)
    for nodeid in ["test_cases.py::SyncCase::test_seed", "test_cases.py::AsyncCase::test_seed"]:
        result.stdout.fnmatch_lines([f"*SEED {derive_seed(11, nodeid)}*"])
    result.stdout.fnmatch_lines(
        [
            "*- fixturekit -*",
            f"test seed {derive_seed(11, 'test_cases.py::SyncCase::test_fails')} (run seed 11)",
            "rerun: pytest --fixturekit-seed=11 'test_cases.py::SyncCase::test_fails'",
            "",
            "timeline:",
            "*2024-01-01T00:00:00+00:00  sms     sent a text",
        ]
    )
    # The plugin's section says it; the traceback does not repeat it.
    result.stdout.no_fnmatch_line("*FIXTUREKIT_SEED=*")
