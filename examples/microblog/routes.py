"""The JSON views: sign-up, posts, and the password reset."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from microblog import db
from microblog.email import send_password_reset_email
from microblog.models import Post, User

bp = Blueprint("microblog", __name__)


def _json() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="send a JSON object")
    return data


def _authenticated() -> User:
    auth = request.authorization
    if auth is None or auth.username is None or auth.password is None:
        abort(401)
    user = db.session.scalar(select(User).where(User.username == auth.username))
    if user is None or not user.check_password(auth.password):
        abort(401)
    return user


@bp.post("/users")
def register() -> tuple[dict[str, Any], int]:
    data = _json()
    user = User(username=str(data["username"]), email=str(data["email"]))
    user.set_password(str(data["password"]))
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        abort(409, description="that username or email is taken")
    return {"id": user.id, "username": user.username}, 201


@bp.post("/posts")
def write_post() -> tuple[dict[str, Any], int]:
    author = _authenticated()
    post = Post(body=str(_json()["body"]), author=author)
    db.session.add(post)
    db.session.commit()
    return {"id": post.id, "body": post.body}, 201


@bp.get("/users/<username>/posts")
def user_posts(username: str) -> list[str]:
    user = db.first_or_404(select(User).where(User.username == username))
    query = user.posts.select().order_by(Post.timestamp.desc(), Post.id.desc())
    return [post.body for post in db.session.scalars(query)]


@bp.post("/reset_password_request")
def reset_password_request() -> tuple[dict[str, Any], int]:
    email = str(_json()["email"])
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None:
        token = user.get_token(expires_in=current_app.config["RESET_TOKEN_SECONDS"])
        db.session.commit()
        send_password_reset_email(user, token)
    # The same answer either way: it does not tell who has an account.
    return {"message": "check your email for the instructions"}, 202


@bp.post("/reset_password/<token>")
def reset_password(token: str) -> dict[str, Any]:
    user = User.check_token(token)
    if user is None:
        abort(400, description="the reset link is invalid or has expired")
    user.set_password(str(_json()["password"]))
    user.revoke_token()
    db.session.commit()
    return {"message": "your password has been reset"}
