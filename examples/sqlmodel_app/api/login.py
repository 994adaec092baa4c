"""Login (a JWT signed with the app's SECRET_KEY) and password recovery."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, HTTPException

from sqlmodel_app import crud
from sqlmodel_app.api.deps import CurrentUser, SessionDep
from sqlmodel_app.config import settings
from sqlmodel_app.emails import (
    generate_password_reset_token,
    send_reset_password_email,
    verify_password_reset_token,
)
from sqlmodel_app.models import LoginForm, Message, NewPassword, Token, UserPublic
from sqlmodel_app.security import create_access_token, get_password_hash

router = APIRouter(tags=["login"])


@router.post("/login/access-token")
def login_access_token(session: SessionDep, form: LoginForm) -> Token:
    user = crud.authenticate(session=session, email=form.username, password=form.password)
    if user is None:
        raise HTTPException(status_code=400, detail="Incorrect email or password")
    if not user.is_active:
        raise HTTPException(status_code=400, detail="Inactive user")
    expires = timedelta(minutes=settings.ACCESS_TOKEN_EXPIRE_MINUTES)
    return Token(access_token=create_access_token(str(user.id), expires_delta=expires))


@router.post("/login/test-token", response_model=UserPublic)
def test_token(current_user: CurrentUser) -> object:
    return current_user


@router.post("/password-recovery/{email}")
def recover_password(email: str, session: SessionDep) -> Message:
    user = crud.get_user_by_email(session=session, email=email)
    if user is not None:  # the same answer either way: no probing for accounts
        token = generate_password_reset_token(email=email)
        send_reset_password_email(email_to=user.email, token=token)
    return Message(message="If that email is registered, we sent a password recovery link")


@router.post("/reset-password/")
def reset_password(session: SessionDep, body: NewPassword) -> Message:
    email = verify_password_reset_token(token=body.token)
    user = crud.get_user_by_email(session=session, email=email) if email else None
    if user is None:
        raise HTTPException(status_code=400, detail="Invalid token")
    user.hashed_password = get_password_hash(body.new_password)
    session.add(user)
    session.commit()
    return Message(message="Password updated successfully")
