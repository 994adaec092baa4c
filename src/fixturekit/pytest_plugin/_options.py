"""The plugin's command-line options, ini settings and markers."""

from __future__ import annotations

import argparse

import pytest

__all__ = [
    "CLOCK_MARKERS",
    "DB_MARKERS",
    "DEFAULT_ALLOWED_HOSTS",
    "NETWORK_MARKERS",
    "add_options",
    "freeze_time_setting",
    "register_markers",
    "strict_setting",
]

#: The markers that configure the ``clock`` fixture, the short one first.
CLOCK_MARKERS = ("clock", "fixturekit_clock")
#: The markers that allow the network for one test, the short one first.
NETWORK_MARKERS = ("allow_network", "fixturekit_allow_network")
#: The markers that let a test use the fixturekit database without a database fixture.
DB_MARKERS = ("fixturekit_db", "db")
#: What ``fixturekit_allow_hosts`` holds when it is not set.
DEFAULT_ALLOWED_HOSTS = ("127.0.0.1", "::1", "localhost")


def _seed_option(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"expected a whole number >= 0 such as 1234, got {text!r}; "
            "copy the seed from the 'fixturekit: run seed' header line"
        )
    return value


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("fixturekit")
    group.addoption(
        "--fixturekit-seed",
        dest="fixturekit_seed",
        type=_seed_option,
        default=None,
        metavar="N",
        help="run seed for random, Faker and fixturekit's factories (an int >= 0); "
        "each test is seeded from it and its node id. Default: a new random seed per run.",
    )
    group.addoption(
        "--fixturekit-reuse-db",
        dest="fixturekit_reuse_db",
        action="store_true",
        default=False,
        help="keep the fixturekit_database test database after the run and reuse it in the "
        "next one while its schema is unchanged (TestDatabase(keep=True))",
    )
    parser.addini(
        "fixturekit_database_url",
        default="",
        help="URL the fixturekit_database fixture derives its test database from "
        "(e.g. postgresql://localhost/app -> app_test)",
    )
    parser.addini(
        "fixturekit_schema",
        default="",
        help="schema for fixturekit_database, as 'package.module:Base.metadata' "
        "(MetaData or a callable receiving a Connection), or 'alembic' (alembic upgrade "
        "head with the rootdir's alembic.ini; 'alembic path/to/alembic.ini' for another)",
    )
    parser.addini(
        "fixturekit_session_class",
        default="",
        help="class of fixturekit_database's sessions (db_session), as "
        "'package.module:Class', a Session subclass; default sqlmodel.Session for "
        "SQLModel.metadata, else SQLAlchemy's Session",
    )
    parser.addini(
        "fixturekit_seed_data",
        default="",
        help="function given a Session, run once after fixturekit_database's schema and "
        "committed (baseline data every test sees), as 'package.module:function'",
    )
    parser.addini(
        "fixturekit_strict",
        type="bool",
        default=None,
        help="strict=... for every fake fixture that has a strict mode (mailer, queue, "
        "http, payments, registered fakes): true fails a passing test whose fakes hold "
        "mail, jobs, charges or routes no assertion looked at; false turns that off, for "
        "http too. Unset: each fake's own default (http strict, the others not).",
    )
    parser.addini(
        "fixturekit_freeze_time",
        type="bool",
        default=False,
        help="run every test that uses the harness or a fake fixture under the `clock` "
        "fixture, so the process's time is frozen as if the test asked for `clock`. "
        "Default: false (fakes then share a clock that does not patch time).",
    )
    parser.addini(
        "fixturekit_network_guard",
        type="bool",
        default=False,
        help="refuse every socket connection a test makes to a host outside "
        "fixturekit_allow_hosts (fixturekit.NetworkGuard around each test's setup, call "
        "and teardown); @pytest.mark.allow_network lifts it for one test. Default: false.",
    )
    parser.addini(
        "fixturekit_allow_hosts",
        type="linelist",
        default=list(DEFAULT_ALLOWED_HOSTS),
        help="the hosts (names, addresses, networks such as 10.0.0.0/8) tests may reach "
        "while the network guard is on. Default: 127.0.0.1 ::1 localhost.",
    )


def register_markers(config: pytest.Config) -> None:
    for name in CLOCK_MARKERS:
        config.addinivalue_line(
            "markers",
            f"{name}(start=None, *, tick=False, patch=True): run the test under a "
            "fixturekit.Clock started at `start` (ISO 8601 string, date, datetime or "
            "timestamp; default: now); it is also what the `clock` fixture returns. "
            "loop=True also runs an async test's event loop on the clock (pytest-asyncio); "
            "monotonic=True makes time.monotonic/perf_counter follow it.",
        )
    for name in NETWORK_MARKERS:
        config.addinivalue_line(
            "markers",
            f"{name}(*hosts): with no argument, the test may use the network (the "
            "fixturekit network guard is off for it); with hosts, it may reach those hosts "
            "as well as fixturekit_allow_hosts.",
        )
    for name in DB_MARKERS:
        config.addinivalue_line(
            "markers",
            f"{name}: the test uses the fixturekit test database on purpose without a "
            "database fixture (otherwise connecting to it fails the test once a "
            "fixturekit database is configured).",
        )


def strict_setting(config: pytest.Config) -> bool | None:
    """``fixturekit_strict``: True or False when the ini sets it, None when it does not
    (each fake keeps its own default)."""
    value = config.getini("fixturekit_strict")
    # pytest < 9 gives [] for an unset ini value whose default is None.
    return value if isinstance(value, bool) else None


def freeze_time_setting(config: pytest.Config) -> bool:
    """``fixturekit_freeze_time``: whether fake fixtures freeze time without asking."""
    return config.getini("fixturekit_freeze_time") is True
