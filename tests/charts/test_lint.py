"""Both charts pass `helm lint --strict` with their defaults and every example values set, and refuse values
that would render a broken or unsafe release."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.charts.rendering import CONTROLPLANE_CHART, RUNTIME_CHART, Helm, values_sets

CASES = [
    pytest.param(chart, values, id=f"{chart.name}-{values.stem if values else 'defaults'}")
    for chart in (RUNTIME_CHART, CONTROLPLANE_CHART)
    for values in values_sets(chart)
]


def test_example_values_cover_both_tiers_and_autoscaling() -> None:
    names = {path.stem for path in values_sets(RUNTIME_CHART) if path}
    assert {"dedicated-values", "shared-values", "autoscaling-values"} <= names


@pytest.mark.parametrize(("chart", "values"), CASES)
def test_lint_strict(helm: Helm, chart: Path, values: Path | None) -> None:
    result = helm.lint(chart, values)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout, result.stdout


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["tier=dedicated"], "needs tenant.slug"),
        (["tenant.slug=utrecht"], "use tier=dedicated"),
        (["tier=regional"], "tier"),
        (["tier=dedicated", "tenant.slug=Utrecht_1"], "slug"),
        (["ingress.enabled=true"], "ingress.hosts"),
        (["autoscaling.enabled=true", "autoscaling.minReplicas=5", "autoscaling.maxReplicas=3"], "minReplicas"),
        (["podDisruptionBudget.enabled=true", "podDisruptionBudget.maxUnavailable=0"], "block every node drain"),
        (
            [
                "podDisruptionBudget.enabled=true",
                "podDisruptionBudget.maxUnavailable=null",
                "podDisruptionBudget.minAvailable=2",
            ],
            "block every node drain",
        ),
        (["podDisruptionBudget.enabled=true", "podDisruptionBudget.minAvailable=1"], "exactly one"),
        (["extraEnv[0].name=ZGW_RUNTIME_ADMIN_TOKEN", "extraEnv[0].value=plain-text"], "extraEnv"),
        (["extraEnv[0].name=ZGW_RUNTIME_REGISTRY_URL", "extraEnv[0].value=postgresql://u:p@db/registry"], "extraEnv"),
        (["image.digest=latest"], "digest"),
        (["replicaCount=3"], "replicaCount"),
    ],
)
def test_runtime_chart_refuses(helm: Helm, sets: list[str], message: str) -> None:
    assert message in helm.template_error(RUNTIME_CHART, sets=sets)


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["ingress.enabled=true"], "ingress.host"),
        (
            [
                "rbac.extraRules[0].apiGroups[0]=*",
                "rbac.extraRules[0].resources[0]=pods",
                "rbac.extraRules[0].verbs[0]=get",
            ],
            "extraRules",
        ),
        (
            [
                "rbac.extraRules[0].apiGroups[0]=",
                "rbac.extraRules[0].resources[0]=pods",
                "rbac.extraRules[0].verbs[0]=*",
            ],
            "extraRules",
        ),
        (["extraEnv[0].name=ZGW_SECRET_KEY", "extraEnv[0].value=plain-text"], "extraEnv"),
        (["config.driver=docker"], "driver"),
    ],
)
def test_controlplane_chart_refuses(helm: Helm, sets: list[str], message: str) -> None:
    assert message in helm.template_error(CONTROLPLANE_CHART, sets=sets)
