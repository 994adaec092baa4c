"""Users: sign-up, one's own account, and the superusers' administration."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, HTTPException
from sqlmodel import col, delete, func, select

from sqlmodel_app import crud
from sqlmodel_app.api.deps import CurrentUser, SessionDep, get_current_active_superuser
from sqlmodel_app.models import (
    Item,
    Message,
    UpdatePassword,
    User,
    UserCreate,
    UserPublic,
    UserRegister,
    UsersPublic,
    UserUpdate,
    UserUpdateMe,
)
from sqlmodel_app.security import get_password_hash, verify_password

router = APIRouter(prefix="/users", tags=["users"])
superuser = [Depends(get_current_active_superuser)]


@router.get("/", dependencies=superuser, response_model=UsersPublic)
def read_users(session: SessionDep, skip: int = 0, limit: int = 100) -> object:
    count = session.exec(select(func.count()).select_from(User)).one()
    users = session.exec(select(User).order_by(col(User.email)).offset(skip).limit(limit)).all()
    return UsersPublic(data=[UserPublic.model_validate(user) for user in users], count=count)


@router.post("/", dependencies=superuser, response_model=UserPublic)
def create_user(session: SessionDep, user_in: UserCreate) -> object:
    if crud.get_user_by_email(session=session, email=user_in.email):
        raise HTTPException(status_code=400, detail="The user with this email already exists")
    return crud.create_user(session=session, user_create=user_in)


@router.get("/me", response_model=UserPublic)
def read_user_me(current_user: CurrentUser) -> object:
    return current_user


@router.patch("/me", response_model=UserPublic)
def update_user_me(session: SessionDep, user_in: UserUpdateMe, current_user: CurrentUser) -> object:
    if user_in.email:
        existing = crud.get_user_by_email(session=session, email=user_in.email)
        if existing and existing.id != current_user.id:
            raise HTTPException(status_code=409, detail="User with this email already exists")
    current_user.sqlmodel_update(user_in.model_dump(exclude_unset=True))
    session.add(current_user)
    session.commit()
    session.refresh(current_user)
    return current_user


@router.patch("/me/password")
def update_password_me(
    session: SessionDep, body: UpdatePassword, current_user: CurrentUser
) -> Message:
    if not verify_password(body.current_password, current_user.hashed_password):
        raise HTTPException(status_code=400, detail="Incorrect password")
    if body.current_password == body.new_password:
        raise HTTPException(
            status_code=400, detail="New password cannot be the same as the current one"
        )
    current_user.hashed_password = get_password_hash(body.new_password)
    session.add(current_user)
    session.commit()
    return Message(message="Password updated successfully")


@router.delete("/me")
def delete_user_me(session: SessionDep, current_user: CurrentUser) -> Message:
    if current_user.is_superuser:
        raise HTTPException(
            status_code=403, detail="Super users are not allowed to delete themselves"
        )
    session.delete(current_user)
    session.commit()
    return Message(message="User deleted successfully")


@router.post("/signup", response_model=UserPublic)
def register_user(session: SessionDep, user_in: UserRegister) -> object:
    if crud.get_user_by_email(session=session, email=user_in.email):
        raise HTTPException(
            status_code=400, detail="The user with this email already exists in the system"
        )
    return crud.create_user(session=session, user_create=UserCreate.model_validate(user_in))


@router.get("/{user_id}", response_model=UserPublic)
def read_user_by_id(user_id: uuid.UUID, session: SessionDep, current_user: CurrentUser) -> object:
    user = session.get(User, user_id)
    if user == current_user:
        return user
    if not current_user.is_superuser:
        raise HTTPException(status_code=403, detail="The user doesn't have enough privileges")
    if user is None:
        raise HTTPException(
            status_code=404, detail="The user with this id does not exist in the system"
        )
    return user


@router.patch("/{user_id}", dependencies=superuser, response_model=UserPublic)
def update_user(session: SessionDep, user_id: uuid.UUID, user_in: UserUpdate) -> object:
    db_user = session.get(User, user_id)
    if db_user is None:
        raise HTTPException(
            status_code=404, detail="The user with this id does not exist in the system"
        )
    if user_in.email:
        existing = crud.get_user_by_email(session=session, email=user_in.email)
        if existing and existing.id != user_id:
            raise HTTPException(status_code=409, detail="User with this email already exists")
    return crud.update_user(session=session, db_user=db_user, user_in=user_in)


@router.delete("/{user_id}", dependencies=superuser)
def delete_user(session: SessionDep, current_user: CurrentUser, user_id: uuid.UUID) -> Message:
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="User not found")
    if user == current_user:
        raise HTTPException(
            status_code=403, detail="Super users are not allowed to delete themselves"
        )
    session.exec(delete(Item).where(col(Item.owner_id) == user_id))
    session.delete(user)
    session.commit()
    return Message(message="User deleted successfully")
