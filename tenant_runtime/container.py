"""The long-lived objects of one runtime process, built once from settings (our ``bootstrap``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from tenant_runtime.config import RuntimeSettings
from tenant_runtime.core.auth import ClientStore
from tenant_runtime.core.counts import CountCache
from tenant_runtime.db.engines import EngineCache, build_engine
from tenant_runtime.metering.meter import UsageMeter
from tenant_runtime.registry.repository import TenantRegistry


@dataclass
class Runtime:
    settings: RuntimeSettings
    registry_engine: Engine
    registry: TenantRegistry
    engines: EngineCache
    clients: ClientStore
    meter: UsageMeter = field(default_factory=UsageMeter)  # usage counted in memory (tenant_runtime.metering)
    counts: CountCache = field(default_factory=lambda: CountCache(0))  # list counts (tenant_runtime.core.counts)

    def close(self) -> None:
        self.engines.dispose_all()
        self.registry_engine.dispose()


def build_runtime(settings: RuntimeSettings) -> Runtime:
    registry_engine = build_engine(settings.registry_url, pool_size=4, max_overflow=8)
    return Runtime(
        settings=settings,
        registry_engine=registry_engine,
        registry=TenantRegistry(registry_engine, cache_seconds=settings.registry_cache_seconds),
        engines=EngineCache(
            max_engines=settings.max_open_tenant_engines,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
        ),
        clients=ClientStore(cache_seconds=settings.registry_cache_seconds),
        counts=CountCache(settings.count_cache_seconds),
    )
