"""What the Kubernetes driver applies for a dedicated tenant, as pure functions of tenant, plan and settings, and
the runtime chart rendered through helm (no cluster needed)."""

from __future__ import annotations

import pytest

from controlplane.config import Settings
from controlplane.drivers import kubernetes_objects as objects
from controlplane.drivers.interfaces import ReleaseSpec, RuntimeStatus, Sizing, TenantSpec
from controlplane.drivers.kubernetes_release import ChartRenderer, _hook_phases
from tests.charts.rendering import kube_version
from tests.fixtures.processes import find_binary

SETTINGS = Settings(
    driver="kubernetes",
    kubernetes_base_domain="zgw.example.nl",
    kubernetes_ingress_class="nginx",
    kubernetes_ingress_annotations={"cert-manager.io/cluster-issuer": "letsencrypt"},
)
TENANT = TenantSpec("utrecht", "Gemeente Utrecht", tier="dedicated", sizing=Sizing(api_replicas=3, quota_pods=12))


def test_namespace_is_labelled_and_restricted() -> None:
    namespace = objects.namespace(SETTINGS, TENANT)
    assert namespace["metadata"]["name"] == "zgw-t-utrecht"
    labels = namespace["metadata"]["labels"]
    assert labels["zgw-cloud.nl/tenant"] == "utrecht" and labels["zgw-cloud.nl/tier"] == "dedicated"
    assert {labels[f"pod-security.kubernetes.io/{m}"] for m in ("enforce", "audit", "warn")} == {"restricted"}
    assert {labels[f"pod-security.kubernetes.io/{m}-version"] for m in ("enforce", "audit", "warn")} == {"v1.34"}


def test_long_slugs_get_a_hashed_namespace_within_63_characters() -> None:
    long_a = TenantSpec("a" * 60 + "-x", "A", tier="dedicated")
    long_b = TenantSpec("a" * 60 + "-y", "B", tier="dedicated")
    name_a, name_b = objects.namespace_name(SETTINGS, long_a), objects.namespace_name(SETTINGS, long_b)
    assert len(name_a) <= 63 and len(name_b) <= 63 and name_a != name_b
    assert name_a == objects.namespace_name(SETTINGS, long_a)  # deterministic: a retry finds the same one


def test_quota_and_limits_follow_the_plan() -> None:
    assert objects.resource_quota(SETTINGS, TENANT)["spec"]["hard"] == {
        "requests.cpu": "4", "limits.cpu": "4", "requests.memory": "4Gi", "limits.memory": "4Gi", "pods": "12",
    }  # fmt: skip
    item = objects.limit_range(SETTINGS, TENANT)["spec"]["limits"][0]
    assert item["default"] == {"cpu": "1", "memory": "512Mi"} and item["max"] == item["default"]
    assert item["defaultRequest"] == {"cpu": "250m", "memory": "256Mi"}


def test_release_values() -> None:
    values = objects.release_values(SETTINGS, TENANT, RuntimeStatus.ACTIVE)
    assert values["tier"] == "dedicated" and values["tenant"] == {"slug": "utrecht"}
    assert values["api"]["replicas"] == 3 and values["existingSecret"] == "zgw-runtime"
    assert values["config"]["publicUrl"] == "https://utrecht.zgw.example.nl"
    assert values["ingress"]["hosts"] == [{"host": "utrecht.zgw.example.nl", "tlsSecretName": "zgw-runtime-tls"}]
    assert values["ingress"]["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt"}
    peers = values["networkPolicy"]["ingressFrom"] + values["networkPolicy"]["extraIngressFrom"]
    assert [p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for p in peers] == [
        "ingress-nginx", "zgw-system",
    ]  # fmt: skip
    suspended = objects.release_values(SETTINGS, TENANT, RuntimeStatus.SUSPENDED)
    assert suspended["api"]["replicas"] == 0 and suspended["autoscaling"]["enabled"] is False
    no_domain = objects.release_values(
        SETTINGS.model_copy(update={"kubernetes_base_domain": "", "kubernetes_api_url_template": "http://x:1/t"}),
        TENANT,
        RuntimeStatus.ACTIVE,
    )
    assert "ingress" not in no_domain and no_domain["config"]["publicUrl"] == ""  # a path: derived per request


def test_operator_values_are_merged_deeply() -> None:
    settings = SETTINGS.model_copy(update={"kubernetes_runtime_values": {
        "networkPolicy": {"egress": {"postgresql": {"cidrs": ["10.20.0.0/16"]}}}, "api": {"replicas": 5}}})  # fmt: skip
    values = objects.release_values(settings, TENANT, RuntimeStatus.ACTIVE)
    assert values["networkPolicy"]["egress"] == {"postgresql": {"cidrs": ["10.20.0.0/16"]}}
    assert values["networkPolicy"]["ingressFrom"]  # kept
    assert values["api"]["replicas"] == 5 and values["api"]["resources"]["limits"]["cpu"] == "1"


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("ghcr.io/zgw-cloud/zgw-cloud:0.2.0", {"repository": "ghcr.io/zgw-cloud/zgw-cloud", "tag": "0.2.0"}),
        ("registry:5000/zgw:1.0", {"repository": "registry:5000/zgw", "tag": "1.0"}),
        ("registry:5000/zgw", {"repository": "registry:5000/zgw"}),
        ("ghcr.io/zgw@sha256:" + "a" * 64, {"repository": "ghcr.io/zgw", "digest": "sha256:" + "a" * 64}),
    ],
)
def test_the_release_image_wins_over_the_settings(image: str, expected: dict[str, str]) -> None:
    tenant = TenantSpec("utrecht", "U", tier="dedicated", release=ReleaseSpec(version="0.2.0", image=image))
    settings = SETTINGS.model_copy(update={"kubernetes_image_tag": "0.1.0"})
    assert objects.image_values(settings, tenant) == expected
    assert objects.image_values(settings, TENANT) == {"tag": "0.1.0"}


def test_chart_renders_the_dedicated_release(tmp_path: object) -> None:
    helm = find_binary("helm")
    if helm is None:
        pytest.skip("helm not built")
    renderer = ChartRenderer(SETTINGS.model_copy(update={"kubernetes_helm_binary": str(helm)}))
    values = objects.release_values(SETTINGS, TENANT, RuntimeStatus.ACTIVE)
    manifests = renderer.render("zgw-t-utrecht", values, kube_version())
    kinds = sorted(f"{m['kind']}/{m['metadata']['name']}" for m in manifests)
    assert kinds == [
        "Deployment/zgw-runtime", "Ingress/zgw-runtime", "Job/zgw-runtime-migrations",
        "NetworkPolicy/zgw-runtime-allow-dns", "NetworkPolicy/zgw-runtime-allow-egress",
        "NetworkPolicy/zgw-runtime-allow-ingress", "NetworkPolicy/zgw-runtime-default-deny", "Service/zgw-runtime",
    ]  # fmt: skip
    job = next(m for m in manifests if m["kind"] == "Job")
    assert _hook_phases(job) == {"pre-install", "pre-upgrade"}
    assert renderer.render("zgw-t-utrecht", values, kube_version()) == manifests  # cached, same result
