from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

# The shared models live next to this file (the suite has no packages).
sys.path.insert(0, str(Path(__file__).parent))

from factory_models import Base


@pytest.fixture
def session() -> Iterator[Session]:
    """A plain SQLite session (no sandbox), rolled back at the end."""
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        yield s
    engine.dispose()
