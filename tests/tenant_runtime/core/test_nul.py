"""NUL characters (which PostgreSQL text cannot hold) in a filter or a JSON body are a 400 problem in every API."""

from __future__ import annotations

import pytest

from tests.tenant_runtime.conftest import ZgwTenant


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("zaken/api/v1/rollen?omschrijving=a%00b", "omschrijving"),
        ("zaken/api/v1/zaken?identificatie=a%00b", "identificatie"),
        ("besluiten/api/v1/besluiten?identificatie=%00", "identificatie"),
        ("autorisaties/api/v1/applicaties?clientIds=x%00", "clientIds"),
    ],
)
def test_nul_in_a_query_parameter_is_a_400(alpha: ZgwTenant, path: str, param: str) -> None:
    response = alpha.client.get(f"{alpha.base}/{path}", headers={**alpha.superuser(), "Accept-Crs": "EPSG:4326"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["invalidParams"] == [
        {"name": param, "code": "null_characters_not_allowed", "reason": "Tekst mag geen NUL-tekens (\\x00) bevatten."}
    ]


def test_nul_in_a_json_body_is_a_400_and_other_bodies_pass(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    url = f"{alpha.api('autorisaties')}/applicaties"
    body = {"clientIds": ["nul-app"], "label": "a\u0000b", "heeftAlleAutorisaties": True}
    refused = alpha.client.post(url, json=body, headers=headers)
    assert refused.status_code == 400, refused.text
    assert refused.json()["invalidParams"][0]["code"] == "null_characters_not_allowed"
    # An escaped backslash before "u0000" is no NUL character.
    created = alpha.client.post(url, json={**body, "label": "pad \\u0000"}, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["label"] == "pad \\u0000"
