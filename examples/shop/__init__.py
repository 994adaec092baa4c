"""shop: a small order-and-trial service, the example app fixturekit's examples test.

``shop.services`` is the plain-Python service layer (SQLAlchemy 2 ORM),
``shop.api`` the FastAPI app on top of it, ``shop.auth`` its bearer-token checks,
``shop.db`` the engine and the ``SessionLocal`` session factory the app owns.
"""

from __future__ import annotations
