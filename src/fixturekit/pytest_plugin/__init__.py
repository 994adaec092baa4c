"""fixturekit's pytest plugin: fixtures, markers and the run seed.

Loaded automatically through the ``pytest11`` entry point. Loading it imports nothing
but pytest, the standard library and fixturekit's clock; fixturekit's blocks are
imported by the fixtures that use them.

Fixtures: ``clock``, ``harness``, ``fixturekit_seed``; the fakes, named as on the
harness: ``mailer``, ``queue`` (alias ``job_queue``), ``payments``, ``http`` (alias
``http_mock``) and ``tokens``; the database fixtures ``fixturekit_database``,
``db_sandbox``, ``db_session`` (and, with pytest-asyncio, ``async_db_sandbox`` and
``async_db_session``); ``network_guard``; plus one per fake or factory registered with
`register_fake` / `register_factory`.

Markers: ``clock`` (alias ``fixturekit_clock``), ``allow_network`` (alias
``fixturekit_allow_network``), ``db`` (alias ``fixturekit_db``). Options:
``--fixturekit-seed``, ``--fixturekit-reuse-db``; ini options ``fixturekit_database_url``,
``fixturekit_schema``, ``fixturekit_strict``, ``fixturekit_freeze_time``,
``fixturekit_network_guard`` and
``fixturekit_allow_hosts``.

A test that uses none of the fixtures costs one hook before its setup (seeding
``random``) and a look at its reports; markers are found once, after collection, and the
network and database guards' hooks are registered only when they are configured.
"""

from __future__ import annotations

import pytest

from fixturekit.pytest_plugin import _database, _network, _seed

# pytest reads fixtures and hooks off this module: the names below are re-exported.
from fixturekit.pytest_plugin._database import db_sandbox as db_sandbox
from fixturekit.pytest_plugin._database import db_session as db_session
from fixturekit.pytest_plugin._database import fixturekit_database as fixturekit_database
from fixturekit.pytest_plugin._database import fixturekit_db_access as fixturekit_db_access
from fixturekit.pytest_plugin._fixtures import clock as clock
from fixturekit.pytest_plugin._fixtures import fixturekit_seed as fixturekit_seed
from fixturekit.pytest_plugin._fixtures import harness as harness
from fixturekit.pytest_plugin._fixtures import http as http
from fixturekit.pytest_plugin._fixtures import http_mock as http_mock
from fixturekit.pytest_plugin._fixtures import job_queue as job_queue
from fixturekit.pytest_plugin._fixtures import mailer as mailer
from fixturekit.pytest_plugin._fixtures import payments as payments
from fixturekit.pytest_plugin._fixtures import queue as queue
from fixturekit.pytest_plugin._fixtures import start_clocks_for_markers
from fixturekit.pytest_plugin._fixtures import tokens as tokens
from fixturekit.pytest_plugin._inicheck import check_ini
from fixturekit.pytest_plugin._network import network_guard as network_guard
from fixturekit.pytest_plugin._options import add_options, register_markers
from fixturekit.pytest_plugin._register import register_factory, register_fake
from fixturekit.pytest_plugin._seed import run_seed

__all__ = ["register_factory", "register_fake", "run_seed"]


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests() -> None:
    """Install the time trampolines before conftest.py (and the app it imports) loads,
    so that functions grabbed at import time (``default_factory=datetime.now``) follow
    clocks too."""
    from fixturekit.clock import install

    install()


def pytest_configure(config: pytest.Config) -> None:
    from fixturekit.clock import install

    install()  # again, for when the plugin was registered too late for the hook above
    register_markers(config)
    check_ini(config)
    _seed.configure(config)
    _network.configure(config)
    _database.configure(config)
    if config.pluginmanager.hasplugin("asyncio"):
        # The async fixtures need pytest-asyncio's decorator; loading them only when
        # pytest-asyncio runs keeps this plugin from importing it (and asyncio) itself.
        from fixturekit.pytest_plugin import _async_database

        if not config.pluginmanager.is_registered(_async_database):
            config.pluginmanager.register(_async_database, "fixturekit-asyncio")
    else:
        # Without it, asking for them says what to install rather than "not found".
        from fixturekit.pytest_plugin import _async_missing

        if not config.pluginmanager.is_registered(_async_missing):
            config.pluginmanager.register(_async_missing, "fixturekit-asyncio-missing")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Once per run, after other plugins filtered and marked the tests: the tests under
    a clock marker start the clock first; database fixtures get watched if used."""
    start_clocks_for_markers(items)
    _database.watch_database_fixtures(config, items)
