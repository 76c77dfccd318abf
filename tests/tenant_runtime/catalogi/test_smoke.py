from __future__ import annotations

from tests.tenant_runtime.catalogi.factories import create_catalogus, publish, publishable_zaaktype
from tests.tenant_runtime.conftest import ZgwTenant


def test_smoke(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)
    zaaktype = publishable_zaaktype(alpha, headers, catalogus["url"])
    published = publish(alpha, headers, zaaktype["url"])
    assert published["concept"] is False
