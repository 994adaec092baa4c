from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from fixturekit.pytest_plugin._register import OWN_FIXTURES

if TYPE_CHECKING:
    from tests.conftest import InnerPytest

HEAVY = ("sqlalchemy", "faker", "respx", "httpx", "pydantic", "jwt", "freezegun")


@pytest.mark.slow
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


@pytest.mark.slow
def test_loading_the_plugin_imports_no_fixturekit_block() -> None:
    code = (
        "import json, sys\n"
        "import fixturekit.pytest_plugin\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('fixturekit.'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    loaded: list[str] = json.loads(out)
    blocks = ("harness", "clock", "db", "factories", "mail", "queue", "payments", "http", "tokens")
    assert [name for name in loaded if name.split(".")[1] in blocks] == []


@pytest.mark.slow
def test_a_run_using_clock_and_harness_imports_nothing_heavy(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(
        f"""
        import sys

        def test_light(clock, harness, fixturekit_seed):
            loaded = sorted(m for m in {HEAVY!r} if m in sys.modules)
            assert loaded == []
        """
    )
    result = inner_pytest.run()
    result.assert_outcomes(passed=1)


def test_markers_are_registered_with_help(inner_pytest: InnerPytest) -> None:
    result = inner_pytest.run_inprocess("--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.clock(start=None, *, tick=False, patch=True): run the test under*",
            "@pytest.mark.fixturekit_clock(start=None, *, tick=False, patch=True): *",
        ]
    )


def test_markers_pass_strict_markers(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(
        """
        import pytest

        @pytest.mark.clock("2024-01-01")
        def test_short(): pass

        @pytest.mark.fixturekit_clock("2024-01-01")
        def test_long(): pass
        """
    )
    inner_pytest.run_inprocess("--strict-markers").assert_outcomes(passed=2)


def test_fixtures_are_listed_with_their_docs(inner_pytest: InnerPytest) -> None:
    result = inner_pytest.run_inprocess("--fixtures")
    for name, doc in [
        ("clock", "A running fixturekit.Clock*"),
        ("harness", "A running fixturekit.Harness*"),
        ("fixturekit_seed", "This test's seed*"),
        ("mailer", "A running fixturekit.FakeMailer*"),
        ("queue", "A running fixturekit.FakeQueue*"),
        ("job_queue", "The ``queue`` fixture under its other name*"),
        ("http", "A running fixturekit.FakeHTTP*"),
        ("http_mock", "The ``http`` fixture under its other name*"),
        ("payments", "A running fixturekit.FakePayments*"),
        ("tokens", "A running fixturekit.TokenMinter*"),
    ]:
        result.stdout.fnmatch_lines([f"{name} -- *pytest_plugin/_fixtures.py:*", f"    {doc}"])


def test_register_fake_refuses_exactly_the_fixtures_fixturekit_defines(
    inner_pytest: InnerPytest,
) -> None:
    result = inner_pytest.run_inprocess("--fixtures", "-v", plugins=["asyncio"])
    listed = re.compile(r"(\w+)(?: \[\w+ scope\])? -- .*fixturekit[/\\]pytest_plugin[/\\]")
    defined = {match.group(1) for line in result.outlines if (match := listed.match(line))}
    assert {name for name in defined if not name.startswith("_")} == OWN_FIXTURES - {"request"}


def test_the_plugin_package_exposes_its_public_names() -> None:
    import fixturekit.pytest_plugin as plugin

    assert plugin.__all__ == ["register_factory", "register_fake", "run_seed"]
    assert all(callable(getattr(plugin, name)) for name in plugin.__all__)


#: Lists fixturekit's plugins that implement hooks (a module of fixtures alone has none).
REPORT_PLUGINS = """
def pytest_sessionfinish(session):
    names = sorted(
        name
        for name, plugin in session.config.pluginmanager.list_name_plugin()
        if name and name.startswith("fixturekit-")
        and any(attribute.startswith("pytest_") for attribute in dir(plugin))
    )
    print("\\nPLUGINS", " ".join(names))
"""


@pytest.mark.parametrize(
    ("ini", "tests", "expected"),
    [
        ("", "def test_plain(): pass", "PLUGINS fixturekit-seed"),
        (
            "fixturekit_network_guard = true",
            "def test_plain(): pass",
            "PLUGINS fixturekit-network-guard fixturekit-seed",
        ),
        (
            "fixturekit_database_url = sqlite:///app.db",
            "def test_plain(): pass",
            "PLUGINS fixturekit-database-guard fixturekit-seed",
        ),
        (
            "",
            "import pytest\n\n@pytest.mark.skip\ndef test_db(db_session): pass",
            "PLUGINS fixturekit-database-watch fixturekit-seed",
        ),
    ],
)
def test_per_test_hooks_are_registered_only_for_what_is_configured(
    inner_pytest: InnerPytest, ini: str, tests: str, expected: str
) -> None:
    if ini:
        inner_pytest.ini(ini)
    inner_pytest.makeconftest(REPORT_PLUGINS)
    inner_pytest.makepyfile(tests)
    result = inner_pytest.run_inprocess("-s")
    result.stdout.fnmatch_lines([expected])
