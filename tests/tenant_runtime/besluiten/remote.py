"""A real HTTP server on loopback that plays a remote ZGW API: it serves the JSON documents a test puts in it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


class RemoteApi:
    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []  # (path, Authorization header) of every GET
        self.base = ""

    def put(self, path: str, document: dict[str, Any]) -> str:
        """Serve ``document`` at ``<base><path>``; returns its URL (also set as the document's ``url``)."""
        url = f"{self.base}{path}"
        self.documents[path] = {"url": url, **document}
        return url


@contextmanager
def remote_api() -> Iterator[RemoteApi]:
    api = RemoteApi()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            api.requests.append((urlsplit(self.path).path, self.headers.get("Authorization", "")))
            document = api.documents.get(urlsplit(self.path).path)
            body = json.dumps(document if document is not None else {"detail": "Niet gevonden."}).encode()
            self.send_response(200 if document is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
