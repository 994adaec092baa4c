"""Importing fixturekit, or loading its pytest plugin, stays cheap.

Each check runs in a fresh interpreter, since this process has long since imported
everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import fixturekit

#: Libraries the blocks use that must load only when a block needs them.
HEAVY = ("sqlalchemy", "faker", "respx", "httpx", "pydantic", "jwt", "freezegun")

_REPORT_MODULES = """
import json, sys
print(json.dumps(sorted({name.partition(".")[0] for name in sys.modules})))
"""


def _fresh_modules(code: str) -> set[str]:
    """Top-level module names loaded after running ``code`` in a fresh interpreter."""
    script = textwrap.dedent(code) + _REPORT_MODULES
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return set(loaded)


@pytest.mark.slow
def test_import_fixturekit_loads_no_heavy_library() -> None:
    loaded = _fresh_modules("import fixturekit")
    assert "fixturekit" in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.slow
def test_loading_the_pytest_plugin_loads_no_heavy_library() -> None:
    loaded = _fresh_modules("import pytest\nimport fixturekit.pytest_plugin")
    assert "fixturekit" in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.slow
def test_using_clock_and_harness_loads_no_heavy_library() -> None:
    code = """
    import fixturekit as fk
    with fk.Harness(clock=fk.Clock("2024-01-01")) as harness:
        harness.clock.advance(seconds=1)
    fk.seed(1)
    """
    loaded = _fresh_modules(code)
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.slow
def test_public_names_are_imported_on_first_use() -> None:
    code = """
    import sys
    import fixturekit
    assert "fixturekit.clock" not in sys.modules, "fixturekit.clock was imported eagerly"
    assert "fixturekit.harness" not in sys.modules, "fixturekit.harness was imported eagerly"
    from fixturekit.clock import Clock
    assert fixturekit.Clock is Clock
    assert "Clock" in vars(fixturekit), "the name was not cached on the module"
    """
    _fresh_modules(code)


def test_every_name_in_all_resolves() -> None:
    for name in fixturekit.__all__:
        assert getattr(fixturekit, name) is not None, name


def test_dir_lists_all_public_names() -> None:
    assert set(fixturekit.__all__) <= set(dir(fixturekit))


def test_unknown_attribute_raises_attribute_error_naming_it() -> None:
    with pytest.raises(AttributeError, match="'no_such_block'"):
        fixturekit.no_such_block  # noqa: B018 - the attribute access is the test


def test_unknown_name_cannot_be_imported_from_the_package() -> None:
    with pytest.raises(ImportError, match="no_such_block"):
        exec("from fixturekit import no_such_block", {})
