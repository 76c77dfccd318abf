"""brc-002 under concurrency: besluiten created at the same moment get distinct, consecutive identificaties."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from tenant_runtime.besluiten.schemas import BesluitIn
from tenant_runtime.besluiten.services.besluiten import create_besluit
from tenant_runtime.besluiten.services.common import Context
from tenant_runtime.core.auth import Client
from tenant_runtime.core.resolver import Resolver
from tenant_runtime.core.urls import TenantUrls
from tests.tenant_runtime.besluiten.conftest import TODAY, Catalog, besluit_body
from tests.tenant_runtime.conftest import ZgwTenant

CONCURRENT = 8


def test_concurrent_creates_get_distinct_identificaties(alpha: ZgwTenant, catalog: Catalog) -> None:
    client = Client(client_id="bulk", heeft_alle_autorisaties=True)
    urls = TenantUrls("http://testserver/t/alpha", "alpha", "localhost", pinned=False)
    data = BesluitIn.model_validate(besluit_body(catalog))
    barrier = threading.Barrier(CONCURRENT)

    def create(_: int) -> str:
        with alpha.session() as session:
            ctx = Context(session, client, urls, Resolver(session, urls))
            barrier.wait()
            return create_besluit(ctx, data).identificatie

    with ThreadPoolExecutor(CONCURRENT) as pool:
        identificaties = sorted(pool.map(create, range(CONCURRENT)))
    assert identificaties == [f"BESLUIT-{TODAY.year}-{n:010d}" for n in range(1, CONCURRENT + 1)]
