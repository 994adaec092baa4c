"""Fake, Timeline and Harness: what every fake, ours and yours, stands on.

```python
import fixturekit as fk

class FakeSMS(fk.Fake):
    name = "sms"

    def reset(self) -> None:
        self.sent = []

    def send(self, to: str, body: str) -> None:
        self.sent.append((to, body))
        self.record(f"sms to {to}: {body}")

with fk.Harness(clock=fk.Clock("2024-01-01"), fakes=[FakeSMS()]) as h:
    h["sms"].send("+15550100", "hi")
    print(h.timeline)
```
"""

from __future__ import annotations

from fixturekit.harness._fake import RESERVED_NAMES, Fake, check_fake_name
from fixturekit.harness._harness import Harness
from fixturekit.harness._serving import ServingFake
from fixturekit.harness._timeline import Event, Timeline

__all__ = [
    "RESERVED_NAMES",
    "Event",
    "Fake",
    "Harness",
    "ServingFake",
    "Timeline",
    "check_fake_name",
]
