"""FakePayments: a stateful, in-memory Stripe the official SDK can talk to over HTTP.

```python
from fixturekit.payments import FakePayments

payments = FakePayments()
intent = payments.create_payment_intent(
    amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True
)
payments.assert_charged(amount=2000, currency="usd")
```
"""

from __future__ import annotations

from fixturekit.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    CardError,
    IdempotencyError,
    InvalidRequestError,
    PaymentsError,
    RateLimitError,
)
from fixturekit.payments._core import FAILURES
from fixturekit.payments._fake import FakePayments
from fixturekit.payments._objects import API_VERSION, PaymentsObject
from fixturekit.payments._testcards import TEST_CARDS, TestCard
from fixturekit.payments._webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "API_VERSION",
    "FAILURES",
    "TEST_CARDS",
    "APIConnectionError",
    "APIError",
    "AuthenticationError",
    "CardError",
    "FakePayments",
    "IdempotencyError",
    "InvalidRequestError",
    "PaymentsError",
    "PaymentsObject",
    "RateLimitError",
    "TestCard",
    "WebhookDelivery",
    "WebhookEndpoint",
]
