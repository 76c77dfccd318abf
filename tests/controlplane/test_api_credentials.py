"""Credentials API: validation of autorisaties, secrets encrypted at rest and shown once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from controlplane.config import Settings
from tests.controlplane.conftest import World


def _post(world: World, body: dict[str, Any]) -> Any:
    return world.client.post(
        f"/api/v1/tenants/{world.tenant_a.id}/credentials", json=body, headers=world.headers("admin_a")
    )


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"client_id": "ab", "label": "x", "heeft_alle_autorisaties": True}, "client_id", "invalid-client-id"),
        ({"client_id": "zgwcloud-x", "label": "x", "heeft_alle_autorisaties": True}, "client_id", "reserved-client-id"),
        ({"client_id": "app-1", "label": "x"}, "nonFieldErrors", "missing-autorisaties"),
        ({"client_id": "app-1", "label": "x", "autorisaties": [{"component": "zrc", "scopes": ["zaken.lezen"],
          "max_vertrouwelijkheidaanduiding": "openbaar"}]}, "autorisaties.0", "missing-zaaktype"),
        ({"client_id": "app-1", "label": "x", "autorisaties": [{"component": "zrc", "scopes": ["zaken.lezen"],
          "zaaktype": "https://example.nl/catalogi/api/v1/zaaktypen/1"}]},
         "autorisaties.0", "missing-max-vertrouwelijkheidaanduiding"),
        ({"client_id": "app-1", "label": "x", "autorisaties": [{"component": "xyz", "scopes": ["a.b"]}]},
         "autorisaties.0.component", "invalid_choice"),
        ({"client_id": "app-1", "label": "x", "autorisaties": [{"component": "nrc", "scopes": []}]},
         "autorisaties.0.scopes", "min_length"),
        ({"client_id": "app-1", "label": "x", "autorisaties": [{"component": "nrc", "scopes": ["Bad Scope"]}]},
         "autorisaties.0.scopes", "invalid-scope"),
    ],
)  # fmt: skip
def test_credential_validation(world: World, body: dict[str, Any], field: str, code: str) -> None:
    response = _post(world, body)
    assert response.status_code == 400, response.text
    assert {p["name"]: p["code"] for p in response.json()["invalidParams"]}.get(field) == code, response.text


def test_duplicate_client_id(world: World) -> None:
    body = {"client_id": "app-1", "label": "x", "heeft_alle_autorisaties": True}
    assert _post(world, body).status_code == 201
    duplicate = _post(world, body)
    assert duplicate.status_code == 400 and duplicate.json()["invalidParams"][0]["code"] == "unique"


def test_secret_encrypted_at_rest_and_shown_once(world: World) -> None:
    created = _post(world, {"client_id": "app-1", "label": "Zaaksysteem", "heeft_alle_autorisaties": True})
    secret = created.json()["secret"]
    assert created.headers["cache-control"] == "no-store" and len(secret) >= 40
    credential = created.json()["credential"]
    fetched = world.client.get(
        f"/api/v1/tenants/{world.tenant_a.id}/credentials/{credential['id']}", headers=world.headers("admin_a")
    )
    assert secret not in fetched.text
    with world.cp.engine.connect() as connection:
        stored = connection.execute(text("SELECT secret_encrypted FROM api_credential_secrets")).scalar_one()
        dump = " ".join(str(r) for r in connection.execute(text("SELECT * FROM audit_log")))
    assert secret not in stored and secret not in dump
    assert world.cp.settings.fernet().decrypt(stored.encode()).decode() == secret


def test_rotation_keeps_previous_secret_for_the_overlap(world: World) -> None:
    created = _post(world, {"client_id": "app-1", "label": "Zaaksysteem", "heeft_alle_autorisaties": True}).json()
    path = f"/api/v1/tenants/{world.tenant_a.id}/credentials/{created['credential']['id']}"
    rotated = world.client.post(f"{path}/rotate", headers=world.headers("admin_a")).json()
    secrets = rotated["credential"]["secrets"]
    assert rotated["secret"] != created["secret"] and len(secrets) == 2
    assert secrets[0]["expires_at"] is not None and secrets[1]["expires_at"] is None
    revoked = world.client.post(f"{path}/revoke", headers=world.headers("admin_a")).json()
    assert revoked["status"] == "revoked" and revoked["secrets"] == []
    again = world.client.post(f"{path}/rotate", headers=world.headers("admin_a"))
    assert again.status_code == 409 and again.json()["code"] == "credential-revoked"


def test_encryption_key_refused_at_default_outside_development() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="ZGW_ENCRYPTION_KEY"):
        Settings(environment="test")
    with pytest.raises(ValidationError, match="not a valid Fernet key"):
        Settings(environment="test", encryption_key="too-short")
    assert Settings(environment="development").fernet()  # derived from the secret key, development only
