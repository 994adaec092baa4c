from __future__ import annotations

import pytest

# In-process pytester runs drop the modules a run imported when it ends. fixturekit's
# modules are imported here, once, so that every inner run shares one Clock class and
# one process-wide time patch with this process.
import fixturekit._internal.seed
import fixturekit.clock._timepatch
import fixturekit.clock
import fixturekit.harness  # noqa: F401

# The inner runs get the settings our own suite runs with: warnings are errors, and
# pytest-asyncio's loop scope is set (it warns when it is not). Hypothesis's plugin, when
# installed, re-imports hypothesis at the end of every in-process run: it is switched off.
INNER_INI = """
[pytest]
addopts = -p no:hypothesispytest
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""


@pytest.fixture
def pt(pytester: pytest.Pytester) -> pytest.Pytester:
    """pytester with an ini file like our own suite's."""
    pytester.makeini(INNER_INI)
    return pytester
