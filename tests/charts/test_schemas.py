"""Every rendered manifest of both charts (defaults and every example values set) validates against the Kubernetes
JSON schemas of the test cluster's version, strictly (no unknown fields), offline with kubernetes-validate. The
server-side dry-run in test_cluster.py adds admission (Pod Security) on top."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest

from tests.charts.rendering import CONTROLPLANE_CHART, RUNTIME_CHART, Helm, kube_version, values_sets

CASES = [
    pytest.param(chart, values, id=f"{chart.name}-{values.stem if values else 'defaults'}")
    for chart in (RUNTIME_CHART, CONTROLPLANE_CHART)
    for values in values_sets(chart)
]


def _schema_version() -> str:
    major, minor = kube_version().lstrip("v").split(".")[:2]
    return f"{major}.{minor}.0"


@pytest.mark.parametrize(("chart", "values"), CASES)
def test_rendered_manifests_match_the_kubernetes_schemas(helm: Helm, chart: Path, values: Path | None) -> None:
    rendered = helm.template(chart, values)
    assert rendered.manifests
    for manifest in rendered.manifests:
        try:
            kubernetes_validate.validate(manifest, _schema_version(), strict=True)
        except kubernetes_validate.ValidationError as exc:
            raise AssertionError(f"{manifest['kind']} {manifest['metadata']['name']}: {exc.message}") from None


def test_the_validation_catches_a_wrong_field(helm: Helm) -> None:
    deployment = helm.template(RUNTIME_CHART).one("Deployment", "api")
    deployment["spec"]["template"]["spec"]["containers"][0]["resourcez"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, _schema_version(), strict=True)
