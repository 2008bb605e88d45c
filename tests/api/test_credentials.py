"""How a caller proves who it is: the admin key a first start makes, and OAuth2 bearer tokens (JWTs)
from an external identity provider, mapped to the same organisations and roles as keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from epcis_repo.api.app import create_app
from epcis_repo.settings import Settings
from tests.api.test_capture import document, object_event
from tests.conftest import EpcisClient, make_client

ISSUER = "https://idp.example.org/realms/traceability"
AUDIENCE = "epcis-repo"


# --- the first start --------------------------------------------------------------------------------------


def test_a_first_start_prints_an_admin_key_once_and_it_works(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        printed = capfd.readouterr().err
        key = printed.split()[-1]
        assert "no API key existed" in printed and key.startswith("epcis_")
        assert client.get("/events").status_code == 401
        assert client.get("/events", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        assert client.get("/capture", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    # Restarted, the repository has a key: it makes no other.
    with TestClient(create_app(settings)) as client:
        assert "epcis_" not in capfd.readouterr().err
        assert client.get("/events", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        key_id = key.split("_")[1]
        assert client.portal.call(client.app.state.repository.access.store.revoke_key, key_id, 1)  # type: ignore[attr-defined]
    # Nor once every key is revoked: a printed key would be one more secret in the logs at each start.
    with TestClient(create_app(settings)) as client:
        assert "epcis_" not in capfd.readouterr().err
        assert client.get("/events", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_the_key_is_stored_only_as_a_digest(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path))):
        key = capfd.readouterr().err.split()[-1]
    stored = (tmp_path / "access.sqlite3").read_bytes()
    secret = key.rsplit("_", 1)[-1]
    assert secret.encode() not in stored and key.encode() not in stored


# --- OAuth2 bearer tokens -----------------------------------------------------------------------------------


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa_key()


def key_set(private: rsa.RSAPrivateKey, kid: str = "k1") -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    return {"keys": [{**public, "kid": kid, "use": "sig", "alg": "RS256"}]}


def token(private: rsa.RSAPrivateKey, kid: str = "k1", algorithm: str = "RS256", **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-17", "iat": now, "exp": now + 600}
    body.update(claims)
    body = {name: value for name, value in body.items() if value is not None}
    return jwt.encode(body, private, algorithm=algorithm, headers={"kid": kid})


def bearer(text: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {text}"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def admin_claims() -> dict[str, Any]:
    """What a forged token would claim: an administrator of org-a, for ten minutes."""
    expiry = int(time.time()) + 600
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": expiry, "org": "org-a", "roles": ["admin"]}


@pytest.fixture
def oauth_client(backend: str, tmp_path: Path, signing_key: rsa.RSAPrivateKey) -> Any:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(key_set(signing_key)), encoding="utf-8")
    settings = Settings(oauth_issuer=ISSUER, oauth_audience=AUDIENCE, oauth_jwks=str(jwks))
    with make_client(backend, tmp_path, settings) as client:
        yield client


def test_a_valid_token_is_a_principal_of_its_organisation_with_its_roles(
    oauth_client: EpcisClient, signing_key: rsa.RSAPrivateKey
) -> None:
    client = oauth_client
    org_a = bearer(token(signing_key, org="org-a", roles=["capture", "query"]))
    org_b = bearer(token(signing_key, org="org-b", roles="query", sub="user-18"))  # roles as a string
    answer = client.post("/capture", json=document(object_event(1)), headers=org_a)
    assert answer.status_code == 202, answer.text
    job = client.wait_for_job(answer.headers["location"])
    assert job["success"]
    stored = client.portal.call(client.app.state.repository.store.get_job, job["captureID"])  # type: ignore[attr-defined]
    assert (stored.organisation, stored.principal) == ("org-a", "token:user-17")
    events = client.get("/events", headers=org_a).json()["epcisBody"]["queryResults"]["resultsBody"]
    assert len(events["eventList"]) == 1
    others = client.get("/events", headers=org_b).json()["epcisBody"]["queryResults"]["resultsBody"]
    assert others["eventList"] == []
    refused = client.post("/capture", json=document(object_event(2)), headers=org_b)
    assert refused.status_code == 403 and refused.json()["type"] == "epcisException:SecurityException"


@pytest.mark.parametrize(
    "case",
    [
        "expired",
        "wrong audience",
        "wrong issuer",
        "other key",
        "unknown kid",
        "no organisation",
        "an organisation no key could have",
        "no subject",
    ],
)
def test_a_token_that_does_not_hold_is_a_401(
    oauth_client: EpcisClient, signing_key: rsa.RSAPrivateKey, case: str
) -> None:
    claims: dict[str, Any] = {"org": "org-a", "roles": ["query"]}
    key, kid = signing_key, "k1"
    if case == "expired":
        claims["exp"] = int(time.time()) - 60
    elif case == "wrong audience":
        claims["aud"] = "another-service"
    elif case == "wrong issuer":
        claims["iss"] = "https://evil.example.org/"
    elif case == "other key":
        key = rsa_key()
    elif case == "unknown kid":
        kid = "k2"
    elif case == "no organisation":
        claims["org"] = None
    elif case == "an organisation no key could have":
        claims["org"] = "org\x00a"
    elif case == "no subject":
        claims["sub"] = None
    answer = oauth_client.get("/events", headers=bearer(token(key, kid, **claims)))
    assert answer.status_code == 401, answer.text
    assert answer.json()["type"] == "epcisException:SecurityException"
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]


def test_tokens_signed_without_the_provider_key_are_refused(
    oauth_client: EpcisClient, signing_key: rsa.RSAPrivateKey
) -> None:
    """`alg: none`, and HMAC keyed with the provider's public key (algorithm confusion)."""
    claims = admin_claims()
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": "k1"})
    public_pem = signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode()
    body = json.dumps(claims).encode()
    signed = f"{b64(header)}.{b64(body)}"
    confused = signed + "." + b64(hmac.new(public_pem, signed.encode(), hashlib.sha256).digest())
    for forged in (unsigned, confused):
        assert oauth_client.get("/events", headers=bearer(forged)).status_code == 401


@pytest.mark.parametrize("algorithm", ["ES256", "EdDSA", "RS512", "PS256", "HS512"])
def test_a_token_naming_another_algorithm_than_the_key_is_a_401_not_a_500(
    oauth_client: EpcisClient, algorithm: str
) -> None:
    header = b64(json.dumps({"alg": algorithm, "typ": "JWT", "kid": "k1"}).encode())
    forged = f"{header}.{b64(json.dumps(admin_claims()).encode())}.{b64(b'not a signature' * 4)}"
    answer = oauth_client.get("/events", headers=bearer(forged))
    assert answer.status_code == 401, answer.text
    assert answer.json()["type"] == "epcisException:SecurityException"


def test_partly_configured_tokens_stop_the_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="EPCIS_OAUTH_AUDIENCE, EPCIS_OAUTH_JWKS"):
        create_app(Settings(oauth_issuer=ISSUER))
    with pytest.raises(ValueError, match="cannot read the JSON Web Key Set"):
        create_app(Settings(oauth_issuer=ISSUER, oauth_audience=AUDIENCE, oauth_jwks=str(tmp_path / "none")))


def test_keys_still_work_beside_tokens(oauth_client: EpcisClient) -> None:
    assert oauth_client.get("/events").status_code == 200  # the client's admin key
