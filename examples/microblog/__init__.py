"""A microblog in the style of the Flask mega-tutorial, on Flask-SQLAlchemy 3.

Users sign up with a hashed password, write posts, and reset a forgotten password
through a token stored on their row with an expiry, mailed from a background thread.
Nothing in it knows about tests.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL", "sqlite:///microblog.db"),
        MAIL_SERVER=os.environ.get("MAIL_SERVER", "localhost"),
        MAIL_PORT=int(os.environ.get("MAIL_PORT", "25")),
        MAIL_SENDER="no-reply@microblog.example",
        RESET_TOKEN_SECONDS=600,
    )
    app.config.update(config or {})
    db.init_app(app)

    from microblog import routes

    app.register_blueprint(routes.bp)
    return app
