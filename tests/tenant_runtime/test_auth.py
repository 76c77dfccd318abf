"""JWT authentication and scope checks, on a probe endpoint that requires a scope."""

from __future__ import annotations

import time
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends

from tenant_runtime.autorisaties import admin
from tenant_runtime.core.auth import Client
from tenant_runtime.core.deps import require_scopes
from tests.tenant_runtime.conftest import ZgwRuntime, ZgwTenant

probe = APIRouter()


@probe.get("/zaken/api/v1/probe")
def scoped(client: Annotated[Client, Depends(require_scopes("zrc", "zaken.lezen"))]) -> dict[str, str]:
    return {"client": client.client_id}


@pytest.fixture
def with_probe(zgw: ZgwRuntime) -> ZgwRuntime:
    zgw.client.app.include_router(probe)  # type: ignore[attr-defined]
    return zgw


def test_missing_token_is_403_problem(with_probe: ZgwRuntime, alpha: ZgwTenant) -> None:
    response = with_probe.client.get(f"{alpha.base}/zaken/api/v1/probe")
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_authenticated"
    assert response.headers["API-version"] == "1.5.1"


def test_valid_token_with_scope(with_probe: ZgwRuntime, alpha: ZgwTenant) -> None:
    headers = alpha.headers_for(
        autorisaties=[admin.AutorisatieSpec("zrc", ["zaken.lezen"], zaaktype="x")], client_id="reader"
    )
    response = with_probe.client.get(f"{alpha.base}/zaken/api/v1/probe", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"client": "reader"}


def test_token_without_scope_is_forbidden(with_probe: ZgwRuntime, alpha: ZgwTenant) -> None:
    headers = alpha.headers_for(autorisaties=[admin.AutorisatieSpec("zrc", ["zaken.aanmaken"], zaaktype="x")])
    response = with_probe.client.get(f"{alpha.base}/zaken/api/v1/probe", headers=headers)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_token_of_other_tenant_is_rejected(with_probe: ZgwRuntime, alpha: ZgwTenant, beta: ZgwTenant) -> None:
    headers = beta.superuser()
    response = with_probe.client.get(f"{alpha.base}/zaken/api/v1/probe", headers=headers)
    assert response.status_code == 403


@pytest.mark.parametrize("mutation", ["bad-signature", "old", "future", "garbage", "no-client"])
def test_invalid_tokens_are_rejected(with_probe: ZgwRuntime, alpha: ZgwTenant, mutation: str) -> None:
    secret = admin.generate_secret()
    with alpha.session() as session, session.begin():
        admin.upsert_application(session, admin.ApplicationSpec("c1", "c1", heeft_alle_autorisaties=True))
        admin.add_credential(session, "c1", secret)
    token = {
        "bad-signature": admin.make_jwt("c1", "wrong-secret"),
        "old": admin.make_jwt("c1", secret, issued_at=time.time() - 3 * 24 * 3600),
        "future": admin.make_jwt("c1", secret, issued_at=time.time() + 3600),
        "garbage": "not.a.jwt",
        "no-client": __import__("jwt").encode({"iat": int(time.time())}, secret, algorithm="HS256"),
    }[mutation]
    response = with_probe.client.get(f"{alpha.base}/zaken/api/v1/probe", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_rotated_secret_overlaps_then_expires(with_probe: ZgwRuntime, alpha: ZgwTenant) -> None:
    from datetime import UTC, datetime, timedelta

    old, new = admin.generate_secret(), admin.generate_secret()
    with alpha.session() as session, session.begin():
        admin.upsert_application(session, admin.ApplicationSpec("rot", "rot", heeft_alle_autorisaties=True))
        admin.add_credential(session, "rot", old)
        admin.add_credential(session, "rot", new)
        admin.expire_credentials(session, "rot", datetime.now(UTC) + timedelta(hours=1), keep_secret=new)
    url = f"{alpha.base}/zaken/api/v1/probe"
    for secret in (old, new):
        assert (
            with_probe.client.get(url, headers={"Authorization": f"Bearer {admin.make_jwt('rot', secret)}"}).status_code
            == 200
        )
    with alpha.session() as session, session.begin():
        admin.expire_credentials(session, "rot", datetime.now(UTC) - timedelta(seconds=1), keep_secret=new)
    alpha.runtime.clients.invalidate()
    assert (
        with_probe.client.get(url, headers={"Authorization": f"Bearer {admin.make_jwt('rot', old)}"}).status_code == 403
    )


def test_openapi_documents_are_served(with_probe: ZgwRuntime, alpha: ZgwTenant) -> None:
    response = with_probe.client.get(f"{alpha.base}/zaken/api/v1/schema/openapi.yaml")
    assert response.status_code == 200
    assert "title: Zaken API" in response.text
    assert with_probe.client.get(f"{alpha.base}/nope/api/v1/schema/openapi.yaml").status_code == 404


def test_unknown_route_is_problem_json(with_probe: ZgwRuntime, alpha: ZgwTenant) -> None:
    response = with_probe.client.get(f"{alpha.base}/zaken/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
