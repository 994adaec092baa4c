from __future__ import annotations

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from fixturekit.mail import FakeMailer
from sqlmodel_app.config import settings
from sqlmodel_app.models import User
from sqlmodel_app.security import verify_password
from sqlmodel_app.tests.utils import PASSWORD, UserFactory, tokens

LOGIN = "/api/v1/login/access-token"


def test_login_returns_a_token_signed_with_the_secret_key(client: TestClient) -> None:
    login = {"username": settings.FIRST_SUPERUSER, "password": settings.FIRST_SUPERUSER_PASSWORD}
    response = client.post(LOGIN, json=login)
    assert response.status_code == 200
    token = response.json()["access_token"]
    claims = jwt.decode(token, settings.SECRET_KEY, algorithms=["HS256"])
    assert claims["sub"] == superuser_id_of(client, token)


def superuser_id_of(client: TestClient, token: str) -> str:
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["email"] == settings.FIRST_SUPERUSER
    return str(me.json()["id"])


def test_a_wrong_password_is_refused(client: TestClient) -> None:
    login = {"username": settings.FIRST_SUPERUSER, "password": "not the password"}
    response = client.post(LOGIN, json=login)
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "Incorrect email or password"},
    )


def test_a_made_user_logs_in(client: TestClient) -> None:
    user = UserFactory.create()
    response = client.post(LOGIN, json={"username": user.email, "password": PASSWORD})
    assert response.status_code == 200


def test_an_inactive_user_cannot_log_in(client: TestClient) -> None:
    user = UserFactory.create(is_active=False)
    response = client.post(LOGIN, json={"username": user.email, "password": PASSWORD})
    assert response.json() == {"detail": "Inactive user"}


def test_the_token_names_the_user(
    client: TestClient, superuser_token_headers: dict[str, str]
) -> None:
    response = client.post("/api/v1/login/test-token", headers=superuser_token_headers)
    assert response.json()["email"] == settings.FIRST_SUPERUSER


def superuser_id(session: Session) -> str:
    return str(session.exec(select(User.id).where(User.email == settings.FIRST_SUPERUSER)).one())


def test_a_token_minted_with_the_secret_key_is_accepted(
    client: TestClient, db_session: Session
) -> None:
    response = client.post(
        "/api/v1/login/test-token", headers=tokens.auth_header(superuser_id(db_session))
    )
    assert response.json()["email"] == settings.FIRST_SUPERUSER


@pytest.mark.parametrize(
    "kind", ["expired", "not_yet_valid", "bad_signature", "alg_none", "tampered"]
)
def test_bad_tokens_are_refused(client: TestClient, db_session: Session, kind: str) -> None:
    token = getattr(tokens, kind)(superuser_id(db_session))
    response = client.post("/api/v1/login/test-token", headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "Could not validate credentials"},
    )


def test_password_recovery_mails_a_link_that_resets_the_password(
    client: TestClient, mailer: FakeMailer, db_session: Session
) -> None:
    user = UserFactory.create()
    with mailer.patch_smtplib():
        response = client.post(f"/api/v1/password-recovery/{user.email}")
    assert response.status_code == 200
    mail = mailer.assert_sent(to=user.email, subject="Password recovery", via="smtplib")
    assert mail.server == (settings.SMTP_HOST, settings.SMTP_PORT)
    token = mail.find_link("/reset-password").split("token=")[1]

    body = {"token": token, "new_password": "a brand new one"}
    assert client.post("/api/v1/reset-password/", json=body).status_code == 200
    db_session.expire_all()
    stored = db_session.exec(select(User).where(User.id == user.id)).one()
    assert verify_password("a brand new one", stored.hashed_password)


def test_recovery_for_an_unknown_address_sends_nothing(
    client: TestClient, mailer: FakeMailer
) -> None:
    with mailer.patch_smtplib():
        response = client.post("/api/v1/password-recovery/nobody@example.com")
    assert response.status_code == 200
    mailer.assert_nothing_sent()


def test_a_forged_reset_token_is_refused(client: TestClient) -> None:
    body = {"token": tokens.bad_signature(settings.FIRST_SUPERUSER), "new_password": "whatever123"}
    response = client.post("/api/v1/reset-password/", json=body)
    assert (response.status_code, response.json()) == (400, {"detail": "Invalid token"})
