from __future__ import annotations

# In-process runs (inner_pytest.run_inprocess) drop the modules a run imported when it
# ends. fixturekit's modules are imported here, once, so that every inner run shares
# one Clock class, one Fake class and one process-wide time patch with this process.
import fixturekit._internal.seed
import fixturekit.clock
import fixturekit.clock._timepatch
import fixturekit.harness
import fixturekit.mail
import fixturekit.queue  # noqa: F401
