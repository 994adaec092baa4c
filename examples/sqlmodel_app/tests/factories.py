"""Factories for the app's SQLModel tables."""

from __future__ import annotations

import fixturekit as fk
from sqlmodel_app.models import Item, User
from sqlmodel_app.security import get_password_hash

PASSWORD = "correct horse battery"
_HASHED = get_password_hash(PASSWORD)  # hashed once: every made user logs in with PASSWORD


class ItemFactory(fk.Factory[Item]):
    pass


class UserFactory(fk.Factory[User]):
    hashed_password = _HASHED
    is_active = True
    is_superuser = False


class UserWithItemsFactory(UserFactory):
    items = fk.RelatedList(ItemFactory, size=2)
