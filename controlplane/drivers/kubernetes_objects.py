"""What a dedicated tenant's namespace holds besides the runtime release, and the release's Helm values: pure
functions of the tenant (its plan's sizing), the desired status and the settings. The driver applies them;
the reconciler compares them with what the cluster has."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import urlsplit

from controlplane.config import Settings
from controlplane.drivers.interfaces import RuntimeStatus, Sizing, TenantSpec

Manifest = dict[str, Any]

RELEASE = "zgw-runtime"  # release name and fullnameOverride: the objects are zgw-runtime, zgw-runtime-migrations, ...
SECRET = RELEASE  # the chart's existingSecret default (its full name)
RELEASE_RECORD = f"{RELEASE}-release"  # ConfigMap: what was applied; owner of the release's objects
QUOTA = "zgw-tenant-quota"
LIMITS = "zgw-tenant-limits"
NAMESPACE_DENY = "zgw-tenant-default-deny"
MANAGED_BY = "zgw-cloud"
TENANT_LABEL = "zgw-cloud.nl/tenant"
TIER_LABEL = "zgw-cloud.nl/tier"
HASH_ANNOTATION = "zgw-cloud.nl/applied-hash"


def namespace_name(settings: Settings, tenant: TenantSpec) -> str:
    """``<prefix><slug>``, shortened with a hash of the slug to the 63 characters a namespace may have."""
    name = settings.kubernetes_namespace_prefix + tenant.slug
    if len(name) <= 63:
        return name
    digest = hashlib.sha256(tenant.slug.encode()).hexdigest()[:10]
    return (name[: 63 - 11].rstrip("-") + "-" + digest)[:63]


def tenant_labels(tenant: TenantSpec) -> dict[str, str]:
    return {
        TENANT_LABEL: tenant.slug,
        TIER_LABEL: "dedicated",
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/part-of": "zgw-cloud",
    }


def namespace(settings: Settings, tenant: TenantSpec) -> Manifest:
    version = settings.kubernetes_pod_security_version
    labels = tenant_labels(tenant)
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = "restricted"
        labels[f"pod-security.kubernetes.io/{mode}-version"] = version
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": namespace_name(settings, tenant), "labels": labels},
    }


def resource_quota(settings: Settings, tenant: TenantSpec) -> Manifest:
    sizing = tenant.sizing
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": _meta(settings, tenant, QUOTA),
        "spec": {"hard": quota_hard(sizing)},
    }


def quota_hard(sizing: Sizing) -> dict[str, str]:
    return {
        "requests.cpu": sizing.quota_cpu,
        "limits.cpu": sizing.quota_cpu,
        "requests.memory": sizing.quota_memory,
        "limits.memory": sizing.quota_memory,
        "pods": str(sizing.quota_pods),
    }


def limit_range(settings: Settings, tenant: TenantSpec) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": _meta(settings, tenant, LIMITS),
        "spec": {"limits": [limit_range_item(tenant.sizing)]},
    }


def limit_range_item(sizing: Sizing) -> dict[str, Any]:
    """Defaults for a container that sets nothing, and the most one container may ask for."""
    return {
        "type": "Container",
        "default": {"cpu": sizing.cpu_limit, "memory": sizing.memory_limit},
        "defaultRequest": {"cpu": sizing.cpu_request, "memory": sizing.memory_request},
        "max": {"cpu": sizing.cpu_limit, "memory": sizing.memory_limit},
    }


def namespace_default_deny(settings: Settings, tenant: TenantSpec) -> Manifest:
    """Nothing in the namespace talks to anything unless a policy allows it (the release brings its own allows)."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(settings, tenant, NAMESPACE_DENY),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


def runtime_secret(settings: Settings, tenant: TenantSpec, data: dict[str, str]) -> Manifest:
    """The release's settings that are secrets (the registry URL with the tenant role's password, the admin
    token), as the chart's ``existingSecret``."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(settings, tenant, SECRET),
        "type": "Opaque",
        "data": encode_secret_data(data),
    }


def encode_secret_data(data: dict[str, str]) -> dict[str, str]:
    return {key: base64.b64encode(value.encode()).decode() for key, value in sorted(data.items())}


def tenant_objects(settings: Settings, tenant: TenantSpec) -> list[Manifest]:
    """The namespace's own objects, in the order they are applied (the namespace first)."""
    return [
        namespace(settings, tenant),
        resource_quota(settings, tenant),
        limit_range(settings, tenant),
        namespace_default_deny(settings, tenant),
    ]


def _meta(settings: Settings, tenant: TenantSpec, name: str) -> dict[str, Any]:
    return {"name": name, "namespace": namespace_name(settings, tenant), "labels": tenant_labels(tenant)}


