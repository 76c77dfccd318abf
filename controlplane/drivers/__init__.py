"""Provisioning drivers: how a tenant's database and runtime registration come to exist."""

from __future__ import annotations

from controlplane.config import Settings
from controlplane.drivers.interfaces import TenantDriver


def build_driver(settings: Settings) -> TenantDriver:
    if settings.driver == "kubernetes":
        from controlplane.drivers.kubernetes import KubernetesDriver

        return KubernetesDriver(settings)
    from controlplane.drivers.local import LocalDriver

    return LocalDriver(settings)
