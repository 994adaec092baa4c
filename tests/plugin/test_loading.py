from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "faker", "respx", "httpx", "pydantic", "jwt", "freezegun")


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "import fixturekit.pytest_plugin\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "[]"


def test_a_run_using_clock_and_harness_imports_nothing_heavy(pt: pytest.Pytester) -> None:
    pt.makepyfile(
        f"""
        import sys

        def test_light(clock, harness, fixturekit_seed):
            loaded = sorted(m for m in {HEAVY!r} if m in sys.modules)
            assert loaded == []
        """
    )
    # Other installed plugins that import these libraries themselves are switched off.
    result = pt.runpytest_subprocess("-p", "no:faker", "-p", "no:respx", "-p", "no:time_machine")
    result.assert_outcomes(passed=1)


def test_markers_are_registered_with_help(pt: pytest.Pytester) -> None:
    result = pt.runpytest("--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.clock(start=None, *, tick=False, patch=True): run the test under*",
            "@pytest.mark.fixturekit_clock(start=None, *, tick=False, patch=True): *",
        ]
    )


def test_markers_pass_strict_markers(pt: pytest.Pytester) -> None:
    pt.makepyfile(
        """
        import pytest

        @pytest.mark.clock("2024-01-01")
        def test_short(): pass

        @pytest.mark.fixturekit_clock("2024-01-01")
        def test_long(): pass
        """
    )
    pt.runpytest("--strict-markers").assert_outcomes(passed=2)


def test_fixtures_are_listed_with_their_docs(pt: pytest.Pytester) -> None:
    result = pt.runpytest("--fixtures")
    result.stdout.fnmatch_lines(
        [
            "clock -- *pytest_plugin.py:*",
            "*A running fixturekit.Clock*",
            "harness -- *pytest_plugin.py:*",
            "*A running fixturekit.Harness*",
            "fixturekit_seed -- *pytest_plugin.py:*",
        ],
        consecutive=False,
    )
