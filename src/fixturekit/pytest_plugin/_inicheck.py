"""The plugin's ini options, checked once at startup: a value that does not parse stops
the run with a usage error naming the option, before any test runs."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys

import pytest

__all__ = ["check_ini"]

#: The ini options of type bool.
_BOOL_OPTIONS = ("fixturekit_strict", "fixturekit_freeze_time", "fixturekit_network_guard")


def _usage(option: str, value: object, problem: str) -> pytest.UsageError:
    return pytest.UsageError(f"fixturekit ini option {option} = {value!s}: {problem}")


def _check_bool(config: pytest.Config, option: str) -> None:
    try:
        config.getini(option)
    except (ValueError, pytest.UsageError) as error:
        raise pytest.UsageError(
            f"fixturekit ini option {option}: {error}; write true or false (or leave it out)"
        ) from None


def _check_url(url: str) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(url)
    except (ArgumentError, ValueError) as error:
        raise _usage(
            "fixturekit_database_url",
            url,
            f"not a database URL ({error}); write one such as postgresql://localhost/app, "
            "mysql://root@127.0.0.1/app or sqlite:///app.db",
        ) from None


def _check_schema(config: pytest.Config, spec: str) -> None:
    if spec.split()[:1] == ["alembic"]:
        return
    module_name, colon, attribute = spec.partition(":")
    if not colon or not module_name.strip() or not attribute.strip():
        return  # the fixture explains the 'package.module:attribute' form when it loads it
    top = module_name.strip().split(".", 1)[0]
    # Where the module may come from once tests are collected, without importing it.
    places = [str(config.rootpath), str(config.invocation_params.dir)]
    if config.inipath is not None:
        places.append(str(config.inipath.parent))
    if top in sys.modules or importlib.machinery.PathFinder.find_spec(top, [*places, *sys.path]):
        return
    if importlib.util.find_spec(top) is None:
        raise _usage(
            "fixturekit_schema",
            spec,
            f"no module named {top!r} (is the project importable from the rootdir? set "
            "pytest's pythonpath ini option if not)",
        )


def check_ini(config: pytest.Config) -> None:
    """Raise `pytest.UsageError` for the first fixturekit ini value that does not parse."""
    for option in _BOOL_OPTIONS:
        _check_bool(config, option)
    url = config.getini("fixturekit_database_url")
    if url:
        _check_url(url)
    spec = config.getini("fixturekit_schema").strip()
    if spec:
        _check_schema(config, spec)
