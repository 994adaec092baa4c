"""The time controller every fixturekit block shares: `Clock` and its `Timer`.

```python
import fixturekit as fk

with fk.Clock("2024-01-01T09:00:00Z") as clock:
    clock.call_later(60, send_reminder)
    clock.advance(minutes=5)        # send_reminder runs at 09:01, seeing 09:01
```
"""

from __future__ import annotations

from fixturekit.clock._clock import Clock, TimeLike, Timer, install, to_delta, to_utc

__all__ = ["Clock", "TimeLike", "Timer", "install", "to_delta", "to_utc"]
