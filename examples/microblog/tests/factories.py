"""Factories for the microblog's models: declared fields only, the rest inferred."""

from __future__ import annotations

from typing import Any

import fixturekit as fk
from microblog.models import Post, User


class UserFactory(fk.Factory[User]):
    """A user; ``password="..."`` sets a password the app accepts."""

    username = fk.Sequence(lambda n: f"user{n}")
    email = fk.Lazy(lambda user: f"{user.username}@example.com")

    @fk.post_build
    def password(user: User, value: Any, session: Any) -> None:
        if value is not None:
            user.set_password(value)


class PostFactory(fk.Factory[Post]):
    pass
