"""``assert_conforms`` that also checks ``application/problem+json`` bodies.

``tests.tenant_runtime.contract`` builds its openapi-core validator without a deserializer for
``application/problem+json``, so every error body fails there ("is not of type object"); this validator adds
one and otherwise applies the same check to the same official document.
"""

from __future__ import annotations

import json
from functools import cache
from urllib.parse import urlsplit

import httpx
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from tenant_runtime.openapi import spec_document


@cache
def _openapi() -> tuple[OpenAPI, str]:
    document = spec_document("notificaties")
    config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
    return OpenAPI.from_dict(document, config=config), document["servers"][0]["url"].rstrip("/")


def assert_conforms(response: httpx.Response) -> None:
    """The response (status, headers, body) is one the official Notificaties spec allows for its request."""
    openapi, server = _openapi()
    request = response.request
    _, _, after = urlsplit(str(request.url)).path.partition("/notificaties/api/v1")
    mock_request = MockRequest(
        "http://localhost",
        request.method.lower(),
        server + after,
        args=dict(httpx.QueryParams(request.url.query)),
        headers=dict(request.headers),
    )
    content_type = response.headers.get("content-type", "application/json").split(";")[0]
    mock_response = MockResponse(
        response.content, status_code=response.status_code, headers=dict(response.headers), content_type=content_type
    )
    errors = list(openapi.iter_response_errors(mock_request, mock_response))
    if errors:
        details = []
        for error in errors:
            details.append(repr(error))
            cause = error.__cause__
            if cause is not None:
                details.append(repr(cause))
                details.extend(repr(e) for e in getattr(cause, "schema_errors", ())[:10])
        raise AssertionError(
            f"{request.method} {after} → {response.status_code} violates the notificaties spec:\n"
            + "\n".join(details)
            + f"\nbody: {response.text[:2000]}"
        )
