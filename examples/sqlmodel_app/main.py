"""The FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from sqlmodel_app.api import items, login, users

app = FastAPI(title="sqlmodel_app")
for router in (login.router, users.router, items.router):
    app.include_router(router, prefix="/api/v1")
