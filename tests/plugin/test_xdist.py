from __future__ import annotations

import json
import re

import pytest

from fixturekit._internal.seed import derive_seed


def test_xdist_workers_share_the_controllers_run_seed(
    pt: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = pt.path / "seeds.jsonl"
    monkeypatch.setenv("RECORD_TO", str(record))
    pt.makepyfile(
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
    result = pt.runpytest_subprocess("-p", "xdist", "-n", "2")
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
    pt.runpytest_subprocess(f"--fixturekit-seed={run_seed}").assert_outcomes(passed=7, failed=1)
    again = {
        nodeid: value for _, nodeid, _, value in map(json.loads, record.read_text().splitlines())
    }
    assert again == {nodeid: value for _, nodeid, _, value in rows}