# --- the runtime release ----------------------------------------------------------------------------------
def api_base_url(settings: Settings, tenant: TenantSpec) -> str:
    return _expand(settings.kubernetes_api_url_template, settings, tenant)


def public_url(settings: Settings, tenant: TenantSpec) -> str:
    """ZGW_RUNTIME_PUBLIC_URL of the pinned runtime: the API base URL when it is a bare origin (the runtime
    serves the tenant at the root); empty, so derived per request, when the template adds a path."""
    url = api_base_url(settings, tenant)
    return url if urlsplit(url).path in ("", "/") else ""


def verify_base_url(settings: Settings, tenant: TenantSpec) -> str:
    template = settings.kubernetes_verify_url_template or settings.kubernetes_api_url_template
    return _expand(template, settings, tenant)


def _expand(template: str, settings: Settings, tenant: TenantSpec) -> str:
    return template.format(
        slug=tenant.slug, namespace=namespace_name(settings, tenant), base_domain=settings.kubernetes_base_domain
    ).rstrip("/")


def image_values(settings: Settings, tenant: TenantSpec) -> dict[str, str]:
    """repository/tag/digest of the runtime image: the tenant's release's image, else the settings, else the
    chart's defaults."""
    reference = tenant.release.image if tenant.release is not None else ""
    if reference:
        if "@" in reference:
            repository, digest = reference.split("@", 1)
            return {"repository": repository, "digest": digest}
        head, _, tail = reference.rpartition(":")
        if head and "/" not in tail:
            return {"repository": head, "tag": tail}
        return {"repository": reference}
    image: dict[str, str] = {}
    if settings.kubernetes_image_repository:
        image["repository"] = settings.kubernetes_image_repository
    if settings.kubernetes_image_tag:
        image["tag"] = settings.kubernetes_image_tag
    return image


def release_values(settings: Settings, tenant: TenantSpec, status: RuntimeStatus) -> dict[str, Any]:
    """The chart values of a dedicated tenant's release (no secrets: those are in the Secret it references)."""
    sizing = tenant.sizing
    resources = {
        "requests": {"cpu": sizing.cpu_request, "memory": sizing.memory_request},
        "limits": {"cpu": sizing.cpu_limit, "memory": sizing.memory_limit},
    }
    allowed_from = [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": settings.kubernetes_ingress_namespace}}}
    ]
    also_from = [
        {
            "namespaceSelector": {
                "matchLabels": {"kubernetes.io/metadata.name": settings.kubernetes_controlplane_namespace}
            }
        }
    ]
    values: dict[str, Any] = {
        "tier": "dedicated",
        "tenant": {"slug": tenant.slug},
        "fullnameOverride": RELEASE,
        "existingSecret": SECRET,
        "image": image_values(settings, tenant),
        "config": {"publicUrl": public_url(settings, tenant)},
        # Suspended: scaled to zero (the registry also says suspended, should anyone scale it up).
        "api": {"replicas": sizing.api_replicas if status is RuntimeStatus.ACTIVE else 0, "resources": resources},
        # Notifications are delivered by the API pods themselves (no broker per tenant); see the operations docs.
        "worker": {"enabled": False},
        "migrations": {"resources": resources},
        "networkPolicy": {"ingressFrom": allowed_from, "extraIngressFrom": also_from},
    }
    if settings.kubernetes_controlplane_url:  # usage shipping (the token is in the tenant's Secret)
        values["config"]["meteringControlplaneUrl"] = settings.kubernetes_controlplane_url
        # Egress is matched on the destination pod's port: the control plane API's container port "http".
        values["networkPolicy"]["egress"] = {"controlplane": {"ports": ["http"], "peers": also_from}}
    if settings.kubernetes_base_domain:
        host = {"host": f"{tenant.slug}.{settings.kubernetes_base_domain}"}
        if settings.kubernetes_tls_secret:
            host["tlsSecretName"] = settings.kubernetes_tls_secret
        values["ingress"] = {
            "enabled": True,
            "className": settings.kubernetes_ingress_class,
            "annotations": dict(settings.kubernetes_ingress_annotations),
            "hosts": [host],
        }
    merged = deep_merge(values, settings.kubernetes_runtime_values)
    if status is not RuntimeStatus.ACTIVE:
        # Scaled to zero: an HPA would scale it up again and a disruption budget has nothing to protect.
        merged["autoscaling"] = {**merged.get("autoscaling", {}), "enabled": False}
        merged["podDisruptionBudget"] = {**merged.get("podDisruptionBudget", {}), "enabled": False}
    return merged


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]
