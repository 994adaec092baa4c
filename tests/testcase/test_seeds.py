from __future__ import annotations

import random
from typing import Any

import pytest

from fixturekit._internal.seed import derive_seed
from fixturekit.testcase import HarnessTestCase, run_seed

from ._running import run_tests


def _recording_case(record: list[Any]) -> type[HarnessTestCase]:
    class Case(HarnessTestCase):
        def test_a(self) -> None:
            record.append((self.id(), self.fixturekit_seed, random.random()))

        def test_b(self) -> None:
            record.append((self.id(), self.fixturekit_seed, random.random()))

    return Case


def test_seed_env_var_fixes_every_tests_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIXTUREKIT_SEED", "1234")
    first: list[Any] = []
    case_cls = _recording_case(first)
    run_tests(case_cls("test_a"), case_cls("test_b"))
    assert [seed for _, seed, _ in first] == [derive_seed(1234, test_id) for test_id, _, _ in first]
    assert first[0][1] != first[1][1]

    again: list[Any] = []
    case_cls = _recording_case(again)
    run_tests(case_cls("test_b"), case_cls("test_a"))  # other order, same values
    assert sorted(again) == sorted(first)


def test_without_env_var_the_process_keeps_one_random_run_seed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FIXTUREKIT_SEED", raising=False)
    assert run_seed() == run_seed()
    record: list[Any] = []
    case_cls = _recording_case(record)
    run_tests(case_cls("test_a"))
    ((test_id, seed, _),) = record
    assert seed == derive_seed(run_seed(), test_id)


@pytest.mark.parametrize("value", ["abc", "-3"])
def test_bad_seed_env_var_errors_naming_it(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("FIXTUREKIT_SEED", value)
    record: list[Any] = []
    outcome = run_tests(_recording_case(record)("test_a"))
    ((_, trace),) = outcome.result.errors
    assert f"FIXTUREKIT_SEED={value!r} is not a whole number >= 0" in trace
    assert record == []
