"""The transactional database sandbox.

```python
from fixturekit.db import TestDatabase

with TestDatabase("sqlite://", schema=Base.metadata) as db:
    with db.sandbox() as sandbox:
        session = sandbox.session()
        session.add(User(name="ada"))
        session.commit()        # a savepoint: rolled back when the sandbox exits
```

Importing this package imports SQLAlchemy; ``import fixturekit`` does not.
"""

from __future__ import annotations

from fixturekit.db._alembic import Alembic
from fixturekit.db._async_sandbox import AsyncDatabaseSandbox
from fixturekit.db._database import Schema, TestDatabase
from fixturekit.db._sandbox import DatabaseSandbox
from fixturekit.errors import (
    MissingDriverError,
    SandboxError,
    SandboxEscapeError,
    UnsafeDatabaseError,
)

__all__ = [
    "Alembic",
    "AsyncDatabaseSandbox",
    "DatabaseSandbox",
    "MissingDriverError",
    "SandboxError",
    "SandboxEscapeError",
    "Schema",
    "TestDatabase",
    "UnsafeDatabaseError",
]
