from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from sqlmodel_app.config import settings
from sqlmodel_app.models import Item, User
from sqlmodel_app.security import verify_password
from sqlmodel_app.tests.utils import PASSWORD, UserFactory, UserWithItemsFactory

USERS = "/api/v1/users/"
Headers = dict[str, str]


def test_me_is_the_module_user(client: TestClient, normal_user_token_headers: Headers) -> None:
    me = client.get(USERS + "me", headers=normal_user_token_headers).json()
    assert (me["is_superuser"], me["is_active"]) == (False, True)


def test_the_superuser_is_seeded(client: TestClient, superuser_token_headers: Headers) -> None:
    me = client.get(USERS + "me", headers=superuser_token_headers).json()
    assert (me["email"], me["is_superuser"]) == (settings.FIRST_SUPERUSER, True)


@pytest.mark.parametrize("attempt", [1, 2])
def test_signup_commits_and_each_test_starts_without_it(
    client: TestClient, db_session: Session, attempt: int
) -> None:
    body = {"email": "ada@example.com", "password": "s3cret-enough", "full_name": "Ada"}
    response = client.post(USERS + "signup", json=body)
    assert response.status_code == 200, response.text  # the second run too: rolled back
    user = db_session.exec(select(User).where(User.email == "ada@example.com")).one()
    assert user.full_name == "Ada"
    assert verify_password("s3cret-enough", user.hashed_password)


def test_signup_refuses_a_taken_email(client: TestClient) -> None:
    taken = UserFactory.create()
    body = {"email": taken.email, "password": "s3cret-enough"}
    assert client.post(USERS + "signup", json=body).status_code == 400


def test_the_superuser_creates_and_lists_users(
    client: TestClient, superuser_token_headers: Headers, db_session: Session
) -> None:
    before = client.get(USERS, headers=superuser_token_headers).json()["count"]
    body = {"email": "grace@example.com", "password": "s3cret-enough"}
    created = client.post(USERS, json=body, headers=superuser_token_headers)
    assert created.status_code == 200
    listing = client.get(USERS, headers=superuser_token_headers).json()
    assert listing["count"] == before + 1
    assert "grace@example.com" in [user["email"] for user in listing["data"]]


def test_a_normal_user_cannot_list_or_create(
    client: TestClient, normal_user_token_headers: Headers
) -> None:
    assert client.get(USERS, headers=normal_user_token_headers).status_code == 403
    body = {"email": "mallory@example.com", "password": "s3cret-enough"}
    assert client.post(USERS, json=body, headers=normal_user_token_headers).status_code == 403


def test_update_me_and_password(client: TestClient, normal_user_token_headers: Headers) -> None:
    response = client.patch(
        USERS + "me", json={"full_name": "New Name"}, headers=normal_user_token_headers
    )
    assert response.json()["full_name"] == "New Name"
    body = {"current_password": PASSWORD, "new_password": "another-password"}
    assert (
        client.patch(
            USERS + "me/password", json=body, headers=normal_user_token_headers
        ).status_code
        == 200
    )


def test_the_module_user_is_unchanged_by_the_previous_test(
    client: TestClient, normal_user_token_headers: Headers
) -> None:
    me = client.get(USERS + "me", headers=normal_user_token_headers).json()
    assert me["full_name"] != "New Name"


def test_update_me_refuses_a_taken_email(
    client: TestClient, normal_user_token_headers: Headers
) -> None:
    other = UserFactory.create()
    body = {"email": other.email}
    assert (
        client.patch(USERS + "me", json=body, headers=normal_user_token_headers).status_code == 409
    )


def test_the_superuser_deletes_a_user_and_their_items(
    client: TestClient, superuser_token_headers: Headers, db_session: Session
) -> None:
    user = UserWithItemsFactory.create()
    user_id = user.id
    assert [item.owner_id for item in user.items] == [user_id, user_id]
    response = client.delete(f"{USERS}{user_id}", headers=superuser_token_headers)
    assert response.status_code == 200
    db_session.expunge_all()
    assert db_session.get(User, user_id) is None
    assert db_session.exec(select(Item).where(Item.owner_id == user_id)).all() == []


def test_reading_another_user(
    client: TestClient, normal_user_token_headers: Headers, superuser_token_headers: Headers
) -> None:
    other = UserFactory.create()
    assert client.get(f"{USERS}{other.id}", headers=normal_user_token_headers).status_code == 403
    assert (
        client.get(f"{USERS}{other.id}", headers=superuser_token_headers).json()["email"]
        == other.email
    )
    assert client.get(f"{USERS}{uuid.uuid4()}", headers=superuser_token_headers).status_code == 404


def test_a_superuser_may_not_delete_themselves(
    client: TestClient, superuser_token_headers: Headers
) -> None:
    assert client.delete(USERS + "me", headers=superuser_token_headers).status_code == 403
