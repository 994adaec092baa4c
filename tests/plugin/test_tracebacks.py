"""A strict fake's failure leads pytest's report: fixturekit's own frames and
contextlib's are hidden from the traceback (harness fixture and HarnessTestCase)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import InnerPytest

TESTS = """
import fixturekit as fk
from fixturekit.testcase import HarnessTestCase


def test_fixture(mailer):
    mailer.send(to="ada@example.com", subject="Welcome", text="Hello")


class WelcomeTest(HarnessTestCase):
    fakes = (lambda: fk.FakeMailer(strict=True),)

    def test_case(self):
        self.mailer.send(to="ada@example.com", subject="Welcome", text="Hello")
"""

MESSAGE = "StrictModeError: FakeMailer at exit: 1 mail(s) were sent that no assertion looked at"


def _section(lines: list[str], title: str) -> list[str]:
    """The report lines of one failure, from its title to its fixturekit section."""
    start = next(i for i, line in enumerate(lines) if title in line)
    end = next(i for i in range(start + 1, len(lines)) if "- fixturekit -" in lines[i])
    return lines[start + 1 : end]


@pytest.mark.slow
def test_a_strict_fakes_failure_leads_the_report(inner_pytest: InnerPytest) -> None:
    inner_pytest.ini("fixturekit_strict = true")
    inner_pytest.makepyfile(test_welcome=TESTS)
    result = inner_pytest.run()
    result.assert_outcomes(passed=1, errors=1, failed=1)
    output = result.stdout.str()
    assert "contextlib" not in output
    assert "_harness.py" not in output
    assert "pytest_plugin" not in output

    teardown = _section(result.outlines, "ERROR at teardown of test_fixture")
    assert MESSAGE in teardown[1]  # after one blank line: the message itself
    assert len(teardown) <= 6, "\n".join(teardown)

    unittest_failure = _section(result.outlines, "WelcomeTest.test_case")
    assert any(MESSAGE in line for line in unittest_failure)
    # only the harness's stop, called by the test's cleanup, is shown above the message
    assert len(unittest_failure) <= 14, "\n".join(unittest_failure)
    assert "unittest/case.py" not in "\n".join(unittest_failure)
