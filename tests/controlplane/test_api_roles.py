"""Every /api/v1 endpoint for every role (operator, finance, municipality admin of A, anonymous): who may do
what, and that a municipality admin never sees another municipality."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.controlplane.conftest import World, add_tenant

ROLES = ("operator", "finance", "admin_a", "anonymous")
WINDOW = {"weekday": 2, "start": "02:00", "duration_minutes": 120}


def onboard_body(who: str) -> dict[str, Any]:
    codes = {"operator": "0307", "finance": "0308", "admin_a": "0309", "anonymous": "0310"}
    return {"name": f"Gemeente Test {who}", "gemeentecode": codes[who], "rsin": "001589623", "inhabitants": 5000,
            "plan": "basis", "slug": f"test-{who.replace('_', '-')}"}  # fmt: skip


def credential_body(who: str) -> dict[str, Any]:
    return {"client_id": f"app-{who}", "label": "Zaaksysteem", "autorisaties": [
        {"component": "nrc", "scopes": ["notificaties.consumeren"]}]}  # fmt: skip


# (method, path, body factory or None, expected status per role)
CASES: list[tuple[str, str, Any, dict[str, int]]] = [
    ("GET", "/api/v1/tenants", None, {"operator": 200, "finance": 200, "admin_a": 200}),
    ("POST", "/api/v1/tenants", onboard_body, {"operator": 201, "finance": 403, "admin_a": 403}),
    ("GET", "/api/v1/tenants/{a}", None, {"operator": 200, "finance": 200, "admin_a": 200}),
    ("GET", "/api/v1/tenants/{b}", None, {"operator": 200, "finance": 200, "admin_a": 404}),
    ("PATCH", "/api/v1/tenants/{a}", lambda _: {"inhabitants": 12345},
     {"operator": 200, "finance": 403, "admin_a": 403}),
    ("PATCH", "/api/v1/tenants/{a}", lambda _: {"maintenance_window": WINDOW},
     {"operator": 200, "finance": 403, "admin_a": 200}),
    ("PATCH", "/api/v1/tenants/{b}", lambda _: {"maintenance_window": WINDOW},
     {"operator": 200, "finance": 403, "admin_a": 404}),
    ("POST", "/api/v1/tenants/{c}/provision", None, {"operator": 202, "finance": 403, "admin_a": 403}),
    ("POST", "/api/v1/tenants/{a}/suspend", None, {"operator": 409, "finance": 403, "admin_a": 403}),
    ("POST", "/api/v1/tenants/{a}/resume", None, {"operator": 409, "finance": 403, "admin_a": 403}),
    ("POST", "/api/v1/tenants/{a}/deprovision", None, {"operator": 409, "finance": 403, "admin_a": 403}),
    ("POST", "/api/v1/tenants/{a}/retry", None, {"operator": 409, "finance": 403, "admin_a": 403}),
    ("GET", "/api/v1/tenants/{a}/credentials", None, {"operator": 200, "finance": 403, "admin_a": 200}),
    ("GET", "/api/v1/tenants/{b}/credentials", None, {"operator": 200, "finance": 403, "admin_a": 404}),
    ("POST", "/api/v1/tenants/{a}/credentials", credential_body, {"operator": 201, "finance": 403, "admin_a": 201}),
    ("POST", "/api/v1/tenants/{b}/credentials", credential_body, {"operator": 201, "finance": 403, "admin_a": 404}),
    ("GET", "/api/v1/tenants/{a}/credentials/{ca}", None, {"operator": 200, "finance": 403, "admin_a": 200}),
    ("GET", "/api/v1/tenants/{b}/credentials/{cb}", None, {"operator": 200, "finance": 403, "admin_a": 404}),
    ("GET", "/api/v1/tenants/{a}/credentials/{cb}", None, {"operator": 404, "finance": 403, "admin_a": 404}),
    ("PATCH", "/api/v1/tenants/{a}/credentials/{ca}", lambda _: {"label": "Nieuw"},
     {"operator": 200, "finance": 403, "admin_a": 200}),
    ("POST", "/api/v1/tenants/{a}/credentials/{ca}/rotate", None, {"operator": 200, "finance": 403, "admin_a": 200}),
    ("POST", "/api/v1/tenants/{b}/credentials/{cb}/rotate", None, {"operator": 200, "finance": 403, "admin_a": 404}),
    ("POST", "/api/v1/tenants/{b}/credentials/{cb}/revoke", None, {"operator": 200, "finance": 403, "admin_a": 404}),
    ("POST", "/api/v1/tenants/{a}/credentials/{ca}/revoke", None, {"operator": 200, "finance": 403, "admin_a": 200}),
    ("GET", "/api/v1/users", None, {"operator": 200, "finance": 403, "admin_a": 403}),
    ("POST", "/api/v1/users", lambda who: {"email": f"new-{who}@example.nl", "name": "Nieuw",
     "password": "a-long-enough-password", "role": "finance"}, {"operator": 201, "finance": 403, "admin_a": 403}),
    ("GET", "/api/v1/users/{u}", None, {"operator": 200, "finance": 403, "admin_a": 403}),
    ("PATCH", "/api/v1/users/{u}", lambda _: {"name": "Ander"}, {"operator": 200, "finance": 403, "admin_a": 403}),
    ("GET", "/api/v1/me", None, {"operator": 200, "finance": 200, "admin_a": 200}),
    ("GET", "/api/v1/tokens", None, {"operator": 200, "finance": 200, "admin_a": 200}),
    ("POST", "/api/v1/tokens", lambda who: {"name": f"ci-{who}"}, {"operator": 201, "finance": 201, "admin_a": 201}),
    ("GET", "/api/v1/plans", None, {"operator": 200, "finance": 200, "admin_a": 200}),
    ("POST", "/api/v1/plans", lambda who: {"code": f"plan-{who.replace('_', '-')}", "name": "P"},
     {"operator": 201, "finance": 403, "admin_a": 403}),
    ("GET", "/api/v1/providers", None, {"operator": 200, "finance": 403, "admin_a": 403}),
    ("GET", "/api/v1/jobs", None, {"operator": 200, "finance": 403, "admin_a": 200}),
    ("GET", "/api/v1/jobs/{ja}", None, {"operator": 200, "finance": 403, "admin_a": 200}),
    ("GET", "/api/v1/jobs/{jb}", None, {"operator": 200, "finance": 403, "admin_a": 404}),
    ("GET", "/api/v1/audit", None, {"operator": 200, "finance": 403, "admin_a": 200}),
    # Notifications: the runtime serves only active tenants (these are not: 409 before any runtime call).
    ("GET", "/api/v1/tenants/{a}/notifications/deliveries", None, {"operator": 409, "finance": 403, "admin_a": 409}),
    ("GET", "/api/v1/tenants/{b}/notifications/deliveries", None, {"operator": 409, "finance": 403, "admin_a": 404}),
    ("GET", "/api/v1/tenants/{a}/notifications/subscriptions", None,
     {"operator": 409, "finance": 403, "admin_a": 409}),
    ("GET", "/api/v1/tenants/{a}/notifications/deliveries/{n}", None,
     {"operator": 409, "finance": 403, "admin_a": 409}),
    ("POST", "/api/v1/tenants/{a}/notifications/deliveries/{n}/resend", None,
     {"operator": 409, "finance": 403, "admin_a": 409}),
    ("POST", "/api/v1/tenants/{b}/notifications/deliveries/{n}/resend", None,
     {"operator": 409, "finance": 403, "admin_a": 404}),
]  # fmt: skip


def _setup(world: World) -> dict[str, str]:
    client, op = world.client, world.headers("operator")
    ids = {"a": str(world.tenant_a.id), "b": str(world.tenant_b.id)}
    ids["c"] = str(add_tenant(world.cp, "capelle", "0502").id)
    for name, tenant in (("ca", "a"), ("cb", "b")):
        body = {"client_id": f"setup-{name}", "label": "Setup", "heeft_alle_autorisaties": True}
        response = client.post(f"/api/v1/tenants/{ids[tenant]}/credentials", json=body, headers=op)
        assert response.status_code == 201, response.text
        ids[name] = response.json()["credential"]["id"]
    for name, tenant in (("ja", "a"), ("jb", "b")):
        response = client.post(f"/api/v1/tenants/{ids[tenant]}/provision", headers=op)
        assert response.status_code == 202, response.text
        ids[name] = response.json()["id"]
    ids["u"] = str(world.users["finance"].id)
    ids["n"] = "0b5a3c1e-6f0e-4d47-8a52-2f6b1c9d7e01"  # a notification delivery in a tenant's runtime
    return ids


@pytest.mark.parametrize("who", ROLES)
def test_every_endpoint_for_role(world: World, who: str) -> None:
    ids = _setup(world)
    failures = []
    for method, template, body, expected in CASES:
        path = template.format(**ids)
        headers = world.headers(who) if who != "anonymous" else {}
        response = world.client.request(method, path, json=body(who) if body else None, headers=headers)
        want = expected.get(who, 401)
        if response.status_code != want:
            failures.append(f"{method} {template} as {who}: {response.status_code} != {want}: {response.text[:200]}")
        elif want >= 400:
            problem = response.json()
            if response.headers["content-type"] != "application/problem+json" or problem["status"] != want:
                failures.append(f"{method} {template} as {who}: not a problem body: {response.text[:200]}")
    assert not failures, "\n".join(failures)


def test_municipality_admin_only_ever_sees_own_tenant(world: World) -> None:
    ids = _setup(world)
    headers = world.headers("admin_a")
    listed = world.client.get("/api/v1/tenants", headers=headers).json()
    assert [t["id"] for t in listed["results"]] == [ids["a"]]
    jobs = world.client.get("/api/v1/jobs", headers=headers).json()["results"]
    assert {j["tenant_id"] for j in jobs} == {ids["a"]}
    audit = world.client.get(f"/api/v1/audit?tenant_id={ids['b']}", headers=headers).json()["results"]
    assert audit and {e["tenant_id"] for e in audit} == {ids["a"]}  # the filter cannot widen the scope


def test_session_cookie_writes_need_csrf_token(world: World) -> None:
    client = world.client
    login_page = client.get("/login")
    token = login_page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/login", data={"email": "operator@example.nl", "password": "correct horse battery staple", "csrf_token": token}
    )
    assert response.status_code in (200, 303)
    assert client.get("/api/v1/me").json()["email"] == "operator@example.nl"
    token = client.get("/fleet").text.split('name="csrf_token" value="')[1].split('"')[0]  # rotated at login
    refused = client.post("/api/v1/plans", json={"code": "via-cookie", "name": "C"})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    accepted = client.post("/api/v1/plans", json={"code": "via-cookie", "name": "C"}, headers={"X-CSRF-Token": token})
    assert accepted.status_code == 201


def test_revoked_and_unknown_tokens_are_refused(world: World) -> None:
    client = world.client
    created = client.post("/api/v1/tokens", json={"name": "kort"}, headers=world.headers("finance")).json()
    secret = created["secret"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    deleted = client.delete(f"/api/v1/tokens/{created['token']['id']}", headers=world.headers("finance"))
    assert deleted.status_code == 204
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer zgwcp_nope"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_openapi_documents_every_endpoint_and_the_token_scheme(world: World) -> None:
    document = world.client.get("/api/v1/openapi.json").json()
    assert document["components"]["securitySchemes"]["ApiToken"]["scheme"] == "bearer"
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    for method, template, *_ in CASES:
        path = re.sub(r"\{(a|b|c)\}", "{tenant_id}", template)
        path = re.sub(r"\{(ca|cb)\}", "{credential_id}", path)
        path = path.replace("{ja}", "{job_id}").replace("{jb}", "{job_id}").replace("{u}", "{user_id}")
        path = path.replace("{n}", "{delivery_id}")
        assert (method, path) in documented, (method, path)
    onboard = document["paths"]["/api/v1/tenants"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in onboard["parameters"])
