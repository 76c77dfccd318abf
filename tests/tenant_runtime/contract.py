"""Checks responses against the official ZGW OpenAPI documents (openapi-core)."""

from __future__ import annotations

import json
from functools import cache
from urllib.parse import urlsplit

import httpx
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from tenant_runtime.openapi import spec_document


@cache
def _openapi(component: str) -> tuple[OpenAPI, str]:
    document = spec_document(component)
    server = document["servers"][0]["url"].rstrip("/")
    # Error bodies are application/problem+json, which openapi-core does not deserialize by itself.
    config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
    return OpenAPI.from_dict(document, config=config), server


def assert_conforms(response: httpx.Response, component: str | None = None) -> None:
    """The response (status, headers, body) is one the official spec allows for its request."""
    request = response.request
    path = urlsplit(str(request.url)).path
    marker = "/api/v1"
    before, _, after = path.partition(marker)
    component = component or before.rstrip("/").rsplit("/", 1)[-1]
    openapi, server = _openapi(component)
    parts = urlsplit(server)
    host_url = f"{parts.scheme}://{parts.netloc}"
    mock_request = MockRequest(
        host_url,
        request.method.lower(),
        parts.path + after,
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
            details.extend(repr(e) for e in getattr(error, "schema_errors", ())[:10])
            cause = error.__cause__
            if cause is not None:
                details.append(repr(cause))
                details.extend(repr(e) for e in getattr(cause, "schema_errors", ())[:10])
        body = response.text[:2000]
        raise AssertionError(
            f"{request.method} {path} → {response.status_code} violates the {component} spec:\n"
            + "\n".join(details)
            + f"\nbody: {body}"
        )


def pretty(response: httpx.Response) -> str:
    try:
        return json.dumps(response.json(), indent=2)
    except ValueError:
        return response.text
