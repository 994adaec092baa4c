from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlmodel import Session

from sqlmodel_app.models import Item
from sqlmodel_app.tests.utils import ItemFactory, UserFactory, UserWithItemsFactory

ITEMS = "/api/v1/items/"
Headers = dict[str, str]


def my_id(client: TestClient, headers: Headers) -> str:
    return str(client.get("/api/v1/users/me", headers=headers).json()["id"])


def test_create_read_update_delete(client: TestClient, normal_user_token_headers: Headers) -> None:
    headers = normal_user_token_headers
    created = client.post(ITEMS, json={"title": "Foo", "description": "Fighters"}, headers=headers)
    assert created.status_code == 200
    item = created.json()
    assert item["owner_id"] == my_id(client, headers)
    assert client.get(f"{ITEMS}{item['id']}", headers=headers).json()["title"] == "Foo"
    updated = client.put(f"{ITEMS}{item['id']}", json={"title": "Bar"}, headers=headers).json()
    assert (updated["title"], updated["description"]) == ("Bar", "Fighters")
    assert client.delete(f"{ITEMS}{item['id']}", headers=headers).status_code == 200
    assert client.get(f"{ITEMS}{item['id']}", headers=headers).status_code == 404


def test_each_user_lists_their_own(
    client: TestClient, normal_user_token_headers: Headers, superuser_token_headers: Headers
) -> None:
    UserWithItemsFactory.create()  # someone else's two items
    for title in ("b", "a"):
        client.post(ITEMS, json={"title": title}, headers=normal_user_token_headers)
    mine = client.get(ITEMS, headers=normal_user_token_headers).json()
    assert (mine["count"], [item["title"] for item in mine["data"]]) == (2, ["a", "b"])
    assert client.get(ITEMS, headers=superuser_token_headers).json()["count"] == 4


def test_the_previous_tests_items_are_gone(
    client: TestClient, normal_user_token_headers: Headers
) -> None:
    assert client.get(ITEMS, headers=normal_user_token_headers).json() == {"data": [], "count": 0}


def test_someone_elses_item_is_out_of_reach(
    client: TestClient,
    normal_user_token_headers: Headers,
    superuser_token_headers: Headers,
    db_session: Session,
) -> None:
    item = ItemFactory.create(owner=UserFactory.create())
    url = f"{ITEMS}{item.id}"
    assert client.get(url, headers=normal_user_token_headers).status_code == 400
    assert (
        client.put(url, json={"title": "x"}, headers=normal_user_token_headers).status_code == 400
    )
    assert client.delete(url, headers=normal_user_token_headers).status_code == 400
    assert client.get(url, headers=superuser_token_headers).json()["title"] == item.title
    db_session.expire_all()
    assert db_session.get(Item, item.id) is not None


def test_an_unknown_item_is_404(client: TestClient, normal_user_token_headers: Headers) -> None:
    assert (
        client.get(f"{ITEMS}{uuid.uuid4()}", headers=normal_user_token_headers).status_code == 404
    )


def test_an_item_needs_a_title(client: TestClient, normal_user_token_headers: Headers) -> None:
    assert (
        client.post(ITEMS, json={"title": ""}, headers=normal_user_token_headers).status_code == 422
    )
