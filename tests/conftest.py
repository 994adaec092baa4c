"""What the whole suite shares: `inner_pytest`, the one way to run pytest inside a test.

Nested runs are what made the suite slow: each one started every installed plugin
(hypothesis alone costs more than a second per start). `inner_pytest` starts pytest
with plugin autoload off, loads fixturekit's plugin and only the plugins a test names,
and writes the inner ini from one place, like pytest-django's ``django_pytester``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

#: Short names for the plugins a nested run may need, and what ``-p`` loads for each.
#: pytest-asyncio goes by its entry-point name, so that it is registered as "asyncio",
#: the name fixturekit's plugin looks for before it offers the async database fixtures.
PLUGINS = {
    "asyncio": "asyncio",
    "anyio": "anyio.pytest_plugin",
    "xdist": "xdist.plugin",
    "pytester": "pytester",
}

#: The inner ini every nested run starts from: warnings are errors, as in our own suite.
INNER_INI = """\
[pytest]
filterwarnings = error
"""

#: What pytest-asyncio needs in the ini (it warns without a loop scope).
ASYNCIO_INI = """\
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
"""


class InnerPytest:
    """Runs pytest on files a test writes, with only fixturekit's plugin and those named.

    ``inner_pytest.makepyfile(...)`` / ``.path`` reach the underlying ``pytester``.
    """

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        self.path = pytester.path
        self._ini_extra = ""

    def ini(self, extra: str) -> None:
        """Add lines to the inner ini's ``[pytest]`` section (``fixturekit_strict = true``)."""
        self._ini_extra += extra if extra.endswith("\n") else extra + "\n"

    def makepyfile(self, *args: Any, **kwargs: Any) -> Any:
        return self.pytester.makepyfile(*args, **kwargs)

    def makeconftest(self, source: str) -> Any:
        return self.pytester.makeconftest(source)

    def _args(self, args: Iterable[str], plugins: Iterable[str]) -> list[str]:
        plugins = list(plugins)
        unknown = [name for name in plugins if name not in PLUGINS]
        if unknown:
            raise ValueError(f"unknown plugin {unknown[0]!r}; known: {', '.join(PLUGINS)}")
        ini = INNER_INI + (ASYNCIO_INI if "asyncio" in plugins else "") + self._ini_extra
        self.pytester.makeini(ini)
        loaded = ["-p", "fixturekit.pytest_plugin"]
        for name in plugins:
            loaded += ["-p", PLUGINS[name]]
        return [*loaded, "-p", "no:cacheprovider", *args]

    def run(
        self,
        *args: str,
        plugins: Iterable[str] = (),
        timeout: float | None = 120,
    ) -> pytest.RunResult:
        """pytest in a new interpreter (what a user's run is), autoload off."""
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
            return self.pytester.runpytest_subprocess(*self._args(args, plugins), timeout=timeout)

    def run_inprocess(self, *args: str, plugins: Iterable[str] = ()) -> pytest.RunResult:
        """pytest in this interpreter: faster, for runs that need no fresh import state.

        The plugins are the modules this process already imported, which pytest can no
        longer rewrite the asserts of; its warning saying so is silenced.
        """
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
            return self.pytester.runpytest_inprocess(
                "-W", "ignore::pytest.PytestAssertRewriteWarning", *self._args(args, plugins)
            )


@pytest.fixture
def inner_pytest(pytester: pytest.Pytester) -> InnerPytest:
    """pytest inside a test, with only the plugins the test names (see `InnerPytest`)."""
    return InnerPytest(pytester)
