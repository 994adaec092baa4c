"""The issuer's discovery document, validated by authlib for every algorithm: OpenID
Connect Discovery 1.0 section 3 and RFC 8414.

Every test here starts a real loopback server.
"""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oidc.discovery import OpenIDProviderMetadata

from fixturekit.tokens import ALGORITHMS, TokenMinter

pytestmark = pytest.mark.slow


def _discover(issuer_url: str) -> dict[str, Any]:
    response = httpx.get(issuer_url + "/.well-known/openid-configuration")
    assert response.status_code == 200
    config: dict[str, Any] = response.json()
    return config


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_the_discovery_document_validates_for_every_algorithm(algorithm: str) -> None:
    minter = TokenMinter(algorithm=algorithm)
    with minter.serve() as issuer_url:
        config = _discover(issuer_url)
        jwks = httpx.get(config["jwks_uri"]).json()

    OpenIDProviderMetadata(config).validate()
    AuthorizationServerMetadata(config).validate()
    assert config["issuer"] == issuer_url
    assert "RS256" in config["id_token_signing_alg_values_supported"]
    # The RS256 key for ID tokens is in the key set, whatever signs the access tokens.
    assert "RS256" in {key["alg"] for key in jwks["keys"]}
    if algorithm.startswith("HS"):
        assert all(key["kty"] != "oct" for key in jwks["keys"])
    else:
        assert minter.kid in {key["kid"] for key in jwks["keys"]}


def test_the_discovery_document_lists_what_the_issuer_serves() -> None:
    with TokenMinter().serve() as issuer_url:
        config = _discover(issuer_url)

    assert config["authorization_endpoint"] == issuer_url + "/authorize"
    assert config["token_endpoint"] == issuer_url + "/token"
    assert config["userinfo_endpoint"] == issuer_url + "/userinfo"
    assert config["jwks_uri"] == issuer_url + "/.well-known/jwks.json"
    assert config["response_types_supported"] == ["code"]
    assert config["subject_types_supported"] == ["public"]
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert "openid" in config["scopes_supported"]
    assert {"sub", "iss", "aud", "nonce", "email"} <= set(config["claims_supported"])
    assert set(config["grant_types_supported"]) == {
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "password",
    }
    assert "none" in config["token_endpoint_auth_methods_supported"]


@pytest.mark.parametrize("algorithm", ["ES256", "HS256"])
def test_pyjwkclient_finds_the_access_token_key_and_the_id_token_key(algorithm: str) -> None:
    minter = TokenMinter(algorithm=algorithm)
    with minter.serve() as issuer_url:
        jwks_uri = _discover(issuer_url)["jwks_uri"]
        id_token = minter.issue_token("ada", claims={}, audience="web", id_token=True)
        client = jwt.PyJWKClient(jwks_uri)
        key = client.get_signing_key_from_jwt(id_token).key
        claims = jwt.decode(id_token, key, algorithms=["RS256"], audience="web")
    assert claims["sub"] == "ada"
