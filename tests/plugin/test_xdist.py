from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from fixturekit._internal.seed import derive_seed

if TYPE_CHECKING:
    from tests.conftest import InnerPytest


@pytest.mark.slow
def test_xdist_workers_share_the_controllers_run_seed(
    inner_pytest: InnerPytest, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = inner_pytest.path / "seeds.jsonl"
    monkeypatch.setenv("RECORD_TO", str(record))
    inner_pytest.makepyfile(
        """
        import json
        import os
        import random

        import pytest

        @pytest.mark.parametrize("n", range(8))
        def test_record(request, fixturekit_seed, worker_id, n):
            line = [worker_id, request.node.nodeid, fixturekit_seed, random.random()]
            with open(os.environ["RECORD_TO"], "a") as f:
                f.write(json.dumps(line) + "\\n")
            assert n != 7, "fail one on purpose"
        """
    )
    # No --fixturekit-seed: the controller picks the run seed and hands it out.
    result = inner_pytest.run("-n", "2", plugins=["xdist"])
    result.assert_outcomes(passed=7, failed=1)
    match = re.search(r"fixturekit: run seed (\d+)", result.stdout.str())
    assert match is not None
    run_seed = int(match.group(1))
    rows = [json.loads(line) for line in record.read_text().splitlines()]
    assert {worker for worker, *_ in rows} == {"gw0", "gw1"}
    assert all(seed == derive_seed(run_seed, nodeid) for _, nodeid, seed, _ in rows)
    # The failure reported by a worker names the same run seed.
    result.stdout.fnmatch_lines(
        [f"rerun: pytest --fixturekit-seed={run_seed} '*test_record[[]7[]]'"]
    )

    # Rerunning with that seed without xdist gives every test the same values.
    record.unlink()
    inner_pytest.run(f"--fixturekit-seed={run_seed}", plugins=["xdist"]).assert_outcomes(
        passed=7, failed=1
    )
    again = {
        nodeid: value for _, nodeid, _, value in map(json.loads, record.read_text().splitlines())
    }
    assert again == {nodeid: value for _, nodeid, _, value in rows}
