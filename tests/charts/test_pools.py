"""Runtime pools in the chart: a shared release's processes are its pool (ZGW_RUNTIME_POOL) and forward the other
pools' tenants (config.poolRoutes → ZGW_RUNTIME_POOL_ROUTES); a dedicated release has no pool; bad routes are
refused by the values schema."""

from __future__ import annotations

import json

from tests.charts.rendering import RUNTIME_CHART, Helm, container, env_of

SHARED = RUNTIME_CHART / "ci" / "shared-values.yaml"
DEDICATED = RUNTIME_CHART / "ci" / "dedicated-values.yaml"
ROUTE = "http://shared-v1-zgw-runtime.zgw-system.svc:8001"


def test_shared_release_is_its_pool_and_routes_the_others(helm: Helm) -> None:
    rendered = helm.template(RUNTIME_CHART, SHARED, sets=["pool=shared-v2", f"config.poolRoutes.shared-v1={ROUTE}"])
    env = env_of(container(rendered.one("Deployment", "api")))
    assert env["ZGW_RUNTIME_POOL"]["value"] == "shared-v2"
    assert json.loads(env["ZGW_RUNTIME_POOL_ROUTES"]["value"]) == {"shared-v1": ROUTE}
    migrate = container(rendered.one("Job", "migrations"))
    assert migrate["command"][-2:] == ["--pool", "shared-v2"]  # the hook migrates only this pool's tenants
    plain = env_of(container(helm.template(RUNTIME_CHART, SHARED).one("Deployment", "api")))
    assert "ZGW_RUNTIME_POOL_ROUTES" not in plain


def test_dedicated_release_has_no_pool(helm: Helm) -> None:
    env = env_of(container(helm.template(RUNTIME_CHART, DEDICATED).one("Deployment", "api")))
    assert "ZGW_RUNTIME_POOL" not in env and "ZGW_RUNTIME_PINNED_TENANT" in env


def test_routes_must_be_urls_of_pool_names(helm: Helm) -> None:
    assert "poolRoutes" in helm.template_error(RUNTIME_CHART, SHARED, sets=["config.poolRoutes.shared-v1=ftp://x"])
    assert "Shared_V1" in helm.template_error(RUNTIME_CHART, SHARED, sets=["config.poolRoutes.Shared_V1=http://x"])
