"""Every /api/v1/billing endpoint for every role (operator, finance, municipality admin of A, anonymous), and
the validation errors: problem+json with invalidParams name/code/reason."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from controlplane.billing import closing, reconcile
from controlplane.billing.models import Invoice, MeterEventSubmission, SubmissionStatus
from tests.controlplane.billing.conftest import FEBRUARY, BillingWorld

ROLES = ("operator", "finance", "admin_a", "anonymous")
LATER = {"operator": "2026-04-01T00:00:00Z", "finance": "2026-04-02T00:00:00Z", "admin_a": "2026-04-03T00:00:00Z",
         "anonymous": "2026-04-04T00:00:00Z"}  # fmt: skip
P = "/api/v1/billing"

# (method, path, body factory or None, expected status per role; anonymous is 401 unless listed)
CASES: list[tuple[str, str, Any, dict[str, int]]] = [
    ("GET", f"{P}/plans", None, {"operator": 200, "finance": 200, "admin_a": 200}),
    ("POST", f"{P}/plans/basis/versions", lambda who: {"effective_from": LATER[who], "monthly_fee": "300"},
     {"operator": 201, "finance": 403, "admin_a": 403}),
    ("GET", f"{P}/tenants/{{a}}/plan-history", None, {"operator": 200, "finance": 200, "admin_a": 200}),
    ("GET", f"{P}/tenants/{{b}}/plan-history", None, {"operator": 200, "finance": 200, "admin_a": 404}),
    ("POST", f"{P}/tenants/{{a}}/plan-changes", lambda who: {"plan": "plus", "effective_from": LATER[who]},
     {"operator": 201, "finance": 403, "admin_a": 403}),
    ("GET", f"{P}/tenants/{{a}}/invoice-preview?period=2026-02", None,
     {"operator": 200, "finance": 200, "admin_a": 200}),
    ("GET", f"{P}/tenants/{{b}}/invoice-preview", None, {"operator": 200, "finance": 200, "admin_a": 404}),
    ("GET", f"{P}/tenants/{{a}}/invoices", None, {"operator": 200, "finance": 200, "admin_a": 200}),
    ("GET", f"{P}/tenants/{{b}}/invoices", None, {"operator": 200, "finance": 200, "admin_a": 404}),
    ("GET", f"{P}/tenants/{{a}}/customer", None, {"operator": 404, "finance": 404, "admin_a": 404}),
    ("POST", f"{P}/tenants/{{a}}/customer", None, {"operator": 409, "finance": 403, "admin_a": 403}),
    ("GET", f"{P}/tenants/{{a}}/provider-invoices", None, {"operator": 200, "finance": 200, "admin_a": 200}),
    ("GET", f"{P}/tenants/{{b}}/provider-invoices", None, {"operator": 200, "finance": 200, "admin_a": 404}),
    ("POST", f"{P}/tenants/{{a}}/portal-session", None, {"operator": 409, "finance": 403, "admin_a": 409}),
    ("POST", f"{P}/tenants/{{b}}/portal-session", None, {"operator": 409, "finance": 403, "admin_a": 404}),
    ("GET", f"{P}/invoices", None, {"operator": 200, "finance": 200, "admin_a": 200}),
    ("GET", f"{P}/invoices/{{ia}}", None, {"operator": 200, "finance": 200, "admin_a": 200}),
    ("GET", f"{P}/invoices/{{ib}}", None, {"operator": 200, "finance": 200, "admin_a": 404}),
    ("GET", f"{P}/usage?period=2026-02", None, {"operator": 200, "finance": 200, "admin_a": 200}),
    ("GET", f"{P}/usage.csv?period=2026-02", None, {"operator": 200, "finance": 200, "admin_a": 200}),
    ("GET", f"{P}/invoice-lines.csv?period=2026-02", None, {"operator": 200, "finance": 200, "admin_a": 200}),
    ("GET", f"{P}/periods", None, {"operator": 200, "finance": 200, "admin_a": 403}),
    ("POST", f"{P}/periods/close", lambda _: {"period": "2026-01"}, {"operator": 200, "finance": 403, "admin_a": 403}),
    ("GET", f"{P}/meter-events?period=2026-02", None, {"operator": 200, "finance": 200, "admin_a": 403}),
    ("POST", f"{P}/meter-events/{{s}}/retry", None, {"operator": 200, "finance": 403, "admin_a": 403}),
    ("GET", f"{P}/reconciliation?period=2026-02", None, {"operator": 200, "finance": 200, "admin_a": 403}),
    ("POST", f"{P}/reconciliation", lambda _: {"period": "2026-02"}, {"operator": 201, "finance": 403, "admin_a": 403}),
    ("POST", f"{P}/stripe/webhook", lambda _: {"id": "evt"},
     {"operator": 400, "finance": 400, "admin_a": 400, "anonymous": 400}),
]  # fmt: skip


def _setup(billing: BillingWorld) -> dict[str, str]:
    billing.ledger.month(billing.tenant_a, FEBRUARY, calls_per_hour=100)
    closing.close_period(billing.cp, FEBRUARY)
    reconcile.reconcile_period(billing.cp, FEBRUARY)
    with billing.cp.sessions() as session:
        invoices = {i.tenant_id: i for i in session.scalars(select(Invoice)).unique()}
        submission = MeterEventSubmission(
            identifier=f"zgw:{billing.tenant_a.id}:2026-02:flat_fee", tenant_id=billing.tenant_a.id,
            invoice_id=invoices[billing.tenant_a.id].id, period_start=FEBRUARY.first_day, component="flat_fee",
            event_name="zgw_flat_fee", value=25_000, event_timestamp=FEBRUARY.end - timedelta(seconds=1),
            status=SubmissionStatus.FAILED, last_error="refused", next_attempt_at=billing.clock.now(),
        )  # fmt: skip
        session.add(submission)
        session.commit()
        return {"a": str(billing.tenant_a.id), "b": str(billing.tenant_b.id), "s": str(submission.id),
                "ia": str(invoices[billing.tenant_a.id].id), "ib": str(invoices[billing.tenant_b.id].id)}  # fmt: skip


@pytest.mark.parametrize("who", ROLES)
def test_every_billing_endpoint_for_role(billing: BillingWorld, who: str) -> None:
    ids = _setup(billing)
    failures = []
    for method, template, body, expected in CASES:
        path = template.format(**ids)
        headers = billing.headers(who) if who != "anonymous" else {}
        response = billing.world.client.request(method, path, json=body(who) if body else None, headers=headers)
        want = expected.get(who, 401)
        if response.status_code != want:
            failures.append(f"{method} {template} as {who}: {response.status_code} != {want}: {response.text[:200]}")
        elif want >= 400 and response.headers["content-type"] != "application/problem+json":
            failures.append(f"{method} {template} as {who}: not a problem body: {response.text[:200]}")
    assert not failures, "\n".join(failures)


def test_municipality_lists_only_its_own_numbers(billing: BillingWorld) -> None:
    ids = _setup(billing)
    client, headers = billing.world.client, billing.headers("admin_a")
    invoices = client.get(f"{P}/invoices", headers=headers).json()["results"]
    assert {i["tenant_id"] for i in invoices} == {ids["a"]}
    assert client.get(f"{P}/invoices?tenant_id={ids['b']}", headers=headers).json()["count"] == 0
    usage = client.get(f"{P}/usage?period=2026-02", headers=headers).json()
    assert [r["tenant"] for r in usage["results"]] == ["alphen"]
    lines = client.get(f"{P}/invoice-lines.csv?period=2026-02", headers=headers).text
    assert "alphen" in lines and "bodegraven" not in lines


def _problem(response: Any, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()  # type: ignore[no-any-return]


def _params(response: Any) -> dict[str, str]:
    return {p["name"]: p["code"] for p in _problem(response)["invalidParams"]}


def test_validation_errors(billing: BillingWorld) -> None:
    client, op = billing.world.client, billing.headers("operator")
    a = billing.tenant_a.id
    assert _params(client.get(f"{P}/tenants/{a}/invoice-preview?period=2026-13", headers=op)) == {"period": "invalid"}
    assert _params(client.get(f"{P}/usage?period=march", headers=op)) == {"period": "invalid"}
    bad_prices = {"monthly_fee": "-1", "price_per_gb_month": "0.1234567", "included_api_calls": -5, "bogus": 1,
                  "effective_from": "2026-04-01T00:00:00"}  # fmt: skip
    assert _params(client.post(f"{P}/plans/basis/versions", json=bad_prices, headers=op)) == {
        "monthly_fee": "min_value", "price_per_gb_month": "decimal_max_places", "included_api_calls": "min_value",
        "bogus": "extra_forbidden", "effective_from": "timezone_aware",
    }  # fmt: skip
    tiers = {"api_call_tiers": [{"up_to": None, "price_per_1000": "0.4"}, {"up_to": 1000, "price_per_1000": "0.2"}]}
    problem = _problem(client.post(f"{P}/plans/basis/versions", json=tiers, headers=op))
    assert problem["invalidParams"][0]["name"] == "api_call_tiers"
    assert problem["invalidParams"][0]["code"] == "invalid_tiers"
    assert "only the last tier" in problem["invalidParams"][0]["reason"]
    same_moment = {"effective_from": "2025-01-01T00:00:00Z", "monthly_fee": "1"}
    again = client.post(f"{P}/plans/basis/versions", json=same_moment, headers=op)
    assert _params(again) == {"effective_from": "unique"}
    assert _problem(client.post(f"{P}/plans/nope/versions", json={}, headers=op), 404)["code"] == "not_found"
    unknown = client.post(f"{P}/tenants/{a}/plan-changes", json={"plan": "goud"}, headers=op)
    assert _params(unknown) == {"plan": "does_not_exist"}
    assert _problem(client.post(f"{P}/tenants/{uuid.uuid4()}/plan-changes", json={"plan": "plus"}, headers=op),
                    404)["code"] == "not_found"  # fmt: skip
    assert _params(client.post(f"{P}/periods/close", json={"period": "2026-1"}, headers=op)) == {"period": "invalid"}
    assert _problem(client.post(f"{P}/periods/close", json={"period": "2026-03"}, headers=op), 409)["code"] == (
        "period-open"
    )
    assert _problem(client.post(f"{P}/reconciliation", json={"period": "2026-01"}, headers=op), 409)["code"] == (
        "period-not-closed"
    )
    assert "status" in _params(client.get(f"{P}/meter-events?status=lost", headers=op))
    missing = _problem(client.post(f"{P}/meter-events/{uuid.uuid4()}/retry", headers=op), 404)
    assert missing["code"] == "not_found"
