"""Ini values that do not parse stop the run at startup, naming the option."""

from __future__ import annotations

import pytest
from tests.conftest import InnerPytest

TESTS = "def test_a():\n    pass\n"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("fixturekit_strict = 2", "fixturekit_strict: invalid truth value '2'; write true"),
        ("fixturekit_freeze_time = maybe", "fixturekit_freeze_time: invalid truth value 'maybe'"),
        ("fixturekit_network_guard = on please", "fixturekit_network_guard: invalid truth"),
        ("fixturekit_database_url = garbage", "fixturekit_database_url = garbage: not a data"),
        ("fixturekit_schema = nomodule:x", "fixturekit_schema = nomodule:x: no module named"),
    ],
)
def test_a_bad_ini_value_is_a_usage_error_at_startup(
    inner_pytest: InnerPytest, line: str, expected: str
) -> None:
    inner_pytest.ini(line)
    inner_pytest.makepyfile(test_nothing_asks_for_a_database=TESTS)
    result = inner_pytest.run_inprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: fixturekit ini option {expected}*"])
    assert "passed" not in result.stdout.str()  # no test ran


def test_good_values_and_an_importable_schema_module_pass(inner_pytest: InnerPytest) -> None:
    inner_pytest.ini(
        "fixturekit_strict = false\nfixturekit_network_guard = true\n"
        "fixturekit_schema = models_here:metadata"
    )
    inner_pytest.makepyfile(
        models_here="import sqlalchemy\nmetadata = sqlalchemy.MetaData()\n",
        test_fine=TESTS,
    )
    result = inner_pytest.run_inprocess()
    result.assert_outcomes(passed=1)
