"""What the tests share: factories for the app's tables, its tokens, and logging in."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

import fixturekit as fk
from sqlmodel_app.config import settings
from sqlmodel_app.models import Item, User
from sqlmodel_app.security import get_password_hash

#: The app's alembic config: its migrations/env.py reads the URL from the app's settings.
ALEMBIC_INI = Path(__file__).parents[1] / "alembic.ini"

PASSWORD = "correct horse battery"
_HASHED = get_password_hash(PASSWORD)  # hashed once: every made user logs in with PASSWORD

#: Tokens as the app signs them: HS256 with its SECRET_KEY, no audience, no issuer.
tokens = fk.TokenMinter(secret=settings.SECRET_KEY, algorithm="HS256", audience=None, issuer=None)


class ItemFactory(fk.Factory[Item]):
    pass


class UserFactory(fk.Factory[User]):
    hashed_password = _HASHED
    is_active = True
    is_superuser = False


class UserWithItemsFactory(UserFactory):
    items = fk.RelatedList(ItemFactory, size=2)


def log_in(client: TestClient, email: str, password: str) -> dict[str, str]:
    """Log in through the app's login route; the headers that carry its token."""
    response = client.post(
        "/api/v1/login/access-token", json={"username": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
