"""Plans carry the sizing of a dedicated runtime (replicas, requests/limits, namespace quota), validated with a
named code per field."""

from __future__ import annotations

from tests.controlplane.conftest import World


def _codes(body: dict[str, object]) -> dict[str, str]:
    return {p["name"]: p["code"] for p in body["invalidParams"]}  # type: ignore[attr-defined, index]


def test_plan_sizing_defaults_and_round_trip(world: World) -> None:
    created = world.client.post(
        "/api/v1/plans",
        json={"code": "groot", "name": "Groot", "api_replicas": 3, "cpu_limit": "2", "memory_limit": "1Gi",
              "quota_cpu": "10", "quota_memory": "5Gi", "quota_pods": 8},
        headers=world.headers("operator"),
    )  # fmt: skip
    assert created.status_code == 201, created.text
    plan = created.json()
    assert plan["api_replicas"] == 3 and plan["cpu_request"] == "250m" and plan["quota_memory"] == "5Gi"
    listed = world.client.get("/api/v1/plans", headers=world.headers("operator")).json()
    basis = next(p for p in listed if p["code"] == "basis")
    assert (basis["api_replicas"], basis["quota_cpu"], basis["quota_pods"]) == (2, "4", 10)


def test_plan_sizing_is_validated(world: World) -> None:
    bad = world.client.post(
        "/api/v1/plans",
        json={"code": "stuk", "name": "Stuk", "cpu_request": "lots", "memory_limit": "512MB", "api_replicas": -1},
        headers=world.headers("operator"),
    )
    assert bad.status_code == 400, bad.text
    assert _codes(bad.json()) == {"cpu_request": "invalid-cpu", "memory_limit": "invalid-memory",
                                  "api_replicas": "min_value"}  # fmt: skip
    tight = world.client.post(
        "/api/v1/plans",
        json={"code": "krap", "name": "Krap", "api_replicas": 4, "cpu_request": "2", "cpu_limit": "1",
              "quota_memory": "1Gi", "quota_pods": 3},
        headers=world.headers("operator"),
    )  # fmt: skip
    assert tight.status_code == 400, tight.text
    assert _codes(tight.json()) == {"cpu_request": "request-above-limit", "quota_cpu": "quota-too-small",
                                    "quota_memory": "quota-too-small", "quota_pods": "quota-too-small"}  # fmt: skip
