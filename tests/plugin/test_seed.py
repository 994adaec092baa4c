from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from fixturekit._internal.seed import derive_seed

if TYPE_CHECKING:
    from tests.conftest import InnerPytest

RECORDING_TESTS = """
import json
import os
import random

import pytest


def _record(request, fixturekit_seed):
    line = json.dumps([request.node.nodeid, fixturekit_seed, random.random()])
    with open(os.environ["RECORD_TO"], "a") as f:
        f.write(line + "\\n")


def test_one(request, fixturekit_seed):
    _record(request, fixturekit_seed)


def test_two(request, fixturekit_seed):
    _record(request, fixturekit_seed)


@pytest.mark.parametrize("n", [1, 2])
def test_param(request, fixturekit_seed, n):
    _record(request, fixturekit_seed)
"""


def _run_and_read(
    inner_pytest: InnerPytest, monkeypatch: pytest.MonkeyPatch, name: str, *args: str
) -> dict[str, tuple[int, float]]:
    target = inner_pytest.path / f"{name}.jsonl"
    monkeypatch.setenv("RECORD_TO", str(target))
    inner_pytest.run_inprocess(*args).assert_outcomes(passed=4)
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    return {nodeid: (seed, value) for nodeid, seed, value in rows}


def test_run_seed_is_shown_in_the_header(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile("def test_ok(): pass")
    result = inner_pytest.run_inprocess("--fixturekit-seed=1234")
    result.stdout.fnmatch_lines(["fixturekit: run seed 1234 (rerun with --fixturekit-seed=1234)"])


def test_without_the_option_each_run_picks_a_seed(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile("def test_ok(): pass")
    seeds = set()
    for _ in range(3):
        out = inner_pytest.run_inprocess().stdout.str()
        match = re.search(r"fixturekit: run seed (\d+) \(rerun with --fixturekit-seed=\1\)", out)
        assert match is not None, out
        seeds.add(match.group(1))
    assert len(seeds) > 1


def test_each_test_gets_the_seed_derived_from_run_seed_and_node_id(
    inner_pytest: InnerPytest, monkeypatch: pytest.MonkeyPatch
) -> None:
    inner_pytest.makepyfile(test_rec=RECORDING_TESTS)
    seen = _run_and_read(inner_pytest, monkeypatch, "run", "--fixturekit-seed=77")
    assert {nodeid: seed for nodeid, (seed, _) in seen.items()} == {
        nodeid: derive_seed(77, nodeid)
        for nodeid in [
            "test_rec.py::test_one",
            "test_rec.py::test_two",
            "test_rec.py::test_param[1]",
            "test_rec.py::test_param[2]",
        ]
    }
    assert len({seed for seed, _ in seen.values()}) == 4
    assert len({value for _, value in seen.values()}) == 4


def test_same_run_seed_gives_the_same_random_values(
    inner_pytest: InnerPytest, monkeypatch: pytest.MonkeyPatch
) -> None:
    inner_pytest.makepyfile(test_rec=RECORDING_TESTS)
    first = _run_and_read(inner_pytest, monkeypatch, "first", "--fixturekit-seed=5")
    second = _run_and_read(inner_pytest, monkeypatch, "second", "--fixturekit-seed=5")
    other = _run_and_read(inner_pytest, monkeypatch, "other", "--fixturekit-seed=6")
    assert first == second
    assert all(first[nodeid] != other[nodeid] for nodeid in first)


def test_a_tests_values_do_not_depend_on_which_tests_ran_before(
    inner_pytest: InnerPytest, monkeypatch: pytest.MonkeyPatch
) -> None:
    inner_pytest.makepyfile(test_rec=RECORDING_TESTS)
    everything = _run_and_read(inner_pytest, monkeypatch, "all", "--fixturekit-seed=9")
    target = inner_pytest.path / "alone.jsonl"
    monkeypatch.setenv("RECORD_TO", str(target))
    inner_pytest.run_inprocess("--fixturekit-seed=9", "test_rec.py::test_two").assert_outcomes(
        passed=1
    )
    (row,) = [json.loads(line) for line in target.read_text().splitlines()]
    assert everything["test_rec.py::test_two"] == tuple(row[1:])


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", ""])
def test_bad_seed_option_is_a_usage_error(inner_pytest: InnerPytest, value: str) -> None:
    inner_pytest.makepyfile("def test_ok(): pass")
    result = inner_pytest.run_inprocess(f"--fixturekit-seed={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*argument --fixturekit-seed: expected a whole number >= 0 such as 1234, got {value!r}*"]
    )


def test_faker_is_seeded_too(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(
        """
        from faker import Faker

        def test_names(fixturekit_seed):
            name = Faker().name()
            Faker.seed(fixturekit_seed)
            assert Faker().name() == name
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=1)
