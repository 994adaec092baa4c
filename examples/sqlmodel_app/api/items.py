"""Items: each user's own; superusers see and change everyone's."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException
from sqlmodel import col, func, select

from sqlmodel_app import crud
from sqlmodel_app.api.deps import CurrentUser, SessionDep
from sqlmodel_app.models import Item, ItemCreate, ItemPublic, ItemsPublic, ItemUpdate, Message

router = APIRouter(prefix="/items", tags=["items"])


@router.get("/", response_model=ItemsPublic)
def read_items(
    session: SessionDep, current_user: CurrentUser, skip: int = 0, limit: int = 100
) -> object:
    count_query = select(func.count()).select_from(Item)
    query = select(Item).order_by(col(Item.title))
    if not current_user.is_superuser:
        count_query = count_query.where(Item.owner_id == current_user.id)
        query = query.where(Item.owner_id == current_user.id)
    count = session.exec(count_query).one()
    items = session.exec(query.offset(skip).limit(limit)).all()
    return ItemsPublic(data=[ItemPublic.model_validate(item) for item in items], count=count)


def _own_item(session: SessionDep, current_user: CurrentUser, item_id: uuid.UUID) -> Item:
    item = session.get(Item, item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="Item not found")
    if not current_user.is_superuser and item.owner_id != current_user.id:
        raise HTTPException(status_code=400, detail="Not enough permissions")
    return item


@router.get("/{item_id}", response_model=ItemPublic)
def read_item(session: SessionDep, current_user: CurrentUser, item_id: uuid.UUID) -> object:
    return _own_item(session, current_user, item_id)


@router.post("/", response_model=ItemPublic)
def create_item(session: SessionDep, current_user: CurrentUser, item_in: ItemCreate) -> object:
    return crud.create_item(session=session, item_in=item_in, owner_id=current_user.id)


@router.put("/{item_id}", response_model=ItemPublic)
def update_item(
    session: SessionDep, current_user: CurrentUser, item_id: uuid.UUID, item_in: ItemUpdate
) -> object:
    item = _own_item(session, current_user, item_id)
    item.sqlmodel_update(item_in.model_dump(exclude_unset=True))
    session.add(item)
    session.commit()
    session.refresh(item)
    return item


@router.delete("/{item_id}")
def delete_item(session: SessionDep, current_user: CurrentUser, item_id: uuid.UUID) -> Message:
    session.delete(_own_item(session, current_user, item_id))
    session.commit()
    return Message(message="Item deleted successfully")
