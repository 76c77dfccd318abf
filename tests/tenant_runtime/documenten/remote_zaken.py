"""A real "remote" Zaken API on loopback: serves zaken and the zaakinformatieobjecten it is told about."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.tenant_runtime.live import serve


@dataclass
class RemoteZaken:
    base: str = ""
    zaken: set[str] = field(default_factory=set)
    relations: set[tuple[str, str]] = field(default_factory=set)  # (zaak url, informatieobject url)

    @property
    def root(self) -> str:
        return f"{self.base}/zaken/api/v1/"

    def zaak(self) -> str:
        url = f"{self.root}zaken/{uuid.uuid4()}"
        self.zaken.add(url)
        return url

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/healthz")
        def healthz() -> dict[str, str]:
            return {"status": "ok"}

        @app.get("/zaken/api/v1/zaken/{identifier}")
        def zaak(identifier: str) -> Any:
            url = f"{self.root}zaken/{identifier}"
            if url not in self.zaken:
                return JSONResponse({"detail": "Niet gevonden."}, status_code=404)
            return {"url": url, "identificatie": "ZAAK-1"}

        @app.get("/zaken/api/v1/zaakinformatieobjecten")
        def zios(request: Request) -> list[dict[str, str]]:
            zaak_url = request.query_params.get("zaak", "")
            document = request.query_params.get("informatieobject", "")
            if (zaak_url, document) not in self.relations:
                return []
            return [
                {
                    "url": f"{self.root}zaakinformatieobjecten/{uuid.uuid4()}",
                    "zaak": zaak_url,
                    "informatieobject": document,
                }
            ]

        return app


@contextmanager
def remote_zaken() -> Iterator[RemoteZaken]:
    remote = RemoteZaken()
    with serve(remote.app()) as base:
        remote.base = base
        yield remote
