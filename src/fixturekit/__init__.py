"""fixturekit: building blocks for backend test suites.

Everything public is listed in ``__all__`` and imported on first use, so
``import fixturekit`` stays cheap: it loads none of the libraries the blocks use.
"""

from __future__ import annotations

from fixturekit._internal.lazy import lazy_names
from fixturekit._version import __version__

# Not ``typing.TYPE_CHECKING``: importing typing would triple this module's import cost.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from fixturekit._internal.seed import seed
    from fixturekit.clock import Clock, Timer
    from fixturekit.db import (
        Alembic,
        AsyncDatabaseSandbox,
        DatabaseSandbox,
        SandboxError,
        SandboxEscapeError,
        TestDatabase,
        UnsafeDatabaseError,
    )
    from fixturekit.errors import NetworkBlocked
    from fixturekit.factories import (
        Factory,
        FactoryError,
        Faker,
        Lazy,
        RelatedList,
        Sequence,
        SubFactory,
        Traits,
        post_build,
    )
    from fixturekit.harness import Event, Fake, Harness, Timeline
    from fixturekit.http import FakeHTTP, NetworkGuard
    from fixturekit.mail import FakeMailer, SentMail
    from fixturekit.payments import FakePayments
    from fixturekit.queue import FakeQueue, Job, JobFailed, PayloadError, RunawayJobsError
    from fixturekit.tokens import TokenMinter

__all__ = [
    "Alembic",
    "AsyncDatabaseSandbox",
    "Clock",
    "DatabaseSandbox",
    "Event",
    "Factory",
    "FactoryError",
    "Fake",
    "FakeHTTP",
    "FakeMailer",
    "FakePayments",
    "FakeQueue",
    "Faker",
    "Harness",
    "Job",
    "JobFailed",
    "Lazy",
    "NetworkBlocked",
    "NetworkGuard",
    "PayloadError",
    "RelatedList",
    "RunawayJobsError",
    "SandboxError",
    "SandboxEscapeError",
    "SentMail",
    "Sequence",
    "SubFactory",
    "TestDatabase",
    "Timeline",
    "Timer",
    "TokenMinter",
    "Traits",
    "UnsafeDatabaseError",
    "__version__",
    "post_build",
    "seed",
]

_LAZY = {
    "NetworkBlocked": "fixturekit.errors",
    "NetworkGuard": "fixturekit.http",
    "seed": "fixturekit._internal.seed",
    "Clock": "fixturekit.clock",
    "Timer": "fixturekit.clock",
    "Alembic": "fixturekit.db",
    "AsyncDatabaseSandbox": "fixturekit.db",
    "DatabaseSandbox": "fixturekit.db",
    "SandboxError": "fixturekit.db",
    "SandboxEscapeError": "fixturekit.db",
    "TestDatabase": "fixturekit.db",
    "UnsafeDatabaseError": "fixturekit.db",
    "Factory": "fixturekit.factories",
    "FactoryError": "fixturekit.factories",
    "Faker": "fixturekit.factories",
    "Lazy": "fixturekit.factories",
    "RelatedList": "fixturekit.factories",
    "Sequence": "fixturekit.factories",
    "SubFactory": "fixturekit.factories",
    "Traits": "fixturekit.factories",
    "post_build": "fixturekit.factories",
    "Event": "fixturekit.harness",
    "Fake": "fixturekit.harness",
    "Harness": "fixturekit.harness",
    "Timeline": "fixturekit.harness",
    "FakeHTTP": "fixturekit.http",
    "FakeMailer": "fixturekit.mail",
    "SentMail": "fixturekit.mail",
    "FakePayments": "fixturekit.payments",
    "FakeQueue": "fixturekit.queue",
    "Job": "fixturekit.queue",
    "JobFailed": "fixturekit.queue",
    "PayloadError": "fixturekit.queue",
    "RunawayJobsError": "fixturekit.queue",
    "TokenMinter": "fixturekit.tokens",
}


__getattr__, __dir__ = lazy_names("fixturekit", _LAZY, globals(), __all__)
